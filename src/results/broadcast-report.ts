import { CLOUD_API_ERROR_TITLES, PriceList } from '@app/whatsapp';
import { NO_OPT_IN_CODE } from '../broadcast/broadcast-audience';
import { broadcastCounts, BroadcastStatus } from '../broadcast/broadcast.schema';
import { INVALID_NUMBER_CODE } from '../broadcast/broadcast.service';
import type { LedgerResults, SeriesField } from '../message-log/broadcast-results.repository';
import type { PlanCost } from '../rate-card/cost-estimate';

/** Titles of the reasons this service gives itself (the others are Meta's codes). */
const OWN_FAILURE_TITLES: Readonly<Record<string, string>> = {
  [INVALID_NUMBER_CODE]: 'Invalid phone number',
  [NO_OPT_IN_CODE]: 'No opt-in',
  opted_out: 'Opted out',
  outside_customer_service_window: 'Outside the customer-service window',
  network_error: 'Network error',
  timeout: 'Provider timeout',
  delivery_failed: 'Delivery failed',
};

/** Reasons that mean the person asked not to get messages: ours, and Meta's "stopped marketing messages". */
export const OPTED_OUT_CODES: readonly string[] = ['opted_out', '131050'];

/** The shares of the sent messages whose delivery time the report gives. */
export const DELIVERY_MILESTONES = [0.5, 0.9] as const;

export function failureTitle(code: string): string {
  return OWN_FAILURE_TITLES[code] ?? CLOUD_API_ERROR_TITLES[code] ?? code;
}

export interface FailureReason {
  code: string;
  /** Meta's title of the code (or ours, for reasons of this service). */
  title: string;
  /** A message given with it (the first one seen). */
  message: string | null;
  count: number;
}

export interface SeriesPoint {
  /** Start of the minute, UTC. */
  minute: string;
  sent: number;
  delivered: number;
  read: number;
  failed: number;
}

/** GET /broadcast/:id/report. */
export interface BroadcastReport {
  broadcast_id: string;
  status: BroadcastStatus;
  recipients: number;
  pending: number;
  sent: number;
  delivered: number;
  read: number;
  replied: number;
  failed: number;
  opted_out: number;
  waiting_for_limit: number;
  failures: FailureReason[];
  /**
   * Actual and estimated side by side: billed from the pricing webhooks (and the flat per-category
   * prices for what no webhook has priced yet), and `planned`, the plan's estimate at the rate card
   * in force when the broadcast was created (null when none was).
   */
  cost: { billed_usd_cents: number; estimated_usd_cents: number; planned: PlannedCost | null };
  first_sent_at: string | null;
  last_sent_at: string | null;
  /** Seconds from the first send until this share of the sent messages was delivered; null until it is. */
  time_to_delivered: { p50_seconds: number | null; p90_seconds: number | null };
  series: SeriesPoint[];
  generated_at: string;
}

/** The plan's cost estimate as the report repeats it. */
export type PlannedCost = Pick<PlanCost, 'currency' | 'rate_card_effective_from' | 'category' | 'estimated_total' | 'by_market'>;

/** What the report is made of: the broadcast's arrays (and counts), and what the ledger says. */
export interface ReportInputs {
  broadcastId: string;
  status: BroadcastStatus;
  /** The broadcast's counts from its arrays; `waiting_for_limit` when the messaging limit holds recipients back. */
  arrays: { recipients: number; pending: number; sent: number; failed: number; waiting_for_limit?: number };
  ledger: LedgerResults;
  /** Reasons stored with the broadcast (refused at creation), by code. */
  storedFailures: Array<{ code: string; message: string; count: number }>;
  /** When the n-th delivery happened, for each milestone's n (see deliveryRanks). */
  deliveryTimes: Array<Date | null>;
  prices: PriceList;
  /** The cost of the plan the broadcast was created with (null: no rate card was in force, or a broadcast older than plans). */
  plannedCost: PlanCost | null;
  now: Date;
}

