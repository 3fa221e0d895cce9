import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * Whether an Authorization header carries the metrics bearer token; always true when none is
 * configured. Compared as hashes in constant time, so neither length nor content leaks by timing.
 */
export function metricsTokenAccepted(token: string | null, authorization: string | undefined): boolean {
  if (token === null) return true;
  const presented = /^Bearer\s+(\S+)$/i.exec(authorization ?? '')?.[1];
  if (presented === undefined) return false;
  const digest = (text: string): Buffer => createHash('sha256').update(text).digest();
  return timingSafeEqual(digest(presented), digest(token));
}

/** Sent with a 401 so that a scraper's log says what is expected. */
export const METRICS_CHALLENGE = 'Bearer realm="metrics"';
