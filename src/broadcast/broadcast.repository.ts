import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { FilterQuery, isValidObjectId, Model, Types } from 'mongoose';
import { PageRequest, PageResult } from '@app/common';
import { findPage } from '../core/find-page';
import type { MessageContent } from '../message-content/message-content.schema';
import { Broadcast, BroadcastRecord, BroadcastSendContext, BroadcastStatus, RecipientFailure, SendType } from './broadcast.schema';

export interface NewBroadcast {
  clientId: string;
  sessionId: string;
  sendType: SendType;
  to: string;
  message: MessageContent;
  pending: string[];
  failed: string[];
  failures: RecipientFailure[];
}

/** Recipients whose outcome is known, to move out of `pending` in one update. */
export interface RecipientMoves {
  sent: string[];
  failed: string[];
}

const oid = (id: string): Types.ObjectId => new Types.ObjectId(id);
/** Excludes the recipient arrays, which may hold 100,000 numbers each. */
const WITHOUT_RECIPIENTS = { sent: 0, pending: 0, failed: 0, failures: 0, to: 0 } as const;

@Injectable()
export class BroadcastRepository {
  constructor(@InjectModel(Broadcast.name) private readonly broadcasts: Model<Broadcast>) {}

  /** Stores a new broadcast; `sending`, or `failed` at once when no recipient is left to send to. */
  async create(broadcast: NewBroadcast): Promise<BroadcastRecord> {
    const nothingToSend = broadcast.pending.length === 0;
    const created = await this.broadcasts.create({
      client_id: oid(broadcast.clientId),
      session_id: oid(broadcast.sessionId),
      send_type: broadcast.sendType,
      to: broadcast.to,
      message: broadcast.message,
      status: nothingToSend ? 'failed' : 'sending',
      sent: [],
      pending: broadcast.pending,
      failed: broadcast.failed,
      failures: broadcast.failures,
      finished_at: nothingToSend ? new Date() : null,
    });
    return created.toObject<BroadcastRecord>();
  }

  /** Newest first; one session's broadcasts, or every session's when `sessionId` is null. */
  async list(clientId: string, sessionId: string | null, page: PageRequest): Promise<PageResult<BroadcastRecord>> {
    const filter: FilterQuery<Broadcast> = { client_id: oid(clientId), ...(sessionId ? { session_id: oid(sessionId) } : {}) };
    return findPage<Broadcast, BroadcastRecord>(this.broadcasts, filter, page);
  }

  /** The broadcast only if it belongs to the client; another client's id reads as missing. */
  async findOwned(clientId: string, id: string): Promise<BroadcastRecord | null> {
    if (!isValidObjectId(id)) return null;
    return this.broadcasts.findOne({ _id: oid(id), client_id: oid(clientId) }).lean<BroadcastRecord>().exec();
  }

  async findSendContext(id: string): Promise<BroadcastSendContext | null> {
    return this.broadcasts.findById(id, WITHOUT_RECIPIENTS).lean<BroadcastSendContext>().exec();
  }

  /** The recipients still pending, when the broadcast is still sending (else null). */
  async findPendingRecipients(id: string): Promise<string[] | null> {
    const found = await this.broadcasts.findOne({ _id: oid(id), status: 'sending' }, { pending: 1 }).lean<{ pending: string[] }>().exec();
    return found ? found.pending : null;
  }

  async findStatus(id: string): Promise<BroadcastStatus | null> {
    const found = await this.broadcasts.findById(id, { status: 1 }).lean<{ status: BroadcastStatus }>().exec();
    return found ? found.status : null;
  }

  /**
   * Moves many recipients out of `pending` into `sent`/`failed` in one atomic update
   * ($pull + $addToSet: never a read-modify-write of the arrays).
   */
  async moveRecipients(id: string, moves: RecipientMoves): Promise<void> {
    const all = [...moves.sent, ...moves.failed];
    if (all.length === 0) return;
    await this.broadcasts
      .updateOne(
        { _id: oid(id) },
        { $pull: { pending: { $in: all } }, $addToSet: { sent: { $each: moves.sent }, failed: { $each: moves.failed } } },
      )
      .exec();
  }

