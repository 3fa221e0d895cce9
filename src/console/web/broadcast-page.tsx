import { useEffect, useState } from 'preact/hooks';
import { api, download, readEvents } from './api';
import { FunnelChart, SeriesChart } from './charts';
import { BroadcastReport, ContactMessage, ProgressEvent, RUNNING_STATUSES } from './types';
import { messageOf, Problem, ProgressBar } from './widgets';

const ACTIONS = [
  { name: 'pause', label: 'Pause', when: ['sending'] },
  { name: 'resume', label: 'Resume', when: ['paused'] },
  { name: 'cancel', label: 'Cancel', when: ['scheduled', 'sending', 'paused'] },
  { name: 'retry', label: 'Retry failures', when: ['sending', 'paused', 'completed', 'completed_with_errors', 'failed'] },
] as const;

const cents = (value: number) => `$${(value / 100).toFixed(2)}`;
const seconds = (value: number | null) => (value === null ? '—' : `${value} s`);

/** One recipient's messages of this broadcast (GET /v1/contacts/:number/messages), newest first. */
function RecipientSearch({ broadcastId }: { broadcastId: string }) {
  const [number, setNumber] = useState('');
  const [found, setFound] = useState<ContactMessage[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const search = async (event: Event) => {
    event.preventDefault();
    setError(null);
    try {
      const messages = await api<ContactMessage[]>('GET', `/v1/contacts/${encodeURIComponent(number.replace(/\D/g, ''))}/messages?perPage=100`);
      setFound(messages.filter((message) => message.broadcastId === broadcastId || message.direction === 'inbound'));
    } catch (failure) {
      setFound(null);
      setError(messageOf(failure));
    }
  };
  return (
    <form class="card recipient-search" onSubmit={(event) => void search(event)}>
      <h2>Recipient</h2>
      <input name="recipient" placeholder="2348031234567" value={number} onInput={(e) => setNumber(e.currentTarget.value)} />
      <button type="submit">Search</button>
      <Problem error={error} />
      {found && found.length === 0 && <p class="muted">No message of this broadcast to that number.</p>}
      {found && found.length > 0 && (
        <ul class="recipient-messages">
          {found.map((message) => (
            <li key={message.id}>
              {new Date(message.createdAt).toLocaleString()} · {message.direction} · <span class={`status status-${message.status}`}>{message.status}</span> · {message.text ?? ''}
            </li>
          ))}
        </ul>
      )}
    </form>
  );
}

/** One broadcast: live progress, its funnel and per-minute series, failures by reason, controls, export. */
export function BroadcastPage({ id }: { id: string }) {
  const [report, setReport] = useState<BroadcastReport | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const load = () =>
    api<BroadcastReport>('GET', `/broadcast/${id}/report`)
      .then((loaded) => {
        setReport(loaded);
        setError(null);
      })
      .catch((failure: unknown) => setError(messageOf(failure)));
  useEffect(() => {
    void load();
  }, [id]);

  // While it runs, the progress stream moves the bar and, once a second at most, the report follows.
  const running = report !== null && RUNNING_STATUSES.includes(report.status);
  useEffect(() => {
    if (!running) return;
    const stop = new AbortController();
    let reloadAt = 0;
    readEvents(
      `/broadcast/${id}/events`,
      (type, data) => {
        const event = data as ProgressEvent;
        setReport((current) => (current ? { ...current, ...event.counts, status: event.status } : current));
        if (type === 'completed' || Date.now() > reloadAt) {
          reloadAt = Date.now() + 1000;
          void load();
        }
      },
      stop.signal,
    ).catch(() => undefined);
    return () => stop.abort();
  }, [id, running]);

  const act = async (action: string) => {
    setBusy(true);
    try {
      await api('POST', `/broadcast/${id}/${action}`, action === 'retry' ? {} : undefined);
      await load();
    } catch (failure) {
      setError(messageOf(failure));
    } finally {
      setBusy(false);
    }
  };

  if (!report) return <Problem error={error} />;
  return (
    <section class="broadcast">
      <header class="page-header">
        <h1>
          Broadcast <code>{id}</code>
        </h1>
        <span class={`status status-${report.status}`}>{report.status}</span>
      </header>
      <ProgressBar counts={report} />
      <div class="actions">
        {ACTIONS.filter(({ when }) => (when as readonly string[]).includes(report.status)).map(({ name, label }) => (
          <button type="button" key={name} name={name} disabled={busy} onClick={() => void act(name)}>
            {label}
          </button>
        ))}
        <button type="button" name="export" onClick={() => void download(`/broadcast/${id}/recipients.csv`, `broadcast-${id}-recipients.csv`).catch((failure: unknown) => setError(messageOf(failure)))}>
          Export recipients (CSV)
        </button>
      </div>
      <Problem error={error} />
      <div class="grid">
        <div class="card">
          <h2>Funnel</h2>
          <FunnelChart report={report} />
          <dl class="facts">
            <dt>Opted out</dt>
            <dd>{report.opted_out}</dd>
            <dt>Waiting for the messaging limit</dt>
            <dd>{report.waiting_for_limit}</dd>
            <dt>Cost billed / estimated</dt>
            <dd>
              {cents(report.cost.billed_usd_cents)} / {cents(report.cost.estimated_usd_cents)}
            </dd>
            <dt>Time to 50% / 90% delivered</dt>
            <dd>
              {seconds(report.time_to_delivered.p50_seconds)} / {seconds(report.time_to_delivered.p90_seconds)}
            </dd>
          </dl>
        </div>
        <div class="card">
          <h2>Per minute</h2>
          <SeriesChart series={report.series} />
        </div>
        <div class="card">
          <h2>Failures by reason</h2>
          {report.failures.length === 0 ? (
            <p class="muted">None.</p>
          ) : (
            <table class="failures">
              <tbody>
                {report.failures.map((failure) => (
                  <tr key={failure.code}>
                    <td>
                      <code>{failure.code}</code>
                    </td>
                    <td>{failure.title}</td>
                    <td class="number">{failure.count}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </div>
        <RecipientSearch broadcastId={id} />
      </div>
    </section>
  );
}
