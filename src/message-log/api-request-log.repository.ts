import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { AccumulatorOperator, FilterQuery, Model, Types } from 'mongoose';
import { containsLiteral, PageRequest, skipFor } from '@app/common';
import { NEWEST_FIRST } from '../core/find-page';
import type { IndexSpec } from '../core/schema-indexes';
import {
  DELIVERED_STATUSES,
  DeliveryCounts,
  FAILED_STATUSES,
  MessageStatus,
  READ_STATUSES,
  SENT_STATUSES,
} from '../message-status/message-status';
import { MessageLog, MessageLogRecord } from './message-log.schema';
import { AppConfig, ReadPreferenceMode } from '../config';

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

const API_REQUEST_FIELDS = { template_name: 1, message_uid: 1, recipient: 1, contact: 1, status: 1, createdAt: 1 } as const;

/**
 * What the query needs: a client's API requests newest first, narrowed by template or outcome
 * (a message_uid is found through the ledger's unique index on client_id and message_uid).
 */
export const API_REQUEST_LOG_INDEXES: readonly IndexSpec[] = [
  { keys: { client_id: 1, source: 1, createdAt: -1, _id: -1 } },
  { keys: { client_id: 1, source: 1, template_name: 1, createdAt: -1 } },
  { keys: { client_id: 1, source: 1, status: 1, createdAt: -1 } },
];

const countWhereStatusIn = (statuses: readonly MessageStatus[]): AccumulatorOperator => ({
  $sum: { $cond: [{ $in: ['$status', [...statuses]] }, 1, 0] },
});

/** Seed 004's view of the ledger: the messages sent through POST /v1/messages, with their counts. */
@Injectable()
export class ApiRequestLogRepository {
  /** Where this read view reads from (MONGODB_READ_PREFERENCE); the ledger's writers stay on the primary. */
  private readonly readPreference: ReadPreferenceMode;

  constructor(
    @InjectModel(MessageLog.name) private readonly messageLogs: Model<MessageLog>,
    config: AppConfig,
  ) {
    this.readPreference = config.mongo.readViewPreference;
  }

  /**
   * The client's API requests that match the filter: the counts over the whole filtered set
   * and one page of it, newest first, in a single aggregation.
   */
  async findApiRequests(clientId: string, filter: ApiRequestFilter, page: PageRequest): Promise<ApiRequestPage> {
    const [result] = await this.messageLogs
      .aggregate<{ counts: Array<DeliveryCounts>; page: ApiRequestRow[] }>([
        { $match: this.match(clientId, filter) },
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
      .read(this.readPreference)
      .exec();
    const counts = result?.counts[0] ?? { totalMessages: 0, sentCount: 0, deliveredCount: 0, readCount: 0, failedCount: 0 };
    return { counts, items: result?.page ?? [] };
  }

  private match(clientId: string, filter: ApiRequestFilter): FilterQuery<MessageLog> {
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
