import { createHmac, timingSafeEqual } from 'node:crypto';

/** Headers of every event delivery. */
export const SIGNATURE_HEADER = 'X-Signature';
export const TIMESTAMP_HEADER = 'X-Timestamp';
export const EVENT_ID_HEADER = 'X-Event-Id';
export const EVENT_TYPE_HEADER = 'X-Event-Type';
export const DELIVERY_ID_HEADER = 'X-Delivery-Id';

/** How old a delivery's timestamp may be before a receiver should refuse it as a replay (what the docs advise). */
export const SIGNATURE_TOLERANCE_SECONDS = 300;

/** Hex HMAC-SHA256 of `<timestamp>.<body>` with one secret. */
function hmacOf(secret: string, timestamp: number, body: string): string {
  return createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
}

/**
 * `t=<timestamp>,v1=<hex>[,v1=<hex>]` (Stripe's scheme): one `v1` per secret in force, the newest
 * first. While a rotated-out secret's grace period lasts, deliveries carry its signature too, so a
 * receiver that still holds only the old secret keeps verifying them.
 */
export function signatureHeader(secrets: readonly string[], timestamp: number, body: string): string {
  return [`t=${timestamp}`, ...secrets.map((secret) => `v1=${hmacOf(secret, timestamp, body)}`)].join(',');
}

/**
 * What a receiver does with a delivery (also the reference for docs/tenancy.md): the timestamp
 * recent, so that a captured delivery cannot be replayed later, and one `v1` equal, in constant
 * time, to this body's signature with this timestamp and the receiver's secret.
 */
export function verifyEventSignature(
  secret: string,
  header: string | undefined,
  body: string,
  now: Date = new Date(),
  toleranceSeconds: number = SIGNATURE_TOLERANCE_SECONDS,
): boolean {
  const parts = (header ?? '').split(',').map((part) => part.trim().split('='));
  const seconds = Number(parts.find(([name]) => name === 't')?.[1]);
  if (!Number.isInteger(seconds) || Math.abs(now.getTime() / 1000 - seconds) > toleranceSeconds) return false;
  const expected = Buffer.from(hmacOf(secret, seconds, body));
  return parts
    .filter(([name, value]) => name === 'v1' && value !== undefined)
    .some(([, value]) => {
      const given = Buffer.from(value);
      return given.length === expected.length && timingSafeEqual(given, expected);
    });
}
