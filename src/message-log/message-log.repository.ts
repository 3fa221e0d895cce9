import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { AccumulatorOperator, FilterQuery, isValidObjectId, Model, mongo, Types } from 'mongoose';
import { createHash, randomBytes } from 'node:crypto';
import { containsLiteral, PageRequest, PageResult, skipFor } from '@app/common';
import {
  DELIVERED_STATUSES,
  DeliveryCounts,
  FAILED_STATUSES,
  READ_STATUSES,
  SENT_STATUSES,
} from './delivery-outcome';
import { findPage, NEWEST_FIRST } from '../core/find-page';
import type { MessageCursor } from './message-cursor';
import {
  MESSAGE_STATUS_RANK,
  MESSAGE_STATUSES,
  MessageLog,
  MessageLogRecord,
  MessageSource,
  MessageStatus,
} from './message-log.schema';

/** The message parts as stored on a message log (ids as hex strings). */
export interface MessageContentInput {
  text: string | null;
  attachments: string[];
  location: { lat: number; lng: number; name: string | null; address: string | null } | null;
  contactId: string | null;
  template?: { name: string; language: string; components?: unknown[] } | null;
}

export interface NewMessageLog {
  clientId: string;
  sessionId: string;
  source: MessageSource;
  broadcastId: string | null;
  recipient: string;
  contact: { contactId: string | null; name: string | null };
  message: MessageContentInput;
  /** 16 hex characters; generated when not given. */
  messageUid?: string;
}

export interface MessageFailure {
  code: string;
  message: string;
}

const DUPLICATE_KEY = 11000;

/** A new message_uid: 16 hex characters (what POST /v1/messages answers and seed 004 lists). */
export function newMessageUid(): string {
  return randomBytes(8).toString('hex');
}

/**
 * The message_uid of one broadcast recipient's entry: derived, so that the unique
 * message_uid index alone guarantees one entry per recipient (on any MongoDB server, with
 * no partial index), and a re-run job finds the entry it made before.
 */
export function broadcastRecipientMessageUid(broadcastId: string, recipient: string): string {
  return createHash('sha256').update(`${broadcastId}:${recipient}`).digest('hex').slice(0, 16);
}

/**
 * The statuses a message log may move to `status` from: only forward (MESSAGE_STATUS_RANK),
 * and `failed` only ends a message that was not yet delivered.
 */
export function statusesBefore(status: MessageStatus): MessageStatus[] {
  if (status === 'failed') return ['queued', 'sending', 'sent'];
  return MESSAGE_STATUSES.filter((other) => other !== 'failed' && MESSAGE_STATUS_RANK[other] < MESSAGE_STATUS_RANK[status]);
}

const oid = (id: string): Types.ObjectId => new Types.ObjectId(id);

/** Whose messages a seed 000 list shows: one session's, or (sessionId null) every session's of the client. */
export interface MessageLogScope {
  clientId: string;
  sessionId: string | null;
}

/** Seed 004's filters, already validated and converted; every field narrows the set. */
export interface ApiRequestFilter {
  sent?: boolean;
  read?: boolean;
  templateName?: string;
  messageUid?: string;
  /** Inclusive lower bound on createdAt. */
  createdFrom?: Date;
  /** Exclusive upper bound on createdAt. */
  createdBefore?: Date;
  /** Digits that the recipient's number contains. */
  contactNumberDigits?: string;
  /** Text that the contact's name contains, ignoring case, matched literally. */
  contactName?: string;
}

/** The fields of a message log that seed 004 shows. */
export type ApiRequestRow = Pick<MessageLogRecord, '_id' | 'template_name' | 'message_uid' | 'recipient' | 'contact' | 'status' | 'createdAt'>;

export interface ApiRequestPage {
  counts: DeliveryCounts;
  items: ApiRequestRow[];
}

/** A page of one recipient's messages, newest first, and whether more lie beyond it in the cursor's direction. */
export interface CursorPage {
  items: MessageLogRecord[];
  hasMore: boolean;
}

/** Newest first, ties broken by _id so that every position in the list is unique. */
const OLDEST_FIRST = { createdAt: 1, _id: 1 } as const;

const API_REQUEST_FIELDS = { template_name: 1, message_uid: 1, recipient: 1, contact: 1, status: 1, createdAt: 1 } as const;

