import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { AnyBulkWriteOperation, FilterQuery, isValidObjectId, Model, Types } from 'mongoose';
import { escapeRegExp, PageRequest, PageResult, skipFor } from '@app/common';
import type { TemplateComponentDefinition } from '@app/whatsapp';
import { nativeCollection } from '../core/native-collection';
import type { PublishedEvent } from '../event-webhook/client-events';
import { DocumentOutbox, recordingClientEvents } from '../event-webhook/document-outbox';
import { MessageTemplateEntry, MessageTemplateRecord } from './template.schema';

/** What a catalogue holds of one template, whatever its source. */
export interface CatalogueTemplate {
  templateId: string;
  name: string;
  language: string;
  status: string;
  category: string;
  components: TemplateComponentDefinition[];
  parameterFormat: string | null;
  qualityScore: string | null;
  rejectedReason: string | null;
}

/** Which of an account's templates a lifecycle notification is about: Meta's id, or the name and language. */
export type TemplateKey = { templateId: string } | { name: string; language: string };

export interface TemplateListFilter {
  status?: string;
  category?: string;
  language?: string;
  namePrefix?: string;
}

/** The fields a lifecycle notification changes. */
export type TemplateChanges = Partial<Pick<MessageTemplateEntry, 'status' | 'category' | 'previous_category' | 'quality_score' | 'rejected_reason'>>;

/** The client events one change of a template tells (recorded with it, see DocumentOutbox); `at`: when it is written. */
export type TemplateEventsOf = (before: MessageTemplateRecord, after: MessageTemplateRecord, at: Date) => PublishedEvent[];

/** One copy of a template as a lifecycle notification changed it, and the events its update recorded. */
export interface AppliedTemplateChange {
  before: MessageTemplateRecord;
  after: MessageTemplateRecord;
  events: PublishedEvent[];
}

const oid = (id: string): Types.ObjectId => new Types.ObjectId(id);
const BY_NAME = { name: 1, language: 1, _id: 1 } as const;

@Injectable()
export class TemplateRepository {
  /** Where `template.*` events wait until published (replaceCatalogue, applyChanges). */
  readonly outbox: DocumentOutbox;

  constructor(@InjectModel(MessageTemplateEntry.name) private readonly templates: Model<MessageTemplateEntry>) {
    this.outbox = DocumentOutbox.of('message_templates', nativeCollection<MessageTemplateEntry, MessageTemplateRecord>(templates));
  }

  /**
   * Makes the client's copy of the account's catalogue what a sync read: every template upserted
   * by name and language, those the sync no longer saw deleted. Each template that changed
   * records the events `eventsOf` tells of the change in its own update (its outbox). Answers
   * the entries as they were before, and the events recorded on each (by id).
   */
  async replaceCatalogue(
    clientId: string,
    account: string,
    templates: CatalogueTemplate[],
    syncedAt: Date = new Date(),
    eventsOf: TemplateEventsOf = () => [],
  ): Promise<{ before: MessageTemplateRecord[]; recorded: Map<string, PublishedEvent[]> }> {
    const scope = { client_id: oid(clientId), account };
    const before = await this.templates.find(scope).lean<MessageTemplateRecord[]>().exec();
    const byKey = new Map(before.map((entry) => [`${entry.name}:${entry.language}`, entry]));
    const recorded = new Map<string, PublishedEvent[]>();
    const writes: Array<AnyBulkWriteOperation<MessageTemplateEntry>> = templates.map((template) => {
      const fields = { ...fieldsOf(template), synced_at: syncedAt };
      const old = byKey.get(`${template.name}:${template.language}`);
      const events = old ? eventsOf(old, { ...old, ...fields }, syncedAt) : [];
      if (old && events.length > 0) recorded.set(old._id.toHexString(), events);
      return {
        updateOne: {
          filter: { ...scope, name: template.name, language: template.language },
          update: { $set: fields, $setOnInsert: { previous_category: null }, ...recordingClientEvents(events, syncedAt) },
          upsert: true,
        },
      };
    });
    if (writes.length > 0) await this.templates.bulkWrite(writes, { ordered: false });
    await this.templates.deleteMany({ ...scope, synced_at: { $lt: syncedAt } }).exec();
    return { before, recorded };
  }

  /** Adds one template to the client's catalogue of the account (the sandbox's, or one just created at Meta). */
  async insert(clientId: string, account: string, template: CatalogueTemplate, review?: { dueAt: Date; outcome: string }): Promise<MessageTemplateRecord> {
    const created = await this.templates.create({
      client_id: oid(clientId),
      account,
      ...fieldsOf(template),
      previous_category: null,
      ...(review ? { review_due_at: review.dueAt, review_outcome: review.outcome } : {}),
      synced_at: new Date(),
    });
    return created.toObject<MessageTemplateRecord>();
  }

