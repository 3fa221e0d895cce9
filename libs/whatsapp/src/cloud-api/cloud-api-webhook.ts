import { createHmac, timingSafeEqual } from 'node:crypto';
import { DELIVERY_STATUSES, DeliveryStatus, StatusUpdate } from '../provider';
import { isObject } from './json-values';
import { changeValues } from './webhook-payload';

/** The header in which Meta signs each webhook body. */
export const WEBHOOK_SIGNATURE_HEADER = 'x-hub-signature-256';

/** Price of one billable message per pricing category, in US cents. */
export type PriceList = Readonly<Record<string, number>>;

/** The status updates a webhook carries for one sender number. */
export interface StatusWebhookBatch {
  /** `metadata.phone_number_id`: which session the updates belong to. */
  phoneNumberId: string;
  updates: StatusUpdate[];
}

/** `sha256=<hex>` of the raw body with the app secret, as Meta computes it. */
export function signWebhookBody(rawBody: Buffer | string, appSecret: string): string {
  return `sha256=${createHmac('sha256', appSecret).update(rawBody).digest('hex')}`;
}

/**
 * True when the X-Hub-Signature-256 header is the HMAC-SHA256 of exactly these bytes
 * with the app secret. Compared in constant time; anything malformed is false.
 */
export function verifyWebhookSignature(rawBody: Buffer, signatureHeader: string | undefined, appSecret: string): boolean {
  const match = /^sha256=([0-9a-f]{64})$/i.exec(signatureHeader?.trim() ?? '');
  if (!match || !appSecret) return false;
  const expected = createHmac('sha256', appSecret).update(rawBody).digest();
  return timingSafeEqual(expected, Buffer.from(match[1], 'hex'));
}

/** `metadata.phone_number_id` of every change in a webhook payload, deduplicated. */
export function webhookPhoneNumberIds(payload: unknown): string[] {
  const ids = new Set<string>();
  for (const value of changeValues(payload)) {
    const id = phoneNumberIdOf(value);
    if (id) ids.add(id);
  }
  return [...ids];
}

/**
 * The delivery statuses in a Cloud API webhook (`entry[].changes[].value.statuses[]`),
 * grouped by sender number. Incoming messages and statuses we do not track (e.g.
 * `played`, `deleted`) are skipped, as is anything malformed: one bad item never
 * costs the others.
 */
export function parseStatusWebhook(payload: unknown, prices: PriceList = {}): StatusWebhookBatch[] {
  const batches = new Map<string, StatusUpdate[]>();
  for (const value of changeValues(payload)) {
    const phoneNumberId = phoneNumberIdOf(value);
    if (!phoneNumberId || !Array.isArray(value.statuses)) continue;
    const updates = batches.get(phoneNumberId) ?? [];
    for (const item of value.statuses as unknown[]) {
      const update = toStatusUpdate(item, prices);
      if (update) updates.push(update);
    }
    batches.set(phoneNumberId, updates);
  }
  return [...batches].map(([phoneNumberId, updates]) => ({ phoneNumberId, updates }));
}

/** "marketing=6.04,utility=0.77" → { marketing: 6.04, utility: 0.77 }; throws naming a bad entry. */
export function parsePriceList(text: string): PriceList {
  const prices: Record<string, number> = {};
  for (const entry of text.split(',').map((part) => part.trim()).filter(Boolean)) {
    const match = /^([a-z_]+)=(\d+(?:\.\d+)?)$/i.exec(entry);
    if (!match) throw new Error(`"${entry}" is not category=cents`);
    prices[match[1].toLowerCase()] = Number(match[2]);
  }
  return prices;
}

function toStatusUpdate(item: unknown, prices: PriceList): StatusUpdate | null {
  if (!isObject(item) || typeof item.id !== 'string' || !item.id) return null;
  if (!DELIVERY_STATUSES.includes(item.status as DeliveryStatus)) return null;
  const seconds = Number(item.timestamp);
  const update: StatusUpdate = {
    providerMessageId: item.id,
    status: item.status as DeliveryStatus,
    timestamp: Number.isFinite(seconds) && seconds > 0 ? new Date(seconds * 1000) : new Date(),
  };
  if (typeof item.recipient_id === 'string') update.recipient = item.recipient_id;
  const error = Array.isArray(item.errors) ? (item.errors as unknown[]).find(isObject) : undefined;
  if (error) update.error = describeStatusError(error);
  const cost = priceOf(item.pricing, prices);
  if (cost !== undefined) update.costInUsdCents = cost;
  return update;
}

function describeStatusError(error: Record<string, unknown>): { code: string; message: string } {
  const details = isObject(error.error_data) && typeof error.error_data.details === 'string' ? error.error_data.details : undefined;
  const title = typeof error.title === 'string' ? error.title : typeof error.message === 'string' ? error.message : undefined;
  const message = [title, details].filter((part, index, parts) => part && parts.indexOf(part) === index).join(': ');
  const code = typeof error.code === 'number' || typeof error.code === 'string' ? String(error.code) : 'unknown';
  return { code, message: message || 'Delivery failed' };
}

/**
 * What a message costs, from the status's `pricing`: free when Meta says it is not
 * billable (or a free type), else the configured price of its category; undefined when
 * the status has no pricing or the category has no configured price.
 */
function priceOf(pricing: unknown, prices: PriceList): number | undefined {
  if (!isObject(pricing)) return undefined;
  if (pricing.billable === false) return 0;
  if (typeof pricing.type === 'string' && pricing.type.startsWith('free')) return 0;
  const category = typeof pricing.category === 'string' ? pricing.category.toLowerCase() : undefined;
  return category !== undefined && category in prices ? prices[category] : undefined;
}

function phoneNumberIdOf(value: Record<string, unknown>): string | undefined {
  const id = isObject(value.metadata) ? value.metadata.phone_number_id : undefined;
  return typeof id === 'string' && id ? id : undefined;
}