const countWhereStatusIn = (statuses: readonly MessageStatus[]): AccumulatorOperator => ({
  $sum: { $cond: [{ $in: ['$status', [...statuses]] }, 1, 0] },
});

@Injectable()
export class MessageLogRepository {
  constructor(@InjectModel(MessageLog.name) private readonly messageLogs: Model<MessageLog>) {}

  // ---------------------------------------------------------------------------------------
  // Writes: the sending pipeline (queue, processor) and delivery status updates.
  // Every status change is conditional on the current status, so that repeated or
  // out-of-order updates are harmless.
  // ---------------------------------------------------------------------------------------

  /** A new logical message in `queued` (POST /v1/messages). */
  async createQueued(entry: NewMessageLog): Promise<MessageLogRecord> {
    const created = await this.messageLogs.create(this.newDocument(entry));
    return created.toObject<MessageLogRecord>();
  }

  /**
   * The entry of one broadcast recipient, created in `queued` on first use; a re-run job
   * (retry, sweep) finds the same entry (its message_uid is derived from broadcast and recipient).
   */
  async findOrCreateForBroadcastRecipient(entry: NewMessageLog & { broadcastId: string }): Promise<MessageLogRecord> {
    const messageUid = broadcastRecipientMessageUid(entry.broadcastId, entry.recipient);
    const upsert = () =>
      this.messageLogs
        .findOneAndUpdate(
          { message_uid: messageUid },
          { $setOnInsert: this.newDocument({ ...entry, messageUid }) },
          { upsert: true, new: true, setDefaultsOnInsert: false },
        )
        .lean<MessageLogRecord>()
        .exec();
    try {
      return await upsert();
    } catch (error) {
      // Two workers upserted the same recipient at once: the loser reads the winner's entry.
      if (error instanceof mongo.MongoServerError && error.code === DUPLICATE_KEY) return await upsert();
      throw error;
    }
  }

  async findById(id: string): Promise<MessageLogRecord | null> {
    if (!isValidObjectId(id)) return null;
    return this.messageLogs.findById(id).lean<MessageLogRecord>().exec();
  }

  /** One more provider attempt begins: `queued` becomes `sending`; attempts counts every try. */
  async markSendingAttempt(id: string, at: Date = new Date()): Promise<void> {
    await this.messageLogs
      .updateOne({ _id: oid(id), status: { $in: statusesBefore('sending') } }, { $set: { status: 'sending', 'status_times.sendingAt': at } })
      .exec();
    await this.messageLogs.updateOne({ _id: oid(id) }, { $inc: { attempts: 1 } }).exec();
  }

  /** One wire message of this logical message was accepted by the provider (pushed in send order). */
  async recordProviderMessage(id: string, providerMessageId: string, costInUsdCents = 0): Promise<void> {
    await this.messageLogs
      .updateOne({ _id: oid(id) }, { $push: { provider_message_ids: providerMessageId }, $inc: { cost_in_usd_cents: costInUsdCents } })
      .exec();
  }

  async addCost(id: string, costInUsdCents: number): Promise<void> {
    await this.messageLogs.updateOne({ _id: oid(id) }, { $inc: { cost_in_usd_cents: costInUsdCents } }).exec();
  }

  /** Moves the entry forward to `status` (sent, delivered, read); a no-op when it is already there or beyond. */
  async advanceStatus(id: string, status: Exclude<MessageStatus, 'failed' | 'queued'>, at: Date = new Date()): Promise<boolean> {
    const result = await this.messageLogs
      .updateOne({ _id: oid(id), status: { $in: statusesBefore(status) } }, { $set: { status, [`status_times.${status}At`]: at } })
      .exec();
    return result.modifiedCount === 1;
  }

  /** Ends an unfinished (not yet delivered) entry as `failed` with the provider's reason. */
  async markFailed(id: string, failure: MessageFailure, at: Date = new Date()): Promise<boolean> {
    const result = await this.messageLogs
      .updateOne(
        { _id: oid(id), status: { $in: statusesBefore('failed') } },
        { $set: { status: 'failed', 'status_times.failedAt': at, error: failure } },
      )
      .exec();
    return result.modifiedCount === 1;
  }