  /** The template only if it is the client's; another client's id reads as missing. */
  async findOwned(clientId: string, id: string): Promise<MessageTemplateRecord | null> {
    if (!isValidObjectId(id)) return null;
    return this.templates.findOne({ _id: oid(id), client_id: oid(clientId) }).lean<MessageTemplateRecord>().exec();
  }

  async findByName(clientId: string, account: string, name: string, language: string): Promise<MessageTemplateRecord | null> {
    return this.templates.findOne({ client_id: oid(clientId), account, name, language }).lean<MessageTemplateRecord>().exec();
  }

  async hasAny(clientId: string, account: string): Promise<boolean> {
    return (await this.templates.exists({ client_id: oid(clientId), account }).exec()) !== null;
  }

  /** The languages the client's catalogue of the account has this name in. */
  async languagesOf(clientId: string, account: string, name: string): Promise<string[]> {
    const found = await this.templates.find({ client_id: oid(clientId), account, name }, { language: 1 }).sort(BY_NAME).lean<Array<{ language: string }>>().exec();
    return found.map(({ language }) => language);
  }

  /** A page of the catalogue, by name then language. */
  async list(clientId: string, account: string, filter: TemplateListFilter, page: PageRequest): Promise<PageResult<MessageTemplateRecord>> {
    const query: FilterQuery<MessageTemplateEntry> = {
      client_id: oid(clientId),
      account,
      ...(filter.status ? { status: filter.status } : {}),
      ...(filter.category ? { category: filter.category } : {}),
      ...(filter.language ? { language: filter.language } : {}),
      ...(filter.namePrefix ? { name: { $regex: `^${escapeRegExp(filter.namePrefix)}` } } : {}),
    };
    const [items, total] = await Promise.all([
      this.templates.find(query).sort(BY_NAME).skip(skipFor(page)).limit(page.limit).lean<MessageTemplateRecord[]>().exec(),
      this.templates.countDocuments(query).exec(),
    ]);
    return { items, total };
  }

  /** Deletes every language of a name; answers how many entries went. */
  async deleteByName(clientId: string, account: string, name: string): Promise<number> {
    return (await this.templates.deleteMany({ client_id: oid(clientId), account, name }).exec()).deletedCount;
  }

  async deleteOwned(clientId: string, id: string): Promise<boolean> {
    if (!isValidObjectId(id)) return false;
    return (await this.templates.deleteOne({ _id: oid(id), client_id: oid(clientId) }).exec()).deletedCount === 1;
  }

  /**
   * Applies a lifecycle notification to every client's copy of the account's template, each
   * copy's update recording the events `eventsOf` tells of its change (its outbox); answers each
   * copy as it was before and after, with those events (unchanged copies are left out, so a
   * repeated notification changes nothing and announces nothing).
   */
  async applyChanges(account: string, key: TemplateKey, changes: TemplateChanges, clientId?: string, eventsOf: TemplateEventsOf = () => []): Promise<AppliedTemplateChange[]> {
    const filter: FilterQuery<MessageTemplateEntry> = {
      account,
      ...('templateId' in key ? { template_id: key.templateId } : { name: key.name, language: key.language }),
      ...(clientId ? { client_id: oid(clientId) } : {}),
    };
    const found = await this.templates.find(filter).lean<MessageTemplateRecord[]>().exec();
    const applied: AppliedTemplateChange[] = [];
    for (const before of found) {
      const differs = Object.entries(changes).some(([field, value]) => before[field as keyof TemplateChanges] !== value);
      if (!differs) continue;
      const at = new Date();
      const set = { ...changes, review_due_at: null };
      const events = eventsOf(before, { ...before, ...set }, at);
      // Conditional on the status read, so that two notifications at once each move it once.
      const after = await this.templates
        .findOneAndUpdate({ _id: before._id, status: before.status }, { $set: set, ...recordingClientEvents(events, at) }, { new: true, projection: { client_events: 0 } })
        .lean<MessageTemplateRecord>()
        .exec();
      if (after) applied.push({ before, after, events });
    }
    return applied;
  }

  /** Sandbox templates whose review has ended (for the lifecycle to decide them). */
  async findDueReviews(now: Date, limit: number): Promise<MessageTemplateRecord[]> {
    return this.templates
      .find({ review_due_at: { $ne: null, $lte: now }, status: 'PENDING' })
      .sort({ review_due_at: 1 })
      .limit(limit)
      .lean<MessageTemplateRecord[]>()
      .exec();
  }
}

function fieldsOf(template: CatalogueTemplate) {
  return {
    template_id: template.templateId,
    name: template.name,
    language: template.language,
    status: template.status,
    category: template.category,
    components: template.components,
    parameter_format: template.parameterFormat,
    quality_score: template.qualityScore,
    rejected_reason: template.rejectedReason,
  };
}
