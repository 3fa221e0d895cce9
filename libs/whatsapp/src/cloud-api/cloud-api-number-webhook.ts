import { isObject } from './json-values';

/** Meta's messaging-limit tiers, as `current_limit` names them: unique people per moving 24 hours (null: unlimited). */
export const CURRENT_LIMIT_TIERS: Readonly<Record<string, number | null>> = {
  TIER_50: 50,
  TIER_250: 250,
  TIER_1K: 1_000,
  TIER_2K: 2_000,
  TIER_10K: 10_000,
  TIER_100K: 100_000,
  TIER_UNLIMITED: null,
};

/** A number's quality or its portfolio's limit changed (`phone_number_quality_update`, `business_capability_update`). */
export interface NumberQualityEvent {
  /** `entry[].id`: the WhatsApp Business Account. */
  wabaId: string;
  /** Digits of the number it is about; null for a portfolio-wide capability update. */
  phoneNumber: string | null;
  /** FLAGGED, UNFLAGGED, UPGRADE, DOWNGRADE...; null for a capability update. */
  event: string | null;
  /** The portfolio's messaging limit it gives (undefined: it says nothing of it; null: unlimited). */
  messagingLimit?: number | null;
  /** `entry[].time` (Unix seconds), repeated when Meta delivers the webhook again; null when absent. */
  time: number | null;
}

/** The number-quality and capability notifications of a Cloud API webhook; anything malformed is skipped. */
export function parseNumberQualityWebhook(payload: unknown): NumberQualityEvent[] {
  if (!isObject(payload) || !Array.isArray(payload.entry)) return [];
  const events: NumberQualityEvent[] = [];
  for (const entry of payload.entry as unknown[]) {
    if (!isObject(entry) || !Array.isArray(entry.changes) || (typeof entry.id !== 'string' && typeof entry.id !== 'number')) continue;
    const time = typeof entry.time === 'number' ? entry.time : null;
    for (const change of entry.changes as unknown[]) {
      if (!isObject(change) || !isObject(change.value)) continue;
      const { value } = change;
      const limit = limitOf(value);
      if (change.field === 'phone_number_quality_update' && typeof value.display_phone_number === 'string' && typeof value.event === 'string') {
        const phoneNumber = value.display_phone_number.replace(/\D/g, '');
        events.push({ wabaId: String(entry.id), phoneNumber, event: value.event.toUpperCase(), ...(limit !== undefined ? { messagingLimit: limit } : {}), time });
      } else if (change.field === 'business_capability_update' && limit !== undefined) {
        events.push({ wabaId: String(entry.id), phoneNumber: null, event: null, messagingLimit: limit, time });
      }
    }
  }
  return events;
}

/** `max_daily_conversations_per_business` (a number, or -1 / "unlimited"), else `current_limit`'s tier. */
function limitOf(value: Record<string, unknown>): number | null | undefined {
  const perBusiness = value.max_daily_conversations_per_business;
  if (typeof perBusiness === 'number' && Number.isInteger(perBusiness)) return perBusiness < 0 ? null : perBusiness;
  if (typeof perBusiness === 'string' && /^unlimited$/i.test(perBusiness)) return null;
  const tier = typeof value.current_limit === 'string' ? value.current_limit.toUpperCase() : undefined;
  return tier !== undefined && tier in CURRENT_LIMIT_TIERS ? CURRENT_LIMIT_TIERS[tier] : undefined;
}
