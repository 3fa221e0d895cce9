import { createHmac, timingSafeEqual } from 'node:crypto';

/** Headers of every event delivery. */
export const SIGNATURE_HEADER = 'X-Signature';
export const TIMESTAMP_HEADER = 'X-Timestamp';
export const EVENT_ID_HEADER = 'X-Event-Id';
export const EVENT_TYPE_HEADER = 'X-Event-Type';
export const DELIVERY_ID_HEADER = 'X-Delivery-Id';

/** How old a delivery's timestamp may be before a receiver should refuse it as a replay (what the README advises). */
export const SIGNATURE_TOLERANCE_SECONDS = 300;

/** `sha256=<hex>`: HMAC-SHA256 of `<timestamp>.<body>` with the endpoint's secret (Stripe's scheme). */
export function signEvent(secret: string, timestamp: number, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/**
 * What a receiver does with a delivery (also the reference for the README): the signature
 * must be this body's with this timestamp, compared in constant time, and the timestamp
 * recent, so that a captured delivery cannot be replayed later.
 */
export function verifyEventSignature(
  secret: string,
  signature: string | undefined,
  timestamp: string | undefined,
  body: string,
  now: Date = new Date(),
  toleranceSeconds: number = SIGNATURE_TOLERANCE_SECONDS,
): boolean {
  const seconds = Number(timestamp);
  if (!signature || !Number.isInteger(seconds) || Math.abs(now.getTime() / 1000 - seconds) > toleranceSeconds) return false;
  const expected = Buffer.from(signEvent(secret, seconds, body));
  const given = Buffer.from(signature);
  return expected.length === given.length && timingSafeEqual(expected, given);
}