  /**
   * A delivery report (webhook, sandbox) for one of the entry's wire messages. It only
   * moves entries whose every wire message was sent: while the sender is still sending the
   * other parts, the entry's own outcome is the sender's to write.
   */
  async applyDeliveryStatus(id: string, status: 'delivered' | 'read' | 'failed', at: Date, failure?: MessageFailure): Promise<boolean> {
    const from = statusesBefore(status).filter((candidate) => MESSAGE_STATUS_RANK[candidate] >= MESSAGE_STATUS_RANK.sent);
    const set: Record<string, unknown> = { status, [`status_times.${status}At`]: at };
    if (status === 'failed') set.error = failure ?? { code: 'delivery_failed', message: 'The provider reported the message as failed' };
    const result = await this.messageLogs.updateOne({ _id: oid(id), status: { $in: from } }, { $set: set }).exec();
    return result.modifiedCount === 1;
  }

  // ---------------------------------------------------------------------------------------
  // Reads used by the sending pipeline.
  // ---------------------------------------------------------------------------------------

  /** Recipients of a broadcast whose message failed, with the reason (GET /broadcast/:id). */
  async failuresOfBroadcast(broadcastId: string): Promise<Array<{ recipient: string; error: MessageFailure | null }>> {
    return this.messageLogs
      .find({ broadcast_id: oid(broadcastId), status: 'failed' }, { _id: 0, recipient: 1, error: 1 })
      .lean<Array<{ recipient: string; error: MessageFailure | null }>>()
      .exec();
  }

  // ---------------------------------------------------------------------------------------
  // Reads: the three views of the ledger (seeds 000, 003, 004).
  // ---------------------------------------------------------------------------------------

  /** Seed 000: a page of the client's (or one session's) message logs, newest first. */
  async listForScope(scope: MessageLogScope, page: PageRequest): Promise<PageResult<MessageLogRecord>> {
    const filter: FilterQuery<MessageLog> = { client_id: new Types.ObjectId(scope.clientId) };
    if (scope.sessionId) filter.session_id = new Types.ObjectId(scope.sessionId);
    return findPage<MessageLog, MessageLogRecord>(this.messageLogs, filter, page);
  }

  /** One entry, only if it belongs to the client; another client's id reads as missing. */
  async findForClient(clientId: string, id: string): Promise<MessageLogRecord | null> {
    if (!isValidObjectId(id)) return null;
    return this.messageLogs
      .findOne({ _id: new Types.ObjectId(id), client_id: new Types.ObjectId(clientId) })
      .lean<MessageLogRecord>()
      .exec();
  }

  /**
   * Seed 003: up to `limit` messages to one recipient, newest first. Without a cursor the
   * page starts at the newest message; with one it continues strictly after (older) or
   * before (newer) the cursor's position, so messages that arrive meanwhile never shift it.
   */
  async pageForRecipient(clientId: string, recipient: string, limit: number, cursor: MessageCursor | null): Promise<CursorPage> {
    const filter: FilterQuery<MessageLog> = { client_id: new Types.ObjectId(clientId), recipient };
    const towardsNewer = cursor?.direction === 'newer';
    if (cursor) {
      const comparison = towardsNewer ? '$gt' : '$lt';
      const id = new Types.ObjectId(cursor.id);
      filter.$or = [{ createdAt: { [comparison]: cursor.createdAt } }, { createdAt: cursor.createdAt, _id: { [comparison]: id } }];
    }
    const found = await this.messageLogs
      .find(filter)
      .sort(towardsNewer ? OLDEST_FIRST : NEWEST_FIRST)
      .limit(limit + 1)
      .lean<MessageLogRecord[]>()
      .exec();
    const items = found.slice(0, limit);
    return { items: towardsNewer ? items.reverse() : items, hasMore: found.length > limit };
  }

