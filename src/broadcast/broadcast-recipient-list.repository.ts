import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model, Types } from 'mongoose';
import { ClosableCursor, cursorChunks } from '../core/cursor-chunks';
import { Broadcast, RecipientFailure } from './broadcast.schema';

/** The arrays a recipient can be in. */
export type RecipientArray = 'sent' | 'failed' | 'pending';

/**
 * A broadcast's recipient arrays read piece by piece: a broadcast of 100,000 recipients is
 * never loaded whole to list or count them (the export, the report's failure reasons).
 */
@Injectable()
export class BroadcastRecipientListRepository {
  constructor(@InjectModel(Broadcast.name) private readonly broadcasts: Model<Broadcast>) {}

  /** The recipients of one array in order, `size` at a time, streamed from the server. */
  async *recipientChunks(clientId: string, id: string, array: RecipientArray, size: number): AsyncGenerator<string[]> {
    const cursor = this.broadcasts
      .aggregate<{ recipient: string }>([
        { $match: { _id: new Types.ObjectId(id), client_id: new Types.ObjectId(clientId) } },
        { $project: { _id: 0, recipient: `$${array}` } },
        { $unwind: '$recipient' },
      ])
      .option({ batchSize: size })
      .cursor();
    for await (const rows of cursorChunks(cursor as ClosableCursor<{ recipient: string }>, size)) yield rows.map((row) => row.recipient);
  }

  /** The reasons stored with the broadcast (recipients refused at creation: invalid numbers, no opt-in), `size` at a time. */
  async *storedFailureChunks(clientId: string, id: string, size: number): AsyncGenerator<RecipientFailure[]> {
    const cursor = this.broadcasts
      .aggregate<{ failure: RecipientFailure }>([
        { $match: { _id: new Types.ObjectId(id), client_id: new Types.ObjectId(clientId) } },
        { $project: { _id: 0, failure: '$failures' } },
        { $unwind: '$failure' },
      ])
      .option({ batchSize: size })
      .cursor();
    for await (const rows of cursorChunks(cursor as ClosableCursor<{ failure: RecipientFailure }>, size)) yield rows.map((row) => row.failure);
  }

  /** The reasons stored with the broadcast, counted by code (with the first message of each). */
  async storedFailureCounts(clientId: string, id: string): Promise<Array<{ code: string; message: string; count: number }>> {
    const found = await this.broadcasts
      .aggregate<{ _id: string; message: string; count: number }>([
        { $match: { _id: new Types.ObjectId(id), client_id: new Types.ObjectId(clientId) } },
        { $project: { _id: 0, failure: '$failures' } },
        { $unwind: '$failure' },
        { $group: { _id: '$failure.code', message: { $first: '$failure.message' }, count: { $sum: 1 } } },
      ])
      .exec();
    return found.map(({ _id, message, count }) => ({ code: _id, message, count }));
  }
}
