import { ThrottlerException } from '@nestjs/throttler';
import type { Response } from 'express';

/** Headers every rate-limited answer carries; Retry-After only on a refusal. Browsers may read them through CORS. */
export const RATE_LIMIT_HEADERS = ['X-RateLimit-Limit', 'X-RateLimit-Remaining', 'X-RateLimit-Reset', 'Retry-After'] as const;

/** Where a counter stands: its limit, what is left of it, and seconds until its window starts again. */
export interface RateLimitState {
  limit: number;
  remaining: number;
  resetSeconds: number;
}

export function setRateLimitHeaders(response: Response, state: RateLimitState): void {
  response.setHeader('X-RateLimit-Limit', String(state.limit));
  response.setHeader('X-RateLimit-Remaining', String(Math.max(0, state.remaining)));
  response.setHeader('X-RateLimit-Reset', String(Math.max(0, state.resetSeconds)));
}

/**
 * A 429: the headers say when to come back, and the exception filter renders `message` in the
 * envelope of the request's path family.
 */
export function tooManyRequests(response: Response, limit: number, retryAfterSeconds: number, message: string): ThrottlerException {
  const seconds = Math.max(1, retryAfterSeconds);
  setRateLimitHeaders(response, { limit, remaining: 0, resetSeconds: seconds });
  response.setHeader('Retry-After', String(seconds));
  return new ThrottlerException(`${message}; retry in ${seconds} s`);
}
