import { ProviderError } from '@app/whatsapp';

/** Name of the send queue's retry-delay strategy (registered on the queue, named in each job's options). */
export const SEND_BACKOFF_STRATEGY = 'provider-aware';

export interface SendBackoffOptions {
  /** First retry delay; doubled for each further attempt. */
  delayMs: number;
}

/**
 * Exponential backoff, but never shorter than the delay the provider asked for (a
 * throughput or pair-rate limit says how long to wait; retrying sooner only fails again).
 */
export function sendBackoff(attemptsMade: number, error: unknown, options: SendBackoffOptions | null): number {
  const exponential = Math.round((2 ** Math.max(attemptsMade, 1) - 1) * (options?.delayMs ?? 0));
  const requested = error instanceof ProviderError ? (error.options.retryAfterMs ?? 0) : 0;
  return Math.max(exponential, requested);
}