  /**
   * Ends a `sending` broadcast whose `pending` is empty: `failed` when none was sent,
   * `completed` when none failed, else `completed_with_errors`. Each update is conditional
   * on `sending`, so the status changes exactly once however many workers try.
   */
  async finishIfDone(id: string): Promise<BroadcastStatus | null> {
    const done = { _id: oid(id), status: 'sending', pending: { $size: 0 } };
    const outcomes: Array<[BroadcastStatus, FilterQuery<Broadcast>]> = [
      ['failed', { sent: { $size: 0 } }],
      ['completed', { failed: { $size: 0 } }],
      ['completed_with_errors', {}],
    ];
    for (const [status, condition] of outcomes) {
      const result = await this.broadcasts.updateOne({ ...done, ...condition }, { $set: { status, finished_at: new Date() } }).exec();
      if (result.modifiedCount === 1) return status;
    }
    return null;
  }

  /** How a broadcast ended, in counts (for its `broadcast.completed` event); null when it is gone. */
  async findOutcomeSummary(id: string): Promise<BroadcastOutcomeSummary | null> {
    if (!isValidObjectId(id)) return null;
    const [summary] = await this.broadcasts
      .aggregate<BroadcastOutcomeSummary>([
        { $match: { _id: oid(id) } },
        {
          $project: {
            client_id: 1,
            session_id: 1,
            status: 1,
            finished_at: 1,
            recipients: { $add: [{ $size: '$sent' }, { $size: '$pending' }, { $size: '$failed' }] },
            sent: { $size: '$sent' },
            failed: { $size: '$failed' },
          },
        },
      ])
      .exec();
    return summary ?? null;
  }

  /** `sending` → `cancelled`; null when the broadcast is missing, another client's, or already finished. */
  async cancel(clientId: string, id: string): Promise<BroadcastRecord | null> {
    if (!isValidObjectId(id)) return null;
    return this.broadcasts
      .findOneAndUpdate(
        { _id: oid(id), client_id: oid(clientId), status: 'sending' },
        { $set: { status: 'cancelled', finished_at: new Date() } },
        { new: true },
      )
      .lean<BroadcastRecord>()
      .exec();
  }

  async delete(clientId: string, id: string): Promise<boolean> {
    if (!isValidObjectId(id)) return false;
    const result = await this.broadcasts.deleteOne({ _id: oid(id), client_id: oid(clientId) }).exec();
    return result.deletedCount === 1;
  }

  /** Ids of broadcasts still `sending` that were created before `createdBefore` (for the sweep). */
  async findSendingCreatedBefore(createdBefore: Date, limit: number): Promise<string[]> {
    const found = await this.broadcasts
      .find({ status: 'sending', createdAt: { $lt: createdBefore } }, { _id: 1 })
      .sort({ createdAt: 1 })
      .limit(limit)
      .lean<Array<{ _id: Types.ObjectId }>>()
      .exec();
    return found.map(({ _id }) => _id.toHexString());
  }

  /** How many of the client's sending broadcasts include this attachment. */
  async countSendingUsingAttachment(clientId: string, attachmentId: string): Promise<number> {
    if (!isValidObjectId(attachmentId)) return 0;
    return this.broadcasts
      .countDocuments({ client_id: oid(clientId), 'message.attachments': oid(attachmentId), status: 'sending' })
      .exec();
  }
}

/** A broadcast's outcome in counts. */
export interface BroadcastOutcomeSummary {
  _id: Types.ObjectId;
  client_id: Types.ObjectId;
  session_id: Types.ObjectId;
  status: BroadcastStatus;
  finished_at: Date | null;
  recipients: number;
  sent: number;
  failed: number;
}
