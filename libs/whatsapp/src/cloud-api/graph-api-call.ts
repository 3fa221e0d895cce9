import { ProviderError } from '../provider';
import { classifyCloudApiError, GraphApiError, NETWORK_ERROR_CODE, parseRetryAfter, TIMEOUT_ERROR_CODE, UNEXPECTED_RESPONSE_CODE } from './cloud-api-errors';
import { isObject, parseJson } from './json-values';

export interface GraphApiCall {
  /** What the call is, for error messages (`send`, `media upload`, `template sync`). */
  what: string;
  url: string;
  init: RequestInit & { duplex?: 'half' };
  accessToken: string;
  /** Longest wait, connection to last byte. */
  timeoutMs: number;
  /**
   * The error to throw for a refused call instead of the classified one (template requests pass
   * the caller's own mistakes back as such); undefined keeps the classified one.
   */
  refusal?: (status: number, graphError: GraphApiError | undefined, classified: ProviderError) => Error | undefined;
}

/**
 * One Graph API call with the account's token and a deadline: its JSON object answer, or a
 * ProviderError classified from Meta's error (transient ones retried by the caller's job).
 */
export async function callGraphApi<T>({ what, url, init, accessToken, timeoutMs, refusal }: GraphApiCall): Promise<T> {
  let status: number;
  let text: string;
  let retryAfter: string | null;
  try {
    const response = await fetch(url, {
      ...init,
      headers: { ...(init.headers as Record<string, string> | undefined), Authorization: `Bearer ${accessToken}` },
      signal: AbortSignal.timeout(timeoutMs),
    });
    status = response.status;
    retryAfter = response.headers.get('retry-after');
    text = await response.text();
  } catch (error) {
    throw transportError(error, what, timeoutMs);
  }
  const parsed = parseJson(text);
  if (status < 200 || status >= 300) {
    const graphError = isObject(parsed) && isObject(parsed.error) ? (parsed.error as GraphApiError) : undefined;
    const classified = classifyCloudApiError(status, graphError, parseRetryAfter(retryAfter));
    throw refusal?.(status, graphError, classified) ?? classified;
  }
  if (!isObject(parsed)) throw unexpectedAnswer(`${what} answered HTTP ${status} without a JSON object`);
  return parsed as T;
}

/** Network failures and timeouts are worth retrying; the cause stays in the message, never the token. */
export function transportError(error: unknown, what: string, timeoutMs: number): ProviderError {
  if (error instanceof ProviderError) return error;
  // Duck-typed: fetch's errors may come from another realm (e.g. under jest), failing instanceof.
  const name = isObject(error) ? error.name : undefined;
  if (name === 'TimeoutError' || name === 'AbortError') {
    return new ProviderError('transient', TIMEOUT_ERROR_CODE, `Cloud API ${what} call got no answer within ${timeoutMs} ms`);
  }
  return new ProviderError('transient', NETWORK_ERROR_CODE, `Cloud API ${what} call failed: ${errorText(error)}`);
}

export function unexpectedAnswer(what: string): ProviderError {
  // The call may have gone through; a retry could send twice, so this is not retried.
  return new ProviderError('permanent', UNEXPECTED_RESPONSE_CODE, `Cloud API ${what}`);
}

export function errorText(error: unknown): string {
  if (!isObject(error) || typeof error.message !== 'string') return String(error);
  const cause = isObject(error.cause) ? error.cause : undefined;
  const causeText = typeof cause?.code === 'string' ? cause.code : typeof cause?.message === 'string' ? cause.message : undefined;
  return [error.message, causeText].filter(Boolean).join(': ');
}
