import { useEffect, useState } from 'preact/hooks';
import { api, readEvents } from './api';
import { NewBroadcastForm } from './new-broadcast-form';
import { BroadcastSummary, ProgressEvent, RUNNING_STATUSES } from './types';
import { messageOf, Problem, ProgressBar } from './widgets';

const PAGE_SIZE = 20;

/** Follows one running broadcast's progress stream, updating its row until the stream ends. */
function useLiveProgress(broadcast: BroadcastSummary): BroadcastSummary {
  const [live, setLive] = useState(broadcast);
  useEffect(() => {
    setLive(broadcast);
    if (!RUNNING_STATUSES.includes(broadcast.status)) return;
    const stop = new AbortController();
    readEvents(
      `/broadcast/${broadcast._id}/events`,
      (type, data) => {
        if (type === 'progress' || type === 'completed') {
          const event = data as ProgressEvent;
          setLive((current) => ({ ...current, status: event.status, counts: event.counts }));
        }
      },
      stop.signal,
    ).catch(() => undefined);
    return () => stop.abort();
  }, [broadcast._id, broadcast.status]);
  return live;
}

function BroadcastRow({ broadcast }: { broadcast: BroadcastSummary }) {
  const live = useLiveProgress(broadcast);
  const { counts } = live;
  return (
    <tr data-broadcast-id={live._id}>
      <td>
        <a href={`#/broadcasts/${live._id}`}>{new Date(live.createdAt).toLocaleString()}</a>
      </td>
      <td class="message-cell">{live.message.text ?? live.message.template?.name ?? ''}</td>
      <td>
        <span class={`status status-${live.status}`}>{live.status}</span>
      </td>
      <td>
        <ProgressBar counts={counts} />
      </td>
      <td class="counts">
        {counts.recipients} recipients · {counts.sent} sent · {counts.delivered} delivered · {counts.read} read · {counts.failed} failed
      </td>
    </tr>
  );
}

/** Newest first, all sessions; running broadcasts move by themselves. */
export function BroadcastsPage() {
  const [broadcasts, setBroadcasts] = useState<BroadcastSummary[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [creating, setCreating] = useState(false);
  const load = () =>
    api<BroadcastSummary[]>('GET', `/broadcast?type=all&fields=summary&limit=${PAGE_SIZE}`)
      .then((items) => {
        setBroadcasts(items);
        setError(null);
      })
      .catch((failure: unknown) => setError(messageOf(failure)));
  useEffect(() => {
    void load();
  }, []);
  return (
    <section>
      <header class="page-header">
        <h1>Broadcasts</h1>
        <button type="button" onClick={() => setCreating(!creating)}>
          {creating ? 'Close' : 'New broadcast'}
        </button>
      </header>
      {creating && (
        <NewBroadcastForm
          onCreated={() => {
            setCreating(false);
            void load();
          }}
        />
      )}
      <Problem error={error} />
      {broadcasts && broadcasts.length === 0 && <p class="muted">No broadcasts yet.</p>}
      {broadcasts && broadcasts.length > 0 && (
        <table class="broadcasts">
          <thead>
            <tr>
              <th>Created</th>
              <th>Message</th>
              <th>Status</th>
              <th>Progress</th>
              <th>Counts</th>
            </tr>
          </thead>
          <tbody>
            {broadcasts.map((broadcast) => (
              <BroadcastRow broadcast={broadcast} key={broadcast._id} />
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
