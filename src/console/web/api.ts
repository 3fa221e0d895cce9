/** The console's only way to the service: the public API, with the key the user signed in with (kept in this tab only). */

const KEY_STORAGE = 'console.apiKey';
const SESSION_STORAGE = 'console.session';

export interface SessionCredentials {
  session_id: string;
  access_token: string;
}

export const storedKey = (): string | null => sessionStorage.getItem(KEY_STORAGE);
export const storeKey = (key: string | null): void => (key === null ? sessionStorage.removeItem(KEY_STORAGE) : sessionStorage.setItem(KEY_STORAGE, key));

export function storedSession(): SessionCredentials | null {
  const text = sessionStorage.getItem(SESSION_STORAGE);
  return text ? (JSON.parse(text) as SessionCredentials) : null;
}
export const storeSession = (session: SessionCredentials): void => sessionStorage.setItem(SESSION_STORAGE, JSON.stringify(session));

/** A refused request: the API's status and its message (with each problem it named). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

interface Envelope<T> {
  status: boolean;
  message: string;
  data: T;
  errors?: string[];
}

function headers(key: string | null, extra: Record<string, string> = {}): Record<string, string> {
  return { ...(key ? { Authorization: `Bearer ${key}` } : {}), ...extra };
}

/** Whose request it is: the signed-in key unless another is given, and the session a route sends through. */
export interface CallOptions {
  key?: string | null;
  session?: SessionCredentials;
}

/** The session's credentials in the headers the API reads them from (never in a URL, which servers log). */
const sessionHeaders = (session?: SessionCredentials): Record<string, string> =>
  session ? { 'X-Session-Id': session.session_id, 'X-Access-Token': session.access_token } : {};

/** Calls the API with the signed-in key; answers `data` of its envelope, or throws ApiError. */
export async function api<T>(method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown, { key = storedKey(), session }: CallOptions = {}): Promise<T> {
  const response = await fetch(path, {
    method,
    headers: headers(key, { ...sessionHeaders(session), ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) }),
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const payload = (await response.json().catch(() => null)) as Envelope<T> | null;
  if (!response.ok || !payload) {
    const problems = payload?.errors?.length ? `: ${payload.errors.join('; ')}` : '';
    throw new ApiError(response.status, `${payload?.message ?? `HTTP ${response.status}`}${problems}`);
  }
  return payload.data;
}

/** Downloads a file the API streams (the key goes in a header, so not a plain link). */
export async function download(path: string, fileName: string): Promise<void> {
  const response = await fetch(path, { headers: headers(storedKey()) });
  if (!response.ok) throw new ApiError(response.status, `The download failed (HTTP ${response.status})`);
  const url = URL.createObjectURL(await response.blob());
  const link = document.createElement('a');
  link.href = url;
  link.download = fileName;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/**
 * Reads a Server-Sent Events stream with fetch (EventSource cannot send the key in a header),
 * handing each event to `onEvent` until the stream ends or `signal` aborts it.
 */
export async function readEvents(path: string, onEvent: (type: string, data: unknown) => void, signal: AbortSignal): Promise<void> {
  const response = await fetch(path, { headers: headers(storedKey(), { Accept: 'text/event-stream' }), signal });
  if (!response.ok || !response.body) throw new ApiError(response.status, `The progress stream failed (HTTP ${response.status})`);
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value;
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let type = 'message';
      let data = '';
      for (const line of block.split('\n')) {
        if (line.startsWith('event: ')) type = line.slice(7);
        else if (line.startsWith('data: ')) data += line.slice(6);
      }
      onEvent(type, data ? (JSON.parse(data) as unknown) : null);
    }
  }
}
