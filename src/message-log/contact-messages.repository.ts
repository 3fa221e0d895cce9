import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { FilterQuery, Model, Types } from 'mongoose';
import { NEWEST_FIRST } from '../core/find-page';
import type { IndexSpec } from '../core/schema-indexes';
import type { MessageCursor } from './message-cursor';
import { MessageLog, MessageLogRecord } from './message-log.schema';

/** A page of one recipient's messages, newest first, and whether more lie beyond it in the cursor's direction. */
export interface CursorPage {
  items: MessageLogRecord[];
  hasMore: boolean;
}

/** Oldest first, ties broken by _id: the way towards newer messages from a cursor. */
const OLDEST_FIRST = { createdAt: 1, _id: 1 } as const;

/** What the query needs: one recipient of one client, in (createdAt, _id) order both ways. */
export const CONTACT_MESSAGES_INDEXES: readonly IndexSpec[] = [{ keys: { client_id: 1, recipient: 1, createdAt: -1, _id: -1 } }];

/** Seed 003's view of the ledger: one recipient's messages, by cursor. */
@Injectable()
export class ContactMessagesRepository {
  constructor(@InjectModel(MessageLog.name) private readonly messageLogs: Model<MessageLog>) {}

  /**
   * Up to `limit` messages to one recipient, newest first. Without a cursor the page starts at
   * the newest message; with one it continues strictly after (older) or before (newer) the
   * cursor's position, so messages that arrive meanwhile never shift it.
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
}
