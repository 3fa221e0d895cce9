import { ProviderError } from '@app/whatsapp';

/** Name of the send queue's retry-delay strategy (registered on the queue, named in each job's options). */
export const SEND_BACKOFF_STRATEGY = 'provider-aware';

export interface SendBackoffOptions {
  /** First retry delay; doubled for each further attempt. */
  delayMs: number;
}

/** A delay asked for by an error of ours (another attempt holds the message until then). */
function retryAfterOf(error: unknown): number {
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
  const requested = error instanceof ProviderError ? (error.options.retryAfterMs ?? 0) : retryAfterOf(error);
  return Math.max(exponential, requested);
}