  /**
   * Seed 004: the client's API requests (messages sent through POST /v1/messages) that
   * match the filter: the counts over the whole filtered set and one page of it, newest
   * first, in a single aggregation.
   */
  async findApiRequests(clientId: string, filter: ApiRequestFilter, page: PageRequest): Promise<ApiRequestPage> {
    const [result] = await this.messageLogs
      .aggregate<{ counts: Array<DeliveryCounts>; page: ApiRequestRow[] }>([
        { $match: this.apiRequestMatch(clientId, filter) },
        // Sorted before the facet, where the index on (client_id, source, createdAt, _id) can serve it.
        { $sort: NEWEST_FIRST },
        {
          $facet: {
            counts: [
              {
                $group: {
                  _id: null,
                  totalMessages: { $sum: 1 },
                  sentCount: countWhereStatusIn(SENT_STATUSES),
                  deliveredCount: countWhereStatusIn(DELIVERED_STATUSES),
                  readCount: countWhereStatusIn(READ_STATUSES),
                  failedCount: countWhereStatusIn(FAILED_STATUSES),
                },
              },
              { $project: { _id: 0 } },
            ],
            page: [{ $skip: skipFor(page) }, { $limit: page.limit }, { $project: API_REQUEST_FIELDS }],
          },
        },
      ])
      .exec();
    const counts = result?.counts[0] ?? { totalMessages: 0, sentCount: 0, deliveredCount: 0, readCount: 0, failedCount: 0 };
    return { counts, items: result?.page ?? [] };
  }

  // ---------------------------------------------------------------------------------------
  // Retention: the worker deletes old entries in small batches.
  // ---------------------------------------------------------------------------------------

  /**
   * Deletes up to `batchSize` entries created before `cutoff`, by id, so that no single delete
   * holds the collection for long; answers how many went (0: none older are left).
   */
  async deleteOlderThan(cutoff: Date, batchSize: number): Promise<number> {
    const old = await this.messageLogs
      .find({ createdAt: { $lt: cutoff } }, { _id: 1 })
      .limit(batchSize)
      .lean<Array<{ _id: Types.ObjectId }>>()
      .exec();
    if (old.length === 0) return 0;
    const { deletedCount } = await this.messageLogs.deleteMany({ _id: { $in: old.map(({ _id }) => _id) } }).exec();
    return deletedCount;
  }

  private apiRequestMatch(clientId: string, filter: ApiRequestFilter): FilterQuery<MessageLog> {
    const match: FilterQuery<MessageLog> = { client_id: new Types.ObjectId(clientId), source: 'api' };
    const status: Array<FilterQuery<MessageLog>> = [];
    if (filter.sent !== undefined) status.push({ status: { [filter.sent ? '$in' : '$nin']: SENT_STATUSES } });
    if (filter.read !== undefined) status.push({ status: { [filter.read ? '$in' : '$nin']: READ_STATUSES } });
    if (status.length > 0) match.$and = status;
    if (filter.templateName !== undefined) match.template_name = filter.templateName;
    if (filter.messageUid !== undefined) match.message_uid = filter.messageUid;
    if (filter.createdFrom || filter.createdBefore) {
      match.createdAt = {
        ...(filter.createdFrom && { $gte: filter.createdFrom }),
        ...(filter.createdBefore && { $lt: filter.createdBefore }),
      };
    }
    if (filter.contactNumberDigits !== undefined) match.recipient = containsLiteral(filter.contactNumberDigits);
    if (filter.contactName !== undefined) match['contact.name'] = containsLiteral(filter.contactName);
    return match;
  }

  private newDocument(entry: NewMessageLog): Record<string, unknown> {
    const now = new Date();
    return {
      client_id: oid(entry.clientId),
      session_id: oid(entry.sessionId),
      source: entry.source,
      broadcast_id: entry.broadcastId ? oid(entry.broadcastId) : null,
      recipient: entry.recipient,
      contact: {
        contact_id: entry.contact.contactId ? oid(entry.contact.contactId) : null,
        name: entry.contact.name,
        phone: entry.recipient,
      },
      message: {
        text: entry.message.text,
        attachments: entry.message.attachments.map(oid),
        location: entry.message.location,
        contactId: entry.message.contactId ? oid(entry.message.contactId) : null,
        template: entry.message.template ?? null,
      },
      template_name: entry.message.template?.name ?? null,
      message_uid: entry.messageUid ?? newMessageUid(),
      status: 'queued',
      status_times: { queuedAt: now, sendingAt: null, sentAt: null, deliveredAt: null, readAt: null, failedAt: null },
      provider_message_ids: [],
      error: null,
      cost_in_usd_cents: 0,
      attempts: 0,
    };
  }
}
