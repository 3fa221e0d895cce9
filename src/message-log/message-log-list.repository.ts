import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { FilterQuery, isValidObjectId, Model, Types } from 'mongoose';
import { PageRequest, PageResult } from '@app/common';
import { findPage } from '../core/find-page';
import type { IndexSpec } from '../core/schema-indexes';
import { MessageLog, MessageLogRecord } from './message-log.schema';

/** Whose messages a seed 000 list shows: one session's, or (sessionId null) every session's of the client. */
export interface MessageLogScope {
  clientId: string;
  sessionId: string | null;
}

/** What the list's query needs: client-wide and per session, newest first (ties on _id). */
export const MESSAGE_LOG_LIST_INDEXES: readonly IndexSpec[] = [
  { keys: { client_id: 1, createdAt: -1, _id: -1 } },
  { keys: { client_id: 1, session_id: 1, createdAt: -1, _id: -1 } },
];

/** Messages we sent: entries written before directions existed have none, and are outbound. */
const OUTBOUND = { direction: { $ne: 'inbound' } } as const;

/** Seed 000's view of the ledger: a client's (or one session's) message logs, and one of them; messages sent, not received (those are in seed 003). */
@Injectable()
export class MessageLogListRepository {
  constructor(@InjectModel(MessageLog.name) private readonly messageLogs: Model<MessageLog>) {}

  /** A page of the scope's message logs, newest first. */
  async listForScope(scope: MessageLogScope, page: PageRequest): Promise<PageResult<MessageLogRecord>> {
    const filter: FilterQuery<MessageLog> = { client_id: new Types.ObjectId(scope.clientId), ...OUTBOUND };
    if (scope.sessionId) filter.session_id = new Types.ObjectId(scope.sessionId);
    return findPage<MessageLog, MessageLogRecord>(this.messageLogs, filter, page);
  }

  /** One entry, only if it belongs to the client; another client's id reads as missing. */
  async findForClient(clientId: string, id: string): Promise<MessageLogRecord | null> {
    if (!isValidObjectId(id)) return null;
    return this.messageLogs
      .findOne({ _id: new Types.ObjectId(id), client_id: new Types.ObjectId(clientId), ...OUTBOUND })
      .lean<MessageLogRecord>()
      .exec();
  }
}
