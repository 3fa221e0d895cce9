import { useEffect, useState } from 'preact/hooks';
import { api } from './api';
import { PortfolioLimit, SessionSummary } from './types';
import { messageOf, Problem } from './widgets';

/** "1,234 of 2,000 reached in 24 h", or that none is enforced. */
function limitText(limit: PortfolioLimit | undefined): string {
  if (!limit) return '—';
  const reached = `${limit.reached_in_window.toLocaleString()} reached in 24 h`;
  return limit.messaging_limit === null ? `none enforced (${reached})` : `${limit.reached_in_window.toLocaleString()} of ${limit.messaging_limit.toLocaleString()} reached in 24 h`;
}

/**
 * The client's sending sessions: provider, number, health, the number's last quality event, and
 * the messaging limit of its business portfolio (shared by every number of the portfolio, so read
 * once per portfolio).
 */
export function SessionsPage() {
  const [sessions, setSessions] = useState<SessionSummary[] | null>(null);
  const [limits, setLimits] = useState<Record<string, PortfolioLimit>>({});
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    const load = async () => {
      const listed = await api<SessionSummary[]>('GET', '/sessions');
      setSessions(listed);
      const portfolios = [...new Set(listed.map((session) => session.portfolio_id))];
      const read = await Promise.all(portfolios.map((id) => api<PortfolioLimit>('GET', `/portfolios/${encodeURIComponent(id)}`)));
      setLimits(Object.fromEntries(read.map((limit) => [limit.portfolio_id, limit])));
    };
    load().catch((failure: unknown) => setError(messageOf(failure)));
  }, []);
  return (
    <section>
      <h1>Sessions</h1>
      <Problem error={error} />
      {sessions && (
        <table class="sessions">
          <thead>
            <tr>
              <th>Name</th>
              <th>Id</th>
              <th>Provider</th>
              <th>Number</th>
              <th>Health</th>
              <th>Quality</th>
              <th>Messaging limit</th>
            </tr>
          </thead>
          <tbody>
            {sessions.map((session) => (
              <tr key={session.session_id} data-session-id={session.session_id}>
                <td>{session.name}</td>
                <td>
                  <code>{session.session_id}</code>
                </td>
                <td>{session.provider}</td>
                <td>{session.phone_number ?? '—'}</td>
                <td title={session.health_reason ?? ''}>{session.health}</td>
                <td class="quality" title={session.quality ? new Date(session.quality.at).toLocaleString() : 'no quality event from Meta yet'}>
                  {session.quality?.event ?? '—'}
                </td>
                <td class="messaging-limit">{limitText(limits[session.portfolio_id])}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
