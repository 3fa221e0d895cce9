import { ProviderError } from '@app/whatsapp';

/** Name of the send queue's retry-delay strategy (registered on the queue, named in each job's options). */
export const SEND_BACKOFF_STRATEGY = 'provider-aware';

export interface SendBackoffOptions {
  /** First retry delay; doubled for each further attempt. */
  delayMs: number;
}

/**
 * The delay an error asks for: a provider's (a throughput or pair-rate limit says how long to
 * wait), ours (another attempt holds the message until then), or for a job that sends several
 * messages and failed with an AggregateError of their errors, the longest of them.
 */
function requestedDelayOf(error: unknown): number {
  if (error instanceof ProviderError) return error.options.retryAfterMs ?? 0;
  if (error instanceof AggregateError) return Math.max(0, ...error.errors.map(requestedDelayOf));
  if (typeof error !== 'object' || error === null || !('retryAfterMs' in error)) return 0;
  return typeof error.retryAfterMs === 'number' ? error.retryAfterMs : 0;
}

/**
 * Exponential backoff, but never shorter than the delay the provider asked for (a
 * throughput or pair-rate limit says how long to wait; retrying sooner only fails again),
 * or than the time until another attempt's lease on the message ends.
 */
export function sendBackoff(attemptsMade: number, error: unknown, options: SendBackoffOptions | null): number {
  const exponential = Math.round((2 ** Math.max(attemptsMade, 1) - 1) * (options?.delayMs ?? 0));
  return Math.max(exponential, requestedDelayOf(error));
}
