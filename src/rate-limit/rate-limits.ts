import type { Principal } from '../auth/principal';
import type { AppConfig } from '../config';

/** Counts every request of a caller, across routes. */
export const ORDINARY_THROTTLER = 'default';
/** Counts a caller's requests to one expensive route (broadcast creation, uploads, WhatsApp-log queries). */
export const EXPENSIVE_THROTTLER = 'expensive';
export type ThrottlerName = typeof ORDINARY_THROTTLER | typeof EXPENSIVE_THROTTLER;

/** Every limit counts requests in windows of one minute. */
export const RATE_LIMIT_WINDOW_MS = 60_000;
/** How long a request waits for a counter: a Redis that stalls (answers nothing) must not hold every request, /health included. */
export const COUNTER_DEADLINE_MS = 500;

/** Who a count belongs to: the API key when the request has passed authentication, else the client's address. */
export function trackerFor(principal: Principal | undefined, address: string): string {
  return principal ? `key:${principal.keyId}` : `ip:${address}`;
}

/** Requests per minute allowed to this caller by this throttler: the key's own limit, else the configured one. */
export function limitFor(throttler: ThrottlerName, principal: Principal | undefined, limits: AppConfig['rateLimits']): number {
  if (!principal) return throttler === ORDINARY_THROTTLER ? limits.publicPerAddress : limits.expensivePerKey;
  const own = principal.rateLimits;
  if (throttler === ORDINARY_THROTTLER) return own.perMinute ?? limits.perKey;
  // A key whose overall limit was lowered below the expensive default gets that lower limit here too.
  return own.expensivePerMinute ?? Math.min(limits.expensivePerKey, own.perMinute ?? limits.expensivePerKey);
}

/** The Redis counter: one per caller across routes, and one per caller and expensive route. */
export function counterKey(throttler: ThrottlerName, tracker: string, route: string): string {
  return throttler === ORDINARY_THROTTLER ? `rate:${tracker}` : `rate:${tracker}:${route}`;
}

/** The refusal's sentence, saying whose limit it was. */
export function refusalMessage(throttler: ThrottlerName, keyed: boolean, limit: number, route: string): string {
  if (!keyed) return `Too many requests from this address: ${limit} per minute allowed`;
  return throttler === ORDINARY_THROTTLER
    ? `Rate limit exceeded: this API key may make ${limit} requests per minute`
    : `Rate limit exceeded: this API key may call ${route} ${limit} times per minute`;
}
