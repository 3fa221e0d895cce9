import { useState } from 'preact/hooks';
import { api, ApiError, SessionCredentials, storedSession, storeSession } from './api';
import { SessionFields } from './session-fields';
import { messageOf, Problem } from './widgets';

/** Whatever POST /broadcast/plan answers: shown as it comes (the plan's fields belong to the API). */
type DeliveryPlan = Record<string, unknown>;

const numbersOf = (text: string): string[] =>
  text
    .split(/[\s,;]+/)
    .map((number) => number.trim())
    .filter(Boolean);

/** One figure of the plan; a group of figures (recipients, window, messaging limit...) as a nested list. */
function PlanValue({ value }: { value: unknown }) {
  if (Array.isArray(value)) return <>{value.length === 0 ? 'none' : value.map((item) => JSON.stringify(item)).join(', ')}</>;
  if (typeof value === 'object' && value !== null) return <PlanView plan={value as DeliveryPlan} />;
  return <>{String(value)}</>;
}

function PlanView({ plan }: { plan: DeliveryPlan }) {
  return (
    <dl class="plan" data-testid="delivery-plan">
      {Object.entries(plan).map(([name, value]) => (
        <div key={name} data-figure={name}>
          <dt>{name.replace(/_/g, ' ')}</dt>
          <dd>
            <PlanValue value={value} />
          </dd>
        </div>
      ))}
    </dl>
  );
}

/**
 * A text broadcast through one session: first its delivery plan (POST /broadcast/plan, where the
 * API has it; a 404 means it has none and the form sends without one), then POST /broadcast.
 */
export function NewBroadcastForm({ onCreated }: { onCreated: (id: string) => void }) {
  const remembered = storedSession();
  const [session, setSession] = useState<SessionCredentials>(remembered ?? { session_id: '', access_token: '' });
  const [numbers, setNumbers] = useState('');
  const [text, setText] = useState('');
  const [plan, setPlan] = useState<DeliveryPlan | 'none' | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const body = () => ({ ...session, send_type: 'individual', to: numbersOf(numbers), message: { text } });

  const review = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      storeSession(session);
      setPlan(await api<DeliveryPlan>('POST', '/broadcast/plan', body()));
    } catch (failure) {
      if (failure instanceof ApiError && failure.status === 404) setPlan('none');
      else setError(messageOf(failure));
    } finally {
      setBusy(false);
    }
  };

  const send = async () => {
    setBusy(true);
    setError(null);
    try {
      const created = await api<{ _id: string }>('POST', '/broadcast', body());
      onCreated(created._id);
    } catch (failure) {
      setError(messageOf(failure));
    } finally {
      setBusy(false);
    }
  };

  const edited = () => setPlan(null);
  return (
    <form class="card new-broadcast" onSubmit={(event) => void review(event)}>
      <h2>New broadcast</h2>
      <SessionFields
        session={session}
        onChange={(changed) => {
          setSession(changed);
          edited();
        }}
      />
      <label>
        Numbers (international form, separated by commas, spaces or lines)
        <textarea name="to" rows={4} required value={numbers} onInput={(e) => {
            setNumbers(e.currentTarget.value);
            edited();
          }} />
      </label>
      <label>
        Text
        <textarea name="text" rows={3} required value={text} onInput={(e) => {
            setText(e.currentTarget.value);
            edited();
          }} />
      </label>
      <Problem error={error} />
      {plan === null && (
        <button type="submit" disabled={busy}>
          Review
        </button>
      )}
      {plan !== null && (
        <div class="review">
          {plan === 'none' ? <p class="muted">{numbersOf(numbers).length} numbers; no delivery plan is available from this API.</p> : <PlanView plan={plan} />}
          <button type="button" disabled={busy} onClick={() => void send()}>
            Send
          </button>
        </div>
      )}
    </form>
  );
}
