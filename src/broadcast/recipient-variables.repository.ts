import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model, mongo, Types } from 'mongoose';
import { nativeCollection } from '../core/native-collection';
import type { RecipientVariables } from './message-variables';
import { RecipientVariablesEntry } from './recipient-variables.schema';

/** Entries written per insert. */
const INSERT_CHUNK_SIZE = 1000;

interface StoredEntry {
  broadcast_id: Types.ObjectId;
  recipient: string;
  variables: RecipientVariables;
}

/** The per-recipient {{variables}} of personalised broadcasts. */
@Injectable()
export class RecipientVariablesRepository {
  private readonly entries: mongo.Collection<StoredEntry>;

  constructor(@InjectModel(RecipientVariablesEntry.name) model: Model<RecipientVariablesEntry>) {
    this.entries = nativeCollection<RecipientVariablesEntry, StoredEntry>(model);
  }

  /** Stores each recipient's variables, in chunks; safe to repeat (a recipient's existing entry is kept). */
  async store(broadcastId: string, variables: Map<string, RecipientVariables>): Promise<void> {
    const broadcast_id = new Types.ObjectId(broadcastId);
    const all = [...variables];
    for (let start = 0; start < all.length; start += INSERT_CHUNK_SIZE) {
      await this.entries.bulkWrite(
        all.slice(start, start + INSERT_CHUNK_SIZE).map(([recipient, values]) => ({
          updateOne: { filter: { broadcast_id, recipient }, update: { $setOnInsert: { variables: values } }, upsert: true },
        })),
        { ordered: false },
      );
    }
  }

  /** The variables of those of the recipients that have any (one query). */
  async variablesOf(broadcastId: string, recipients: string[]): Promise<Map<string, RecipientVariables>> {
    if (recipients.length === 0) return new Map();
    const found = await this.entries
      .find({ broadcast_id: new Types.ObjectId(broadcastId), recipient: { $in: recipients } }, { projection: { _id: 0, recipient: 1, variables: 1 } })
      .toArray();
    return new Map(found.map(({ recipient, variables }) => [recipient, variables]));
  }

  async deleteOfBroadcast(broadcastId: string): Promise<void> {
    await this.entries.deleteMany({ broadcast_id: new Types.ObjectId(broadcastId) });
  }
}