/** How many deliveries each milestone needs, out of `sent` messages. */
export function deliveryRanks(sent: number): number[] {
  return DELIVERY_MILESTONES.map((share) => (sent === 0 ? 0 : Math.ceil(sent * share)));
}

/**
 * The funnel: counts from the broadcast's arrays (`sent + pending + failed = recipients`) and the
 * ledger's delivered, read and replied, held to `read ≤ delivered ≤ sent` and `replied ≤ sent`
 * as everywhere (a report can reach the ledger before the sender's progress write).
 */
export function buildBroadcastReport(inputs: ReportInputs): BroadcastReport {
  const { arrays, ledger } = inputs;
  const counts = broadcastCounts(arrays, ledger.totals);
  const failures = mergeFailures(inputs.storedFailures, ledger.failures);
  const firstSent = ledger.totals.firstSentAt;
  const secondsAfterFirst = (at: Date | null | undefined): number | null =>
    at && firstSent ? Math.max(0, Math.round((at.getTime() - firstSent.getTime()) / 100) / 10) : null;
  const estimate = ledger.unpricedByCategory.reduce((sum, { category, count }) => sum + (category ? (inputs.prices[category] ?? 0) : 0) * count, 0);
  return {
    broadcast_id: inputs.broadcastId,
    status: inputs.status,
    ...counts,
    replied: Math.min(ledger.totals.replied, counts.sent),
    opted_out: failures.filter(({ code }) => OPTED_OUT_CODES.includes(code)).reduce((sum, { count }) => sum + count, 0),
    waiting_for_limit: arrays.waiting_for_limit ?? 0,
    failures,
    cost: { billed_usd_cents: roundCents(ledger.totals.billedUsdCents), estimated_usd_cents: roundCents(ledger.totals.billedUsdCents + estimate), planned: plannedOf(inputs.plannedCost) },
    first_sent_at: firstSent?.toISOString() ?? null,
    last_sent_at: ledger.totals.lastSentAt?.toISOString() ?? null,
    time_to_delivered: { p50_seconds: secondsAfterFirst(inputs.deliveryTimes[0]), p90_seconds: secondsAfterFirst(inputs.deliveryTimes[1]) },
    series: seriesOf(ledger.series),
    generated_at: inputs.now.toISOString(),
  };
}

function plannedOf(cost: PlanCost | null): PlannedCost | null {
  if (!cost) return null;
  const { currency, rate_card_effective_from, category, estimated_total, by_market } = cost;
  return { currency, rate_card_effective_from, category, estimated_total, by_market };
}

/** Failures by code, most frequent first: refused at creation (stored with the broadcast) and failed sends (the ledger). */
function mergeFailures(stored: ReportInputs['storedFailures'], ledger: LedgerResults['failures']): FailureReason[] {
  const byCode = new Map<string, FailureReason>();
  for (const { code, message, count } of [...stored, ...ledger]) {
    const known = byCode.get(code);
    if (known) known.count += count;
    else byCode.set(code, { code, title: failureTitle(code), message, count });
  }
  return [...byCode.values()].sort((a, b) => b.count - a.count || a.code.localeCompare(b.code));
}

/** One point per minute that has any figure, oldest first. */
function seriesOf(rows: LedgerResults['series']): SeriesPoint[] {
  const points = new Map<number, SeriesPoint>();
  for (const { minute, field, count } of rows) {
    const key = minute.getTime();
    const point = points.get(key) ?? { minute: minute.toISOString(), sent: 0, delivered: 0, read: 0, failed: 0 };
    point[field satisfies SeriesField] += count;
    points.set(key, point);
  }
  return [...points.entries()].sort(([a], [b]) => a - b).map(([, point]) => point);
}

/** Cents to two decimals (rate cards have fractions of a cent). */
function roundCents(cents: number): number {
  return Math.round(cents * 100) / 100;
}
