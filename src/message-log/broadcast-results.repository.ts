import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model, mongo, Types } from 'mongoose';
import { cursorChunks } from '../core/cursor-chunks';
import { nativeCollection } from '../core/native-collection';
import type { IndexSpec } from '../core/schema-indexes';
import { DELIVERED_STATUSES, MessageStatus, READ_STATUSES, UNSENT_STATUSES } from '../message-status/message-status';
import { broadcastRecipientMessageUid } from './message-log.repository';
import { MessageError, MessageLog, MessageLogRecord, MessageStatusTimes } from './message-log.schema';

/**
 * What the report's queries need: one broadcast's entries of one client. The write side's
 * (broadcast_id, status) index serves the match too; this one also orders them by send time.
 */
export const BROADCAST_RESULTS_INDEXES: readonly IndexSpec[] = [{ keys: { client_id: 1, broadcast_id: 1, 'status_times.sentAt': 1 } }];

/** The per-minute series' figures: when each message reached the status. */
export const SERIES_FIELDS = ['sent', 'delivered', 'read', 'failed'] as const;
export type SeriesField = (typeof SERIES_FIELDS)[number];

/** What the ledger says of one broadcast's messages, summed up in one aggregation. */
export interface LedgerTotals {
  /** Messages the provider accepted (sent or beyond, or failed after it was sent). */
  sent: number;
  delivered: number;
  read: number;
  replied: number;
  failed: number;
  billedUsdCents: number;
  firstSentAt: Date | null;
  lastSentAt: Date | null;
}

export interface LedgerResults {
  totals: LedgerTotals;
  /** Failed messages by the provider's code, with the first message seen for it. */
  failures: Array<{ code: string; message: string | null; count: number }>;
  /** Sent messages no pricing report has priced yet, per template category (null: not a template), for the cost estimate. */
  unpricedByCategory: Array<{ category: string | null; count: number }>;
  /** One row per minute (its start) and figure with at least one message. */
  series: Array<{ minute: Date; field: SeriesField; count: number }>;
}

/** One broadcast recipient's message as the per-recipient export shows it (only these fields are read). */
export interface RecipientResult {
  recipient: string;
  contact: { name: string | null } | null;
  status: MessageStatus;
  status_times: Pick<MessageStatusTimes, 'sentAt' | 'deliveredAt' | 'readAt' | 'failedAt'>;
  error: MessageError | null;
  cost_in_usd_cents: number;
  replied_at?: Date | null;
}

const RESULT_FIELDS = {
  _id: 0,
  recipient: 1,
  'contact.name': 1,
  status: 1,
  'status_times.sentAt': 1,
  'status_times.deliveredAt': 1,
  'status_times.readAt': 1,
  'status_times.failedAt': 1,
  error: 1,
  cost_in_usd_cents: 1,
  replied_at: 1,
} as const;

/** Minutes since the epoch, as the start of the minute: plain date arithmetic, the same on every MongoDB version. */
const minuteOf = (field: string): Record<string, unknown> => ({ $subtract: [field, { $mod: [{ $subtract: [field, new Date(0)] }, 60_000] }] });
const isSet = (field: string): Record<string, unknown> => ({ $cond: [{ $gt: [field, null] }, 1, 0] });
const isIn = (statuses: readonly string[]): Record<string, unknown> => ({ $cond: [{ $in: ['$status', [...statuses]] }, 1, 0] });
/** When a message was delivered: a read receipt without a delivery report counts as both. */
const DELIVERED_AT = { $ifNull: ['$status_times.deliveredAt', '$status_times.readAt'] };

/**
 * A broadcast's results, read from the ledger: its totals, failures by code, the per-minute
 * series (one $facet over the broadcast's entries, found by index), the time its deliveries
 * took, and each recipient's message for the export. Work is bounded by the broadcast's size.
 */
@Injectable()
export class BroadcastResultsRepository {
  private readonly ledger: mongo.Collection<MessageLogRecord>;

  constructor(@InjectModel(MessageLog.name) messageLogs: Model<MessageLog>) {
    this.ledger = nativeCollection<MessageLog, MessageLogRecord>(messageLogs);
  }

