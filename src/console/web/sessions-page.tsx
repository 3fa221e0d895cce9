import { useEffect, useState } from 'preact/hooks';
import { api } from './api';
import { SessionSummary } from './types';
import { messageOf, Problem } from './widgets';

/** The client's sending sessions: provider, number, health (and quality and messaging limit where the API gives them). */
export function SessionsPage() {
  const [sessions, setSessions] = useState<SessionSummary[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    api<SessionSummary[]>('GET', '/sessions')
      .then(setSessions)
      .catch((failure: unknown) => setError(messageOf(failure)));
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
              <tr key={session.session_id}>
                <td>{session.name}</td>
                <td>
                  <code>{session.session_id}</code>
                </td>
                <td>{session.provider}</td>
                <td>{session.phone_number ?? '—'}</td>
                <td title={session.health_reason ?? ''}>{session.health}</td>
                <td>{session.quality ?? '—'}</td>
                <td>{session.messaging_limit ?? '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
