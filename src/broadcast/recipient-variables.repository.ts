import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model, mongo, Types } from 'mongoose';
import { DUPLICATE_KEY } from '../core/mongo-errors';
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

  constructor(@InjectModel(RecipientVariablesEntry.name) private readonly model: Model<RecipientVariablesEntry>) {
    this.entries = nativeCollection<RecipientVariablesEntry, StoredEntry>(model);
  }

  /**
   * Stores the variables of each recipient that has any (`variables[i]` is `recipients[i]`'s), in
   * chunks; safe to repeat (a recipient's existing entry is kept: its duplicate is refused by the
   * unique index and ignored). Written with the plain `insert` command, one small document per
   * recipient built only when its chunk is written: bulk upserts cost seven objects per
   * recipient that outlived each round trip (35 MB of heap for 100,000 recipients).
   */
  async store(broadcastId: string, recipients: readonly string[], variables: ReadonlyArray<RecipientVariables | undefined>): Promise<void> {
    const broadcast_id = new Types.ObjectId(broadcastId);
    let documents: StoredEntry[] = [];
    for (let index = 0; index < recipients.length; index++) {
      const values = variables[index];
      if (values) documents.push({ broadcast_id, recipient: recipients[index], variables: values });
      if (documents.length === INSERT_CHUNK_SIZE || (index === recipients.length - 1 && documents.length > 0)) {
        await this.insertKeepingExisting(documents);
        documents = [];
      }
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

  private async insertKeepingExisting(documents: StoredEntry[]): Promise<void> {
    // The connection's database (open by the time anything is stored); mongoose's collection wrapper has none.
    const database = this.model.db.db;
    if (!database) throw new Error('MongoDB is not connected');
    const result = (await database.command({ insert: this.model.collection.collectionName, documents, ordered: false })) as {
      writeErrors?: Array<{ code: number; errmsg?: string }>;
    };
    const refused = (result.writeErrors ?? []).filter(({ code }) => code !== DUPLICATE_KEY);
    if (refused.length > 0) throw new Error(`Could not store ${refused.length} recipients' variables: ${refused[0].errmsg ?? `code ${refused[0].code}`}`);
  }

  async deleteOfBroadcast(broadcastId: string): Promise<void> {
    await this.entries.deleteMany({ broadcast_id: new Types.ObjectId(broadcastId) });
  }
}