  async resultsOf(clientId: string, broadcastId: string): Promise<LedgerResults> {
    const [facets] = await this.ledger
      .aggregate<{
        totals: Array<Omit<LedgerTotals, 'firstSentAt' | 'lastSentAt'> & { firstSentAt: Date | null; lastSentAt: Date | null }>;
        failures: Array<{ _id: string | null; message: string | null; count: number }>;
        categories: Array<{ _id: string | null; count: number }>;
        series: Array<{ _id: { field: SeriesField; minute: Date }; count: number }>;
      }>([
        { $match: this.ofBroadcast(clientId, broadcastId) },
        {
          $facet: {
            totals: [
              {
                $group: {
                  _id: null,
                  sent: { $sum: isSet('$status_times.sentAt') },
                  delivered: { $sum: isIn(DELIVERED_STATUSES) },
                  read: { $sum: isIn(READ_STATUSES) },
                  replied: { $sum: isSet('$replied_at') },
                  failed: { $sum: isIn(['failed']) },
                  billedUsdCents: { $sum: '$cost_in_usd_cents' },
                  firstSentAt: { $min: '$status_times.sentAt' },
                  lastSentAt: { $max: '$status_times.sentAt' },
                },
              },
            ],
            failures: [{ $match: { status: 'failed' } }, { $group: { _id: '$error.code', message: { $first: '$error.message' }, count: { $sum: 1 } } }],
            categories: [{ $match: { 'status_times.sentAt': { $ne: null }, cost_in_usd_cents: { $lte: 0 } } }, { $group: { _id: '$template_category', count: { $sum: 1 } } }],
            series: [
              {
                $project: {
                  at: [
                    { field: 'sent', at: '$status_times.sentAt' },
                    { field: 'delivered', at: DELIVERED_AT },
                    { field: 'read', at: '$status_times.readAt' },
                    { field: 'failed', at: '$status_times.failedAt' },
                  ],
                },
              },
              { $unwind: '$at' },
              { $match: { 'at.at': { $ne: null } } },
              { $group: { _id: { field: '$at.field', minute: minuteOf('$at.at') }, count: { $sum: 1 } } },
            ],
          },
        },
      ])
      .toArray();
    const totals = facets?.totals[0];
    return {
      totals: {
        sent: totals?.sent ?? 0,
        delivered: totals?.delivered ?? 0,
        read: totals?.read ?? 0,
        replied: totals?.replied ?? 0,
        failed: totals?.failed ?? 0,
        billedUsdCents: totals?.billedUsdCents ?? 0,
        // $min over no dates answers null; the stand-in leaves it out.
        firstSentAt: totals?.firstSentAt ?? null,
        lastSentAt: totals?.lastSentAt ?? null,
      },
      failures: (facets?.failures ?? []).map(({ _id, message, count }) => ({ code: _id ?? 'unknown', message: message ?? null, count })),
      unpricedByCategory: (facets?.categories ?? []).map(({ _id, count }) => ({ category: _id ?? null, count })),
      series: (facets?.series ?? [])
        .map(({ _id, count }) => ({ minute: new Date(_id.minute), field: _id.field, count }))
        .sort((a, b) => a.minute.getTime() - b.minute.getTime() || SERIES_FIELDS.indexOf(a.field) - SERIES_FIELDS.indexOf(b.field)),
    };
  }

  /** When the broadcast's `rank`-th delivery (1-based, in time order) happened; null when fewer were delivered. */
  async nthDeliveryAt(clientId: string, broadcastId: string, rank: number): Promise<Date | null> {
    if (rank < 1) return null;
    const [found] = await this.ledger
      .aggregate<{ at: Date }>([
        { $match: { ...this.ofBroadcast(clientId, broadcastId), status: { $in: [...DELIVERED_STATUSES] } } },
        { $project: { _id: 0, at: DELIVERED_AT } },
        { $sort: { at: 1 } },
        { $skip: rank - 1 },
        { $limit: 1 },
      ])
      .toArray();
    return found ? new Date(found.at) : null;
  }

  /**
   * The broadcast's messages the sender has finished with (sent, delivered, read, failed), in send
   * order, `size` at a time from one cursor over its index: the export's main pass.
   */
  async *finishedResults(clientId: string, broadcastId: string, size: number): AsyncGenerator<RecipientResult[]> {
    const cursor = this.ledger
      .find({ ...this.ofBroadcast(clientId, broadcastId), status: { $nin: [...UNSENT_STATUSES] } }, { projection: RESULT_FIELDS, batchSize: size })
      .sort({ 'status_times.sentAt': 1 });
    yield* cursorChunks(cursor, size);
  }

  /**
   * These recipients' messages of the broadcast (recipients without one are absent), found by
   * their derived message_uid on the unique index: for the recipients still pending.
   */
  async recipientResults(clientId: string, broadcastId: string, recipients: string[]): Promise<Map<string, RecipientResult>> {
    if (recipients.length === 0) return new Map();
    const found = await this.ledger
      .find(
        { client_id: new Types.ObjectId(clientId), message_uid: { $in: recipients.map((recipient) => broadcastRecipientMessageUid(broadcastId, recipient)) } },
        { projection: { ...RESULT_FIELDS, broadcast_id: 1 } },
      )
      .toArray();
    // A uid is a hash: the broadcast id confirms the entry is this broadcast's.
    return new Map(found.filter((entry) => entry.broadcast_id?.toHexString() === broadcastId).map((entry) => [entry.recipient, entry]));
  }

  private ofBroadcast(clientId: string, broadcastId: string): mongo.Filter<MessageLogRecord> {
    return { client_id: new Types.ObjectId(clientId), broadcast_id: new Types.ObjectId(broadcastId) };
  }
}
