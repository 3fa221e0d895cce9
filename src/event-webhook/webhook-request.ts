import { request as httpRequest, RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupAddress, LookupOneOptions } from 'node:dns';
import { deliveryTarget } from './webhook-url-guard';

/** How one delivery attempt went. */
export type DeliveryAttemptResult =
  | { kind: 'answered'; statusCode: number; latencyMs: number; bodyExcerpt: string }
  | { kind: 'network-error'; latencyMs: number; error: string };

/** The first bytes of an answer kept with the attempt (to show what the receiver said). */
const BODY_EXCERPT_BYTES = 512;

/**
 * POSTs one event to a client's server: JSON body, the given headers, no redirects followed,
 * a hard timeout for the whole exchange, and (unless private addresses are allowed) only to
 * a public address: the one checked is the one connected to (pinned, so that a second DNS answer
 * cannot swap it). A refused address makes a network error that names the reason, no request.
 */
export async function postEvent(
  url: string,
  body: string,
  headers: Record<string, string>,
  options: { timeoutMs: number; allowPrivate: boolean },
): Promise<DeliveryAttemptResult> {
  const started = performance.now();
  const elapsed = (): number => Math.round(performance.now() - started);
  const checked = await deliveryTarget(url, options.allowPrivate);
  if ('refused' in checked) return { kind: 'network-error', latencyMs: elapsed(), error: checked.refused };
  const target = new URL(url);
  const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
  const requestOptions: RequestOptions = {
    method: 'POST',
    headers: {
      'Content-Type': 'application/json',
      'Content-Length': String(Buffer.byteLength(body)),
      'User-Agent': 'whatsapp-messaging-backend-webhooks/1',
      ...headers,
    },
    lookup: pinnedLookup(checked.address, checked.family),
    agent: false,
  };
  return new Promise((resolve) => {
    let settled = false;
    const finish = (result: DeliveryAttemptResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(result);
    };
    const outgoing = send(target, requestOptions, (response) => {
      const chunks: Buffer[] = [];
      let kept = 0;
      response.on('data', (chunk: Buffer) => {
        if (kept < BODY_EXCERPT_BYTES) chunks.push(chunk.subarray(0, BODY_EXCERPT_BYTES - kept));
        kept += chunk.length;
      });
      response.on('end', () =>
        finish({ kind: 'answered', statusCode: response.statusCode ?? 0, latencyMs: elapsed(), bodyExcerpt: Buffer.concat(chunks).toString('utf8') }),
      );
      response.on('error', (error) => finish({ kind: 'network-error', latencyMs: elapsed(), error: error.message }));
    });
    const timer = setTimeout(() => {
      outgoing.destroy();
      finish({ kind: 'network-error', latencyMs: elapsed(), error: `No answer within ${options.timeoutMs} ms` });
    }, options.timeoutMs);
    outgoing.on('error', (error: NodeJS.ErrnoException) =>
      finish({ kind: 'network-error', latencyMs: elapsed(), error: error.code ? `${error.code}: ${error.message}` : error.message }),
    );
    outgoing.end(body);
  });
}

/** Network errors, timeouts, 5xx, 408 and 429 are worth another try; any other answer is final. */
export function isRetryable(result: DeliveryAttemptResult): boolean {
  if (result.kind === 'network-error') return true;
  return result.statusCode >= 500 || result.statusCode === 408 || result.statusCode === 429;
}

export const isSuccess = (result: DeliveryAttemptResult): boolean => result.kind === 'answered' && result.statusCode >= 200 && result.statusCode < 300;

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/** A `lookup` that answers the already-checked address, whatever the name resolves to by now. */
function pinnedLookup(address: string, family: 4 | 6) {
  return (_hostname: string, options: LookupOneOptions | { all: true }, callback: LookupCallback): void => {
    if (options.all) return callback(null, [{ address, family }]);
    return callback(null, address, family);
  };
}
