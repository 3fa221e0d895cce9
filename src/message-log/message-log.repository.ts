import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { AccumulatorOperator, FilterQuery, isValidObjectId, Model, Types } from 'mongoose';
import { containsLiteral, PageRequest, PageResult, skipFor } from '@app/common';
import {
  DELIVERED_STATUSES,
  DeliveryCounts,
  FAILED_STATUSES,
  READ_STATUSES,
  SENT_STATUSES,
} from './delivery-outcome';
import type { MessageCursor } from './message-cursor';
import { MessageLog, MessageLogRecord, MessageStatus } from './message-log.schema';

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
const NEWEST_FIRST = { createdAt: -1, _id: -1 } as const;
const OLDEST_FIRST = { createdAt: 1, _id: 1 } as const;

const API_REQUEST_FIELDS = { template_name: 1, message_uid: 1, recipient: 1, contact: 1, status: 1, createdAt: 1 } as const;

const countWhereStatusIn = (statuses: readonly MessageStatus[]): AccumulatorOperator => ({
  $sum: { $cond: [{ $in: ['$status', [...statuses]] }, 1, 0] },
});

@Injectable()
export class MessageLogRepository {
  constructor(@InjectModel(MessageLog.name) private readonly logs: Model<MessageLog>) {}

  // ---------------------------------------------------------------------------------
  // Reads: the three views of the ledger (seeds 000, 003, 004).
  // ---------------------------------------------------------------------------------

  /** Seed 000: a page of the client's (or one session's) message logs, newest first. */
  async listForScope(scope: MessageLogScope, page: PageRequest): Promise<PageResult<MessageLogRecord>> {
    const filter: FilterQuery<MessageLog> = { client_id: new Types.ObjectId(scope.clientId) };
    if (scope.sessionId) filter.session_id = new Types.ObjectId(scope.sessionId);
    const [items, total] = await Promise.all([
      this.logs.find(filter).sort(NEWEST_FIRST).skip(skipFor(page)).limit(page.limit).lean<MessageLogRecord[]>().exec(),
      this.logs.countDocuments(filter).exec(),
    ]);
    return { items, total };
  }

  /** One entry, only if it belongs to the client; another client's id reads as missing. */
  async findForClient(clientId: string, id: string): Promise<MessageLogRecord | null> {
    if (!isValidObjectId(id)) return null;
    return this.logs
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
    const found = await this.logs
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
    const [result] = await this.logs
      .aggregate<{ counts: Array<DeliveryCounts>; page: ApiRequestRow[] }>([
        { $match: this.apiRequestMatch(clientId, filter) },
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
            page: [{ $sort: NEWEST_FIRST }, { $skip: skipFor(page) }, { $limit: page.limit }, { $project: API_REQUEST_FIELDS }],
          },
        },
      ])
      .exec();
    const counts = result?.counts[0] ?? { totalMessages: 0, sentCount: 0, deliveredCount: 0, readCount: 0, failedCount: 0 };
    return { counts, items: result?.page ?? [] };
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
}
