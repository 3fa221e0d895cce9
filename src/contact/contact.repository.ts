import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { FilterQuery, isValidObjectId, Model, mongo, Types, UpdateQuery } from 'mongoose';
import { nativeCollection } from '../core/native-collection';
import { PageRequest, PageResult } from '@app/common';
import { findPage } from '../core/find-page';
import type { IndexSpec } from '../core/schema-indexes';
import { Contact, ContactRecord } from './contact.schema';
import { isDuplicateKeyError } from '../core/mongo-errors';
import type { AttributeValue, ContactAttributes } from './contact-audience-fields';
import { ConsentEvent, MAX_CONSENT_HISTORY, OptIn } from './contact-consent';
import type { AttributeCondition, ContactFilter } from './contact-filter';

/**
 * Indexes of the audience queries (tags, attributes, recent inbound, cursor pages), declared
 * beside the filters they serve. The attribute index is a compound wildcard (MongoDB 7).
 */
export const CONTACT_AUDIENCE_INDEXES: readonly IndexSpec[] = [
  { keys: { client_id: 1, tags: 1 } },
  { keys: { client_id: 1, 'attributes.$**': 1 } },
  { keys: { client_id: 1, last_inbound_at: -1 } },
  { keys: { client_id: 1, _id: 1 } },
];

/** Changes to a contact's attributes, tags and consent (PATCH /contacts/:id, the tag routes). */
export interface AudienceChanges {
  setAttributes?: ContactAttributes;
  unsetAttributes?: string[];
  /** Replaces the tags. */
  tags?: string[];
  /** A new opt-in, or null to clear it. */
  optIn?: OptIn | null;
  /** Appended to the consent history. */
  consentEvents?: ConsentEvent[];
}

/** What an import row writes to an existing contact, or a new contact it creates. */
export type ImportWrite =
  | { kind: 'insert'; phone: string; fields: Omit<ContactFields, 'phone'>; attributes: ContactAttributes; tags: string[]; optIn: OptIn | null; optedOutAt: Date | null; history: ConsentEvent[] }
  | { kind: 'update'; id: Types.ObjectId; set: Record<string, unknown>; addTags: string[]; history: ConsentEvent[] };

/** What the import compares a row with, and what the export writes. */
export type ContactTransferView = Pick<ContactRecord, '_id' | 'phone' | 'name' | 'email' | 'organization' | 'attributes' | 'tags' | 'opt_in' | 'opted_out'>;

const TRANSFER_PROJECTION = { phone: 1, name: 1, email: 1, organization: 1, attributes: 1, tags: 1, opt_in: 1, opted_out: 1 } as const;

const DAY_MS = 24 * 60 * 60 * 1000;

/** A value a filter may compare with: never an object, so no operator can ride in on it. */
function literal(value: AttributeValue): AttributeValue {
  if (value instanceof Date || typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
  throw new TypeError('An attribute comparison takes only strings, numbers, booleans and dates');
}

function attributeClause(condition: AttributeCondition): FilterQuery<Contact> {
  const path = `attributes.${condition.name}`;
  switch (condition.op) {
    case 'equals':
      return { [path]: literal(condition.value) };
    case 'in':
      return { [path]: { $in: condition.values.map(literal) } };
    case 'range': {
      const bounds: Record<string, AttributeValue> = {};
      if (condition.gte !== undefined) bounds.$gte = literal(condition.gte);
      if (condition.gt !== undefined) bounds.$gt = literal(condition.gt);
      if (condition.lte !== undefined) bounds.$lte = literal(condition.lte);
      if (condition.lt !== undefined) bounds.$lt = literal(condition.lt);
      return { [path]: bounds };
    }
    case 'exists':
      return { [path]: { $exists: condition.exists } };
  }
}

const CURRENT_OPT_IN: FilterQuery<Contact> = { opt_in: { $ne: null }, opted_out: { $ne: true } };
const NO_CURRENT_OPT_IN: FilterQuery<Contact> = { $or: [{ opt_in: null }, { opted_out: true }] };

/** The MongoDB filter of a contact filter: each known field translated, values kept literal. */
export function contactQueryOf(clientId: string, filter: ContactFilter, now: Date = new Date()): FilterQuery<Contact> {
  const clauses: Array<FilterQuery<Contact>> = [];
  const { tags } = filter;
  if (tags?.all?.length) clauses.push({ tags: { $all: tags.all.map(String) } });
  if (tags?.any?.length) clauses.push({ tags: { $in: tags.any.map(String) } });
  if (tags?.none?.length) clauses.push({ tags: { $nin: tags.none.map(String) } });
  for (const condition of filter.attributes ?? []) clauses.push(attributeClause(condition));
  if (filter.opted_in !== undefined) clauses.push(filter.opted_in ? CURRENT_OPT_IN : NO_CURRENT_OPT_IN);
  if (filter.opted_out !== undefined) clauses.push(filter.opted_out ? { opted_out: true } : { opted_out: { $ne: true } });
  if (filter.last_inbound_within_days !== undefined) {
    clauses.push({ last_inbound_at: { $gte: new Date(now.getTime() - filter.last_inbound_within_days * DAY_MS) } });
  }
  if (filter.phones?.in) clauses.push({ phone: { $in: filter.phones.in.map(String) } });
  if (filter.phones?.not_in?.length) clauses.push({ phone: { $nin: filter.phones.not_in.map(String) } });
  return { client_id: new Types.ObjectId(clientId), ...(clauses.length > 0 ? { $and: clauses } : {}) };
}

const historyPush = (events: ConsentEvent[]): UpdateQuery<Contact> => ({
  $push: { consent_history: { $each: events, $slice: -MAX_CONSENT_HISTORY } },
});

export interface ContactFields {
  name: string;
  phone: string;
  email: string | null;
  organization: string | null;
}

/** A contact's opt-out, as set through the API or a keyword. */
export interface OptOutFields {
  opted_out: boolean;
  opted_out_at: Date | null;
  opt_out_changed_at: Date;
}

/** What the sending pipeline needs to know of a recipient before writing to them. */
export interface RecipientState {
  phone: string;
  optedOut: boolean;
  /** WhatsApp said they stopped marketing messages (131050). */
  marketingStopped: boolean;
  /** When they last wrote to each session (session id hex → time). */
  lastInboundBySession: ReadonlyMap<string, Date>;
}

/** A message a person sent to one of the client's sessions. */
export interface InboundContact {
  phone: string;
  sessionId: string;
  at: Date;
  profileName: string | null;
}

/** Thrown when a client already has a contact with that phone number. */
export class DuplicateContactPhoneError extends Error {
  constructor(readonly phone: string) {
    super(`A contact with phone ${phone} already exists`);
  }
}

function rethrowDuplicate(error: unknown, phone: string | undefined): never {
  if (phone !== undefined && isDuplicateKeyError(error)) {
    throw new DuplicateContactPhoneError(phone);
  }
  throw error;
}

@Injectable()
export class ContactRepository {
  /** The import's reads and bulk writes skip mongoose's casting: a million rows' worth of it is most of an import's CPU. */
  private readonly collection: mongo.Collection<ContactRecord>;

  constructor(@InjectModel(Contact.name) private readonly contacts: Model<Contact>) {
    this.collection = nativeCollection<Contact, ContactRecord>(contacts);
  }

  async create(clientId: string, fields: ContactFields): Promise<ContactRecord> {
    try {
      const created = await this.contacts.create({ client_id: new Types.ObjectId(clientId), ...fields });
      return created.toObject<ContactRecord>();
    } catch (error) {
      rethrowDuplicate(error, fields.phone);
    }
  }

  async list(clientId: string, page: PageRequest, filter: ContactFilter = {}): Promise<PageResult<ContactRecord>> {
    return findPage<Contact, ContactRecord>(this.contacts, contactQueryOf(clientId, filter), page);
  }

  // ---------------------------------------------------------------------------------------
  // Audiences: attributes, tags, consent, segments, import and export.
  // ---------------------------------------------------------------------------------------

  /** Applies attribute, tag and consent changes to the client's contact; null when it is not theirs. */
  async updateAudience(clientId: string, id: string, changes: AudienceChanges): Promise<ContactRecord | null> {
    if (!isValidObjectId(id)) return null;
    const set: Record<string, unknown> = {};
    const unset: Record<string, ''> = {};
    for (const [name, value] of Object.entries(changes.setAttributes ?? {})) set[`attributes.${name}`] = value;
    for (const name of changes.unsetAttributes ?? []) unset[`attributes.${name}`] = '';
    if (changes.tags) set.tags = changes.tags;
    if (changes.optIn !== undefined) set.opt_in = changes.optIn;
    const update: UpdateQuery<Contact> = {
      ...(Object.keys(set).length > 0 ? { $set: set } : {}),
      ...(Object.keys(unset).length > 0 ? { $unset: unset } : {}),
      ...(changes.consentEvents?.length ? historyPush(changes.consentEvents) : {}),
    };
    const filter = { _id: new Types.ObjectId(id), client_id: new Types.ObjectId(clientId) };
    if (Object.keys(update).length === 0) return this.contacts.findOne(filter).lean<ContactRecord>().exec();
    return this.contacts.findOneAndUpdate(filter, update, { new: true }).lean<ContactRecord>().exec();
  }

  /** Adds tags to the client's contact (a tag it has already is kept once); null when it is not theirs. */
  async addTags(clientId: string, id: string, tags: string[]): Promise<ContactRecord | null> {
    if (!isValidObjectId(id)) return null;
    return this.contacts
      .findOneAndUpdate({ _id: new Types.ObjectId(id), client_id: new Types.ObjectId(clientId) }, { $addToSet: { tags: { $each: tags } } }, { new: true })
      .lean<ContactRecord>()
      .exec();
  }

  /** Removes a tag from the client's contact; null when it is not theirs. */
  async removeTag(clientId: string, id: string, tag: string): Promise<ContactRecord | null> {
    if (!isValidObjectId(id)) return null;
    return this.contacts
      .findOneAndUpdate({ _id: new Types.ObjectId(id), client_id: new Types.ObjectId(clientId) }, { $pull: { tags: tag } }, { new: true })
      .lean<ContactRecord>()
      .exec();
  }

  /** One page of the contacts a filter selects, in _id order after `after` (cursor pages). */
  async pageByFilter(clientId: string, filter: ContactFilter, after: Types.ObjectId | null, limit: number): Promise<ContactRecord[]> {
    const query = contactQueryOf(clientId, filter);
    return this.contacts
      .find(after ? { $and: [query, { _id: { $gt: after } }] } : query)
      .sort({ _id: 1 })
      .limit(limit)
      .lean<ContactRecord[]>()
      .exec();
  }

  countByFilter(clientId: string, filter: ContactFilter): Promise<number> {
    return this.contacts.countDocuments(contactQueryOf(clientId, filter)).exec();
  }

  /** The contacts a filter selects, streamed in _id order (what an audience resolves to, and the export). */
  async *streamByFilter(clientId: string, filter: ContactFilter): AsyncGenerator<ContactTransferView & { last_inbound_at?: Date | null }> {
    const cursor = this.contacts
      .find(contactQueryOf(clientId, filter), { ...TRANSFER_PROJECTION, last_inbound_at: 1 })
      .sort({ _id: 1 })
      .lean<ContactTransferView & { last_inbound_at?: Date | null }>()
      .cursor({ batchSize: 1000 });
    try {
      for await (const contact of cursor) yield contact;
    } finally {
      await cursor.close();
    }
  }

  /** Every attribute name the client's contacts use (the export's columns), read in one pass. */
  async attributeNames(clientId: string): Promise<string[]> {
    const names = new Set<string>();
    const cursor = this.contacts
      .find({ client_id: new Types.ObjectId(clientId), attributes: { $exists: true } }, { attributes: 1, _id: 0 })
      .lean<Pick<ContactRecord, 'attributes'>>()
      .cursor({ batchSize: 1000 });
    for await (const contact of cursor) for (const name of Object.keys((contact).attributes ?? {})) names.add(name);
    return [...names].sort();
  }

  /** Which of these numbers have a contact with a current opt-in (one query). */
  async withCurrentOptIn(clientId: string, phones: string[]): Promise<Set<string>> {
    const found = await this.contacts
      .find({ client_id: new Types.ObjectId(clientId), phone: { $in: phones }, ...CURRENT_OPT_IN }, { phone: 1, _id: 0 })
      .lean<Array<Pick<ContactRecord, 'phone'>>>()
      .exec();
    return new Set(found.map(({ phone }) => phone));
  }

  /** The client's contacts with these numbers, as an import compares them (one query per batch). */
  async findForImport(clientId: string, phones: string[]): Promise<ContactTransferView[]> {
    return this.collection
      .find({ client_id: new Types.ObjectId(clientId), phone: { $in: phones } }, { projection: TRANSFER_PROJECTION })
      .toArray();
  }

  /**
   * Writes one batch of an import in one unordered bulk write: new contacts are upserts keyed by
   * number (so that a number created meanwhile is left to the update that follows, never
   * duplicated), changes are $set and $addToSet by id (found through the client's own lookup).
   * Answers the positions of the writes that inserted a contact.
   */
  async applyImport(clientId: string, writes: ImportWrite[]): Promise<Set<number>> {
    if (writes.length === 0) return new Set();
    const client_id = new Types.ObjectId(clientId);
    const now = new Date();
    const result = await this.collection.bulkWrite(
      writes.map((write): mongo.AnyBulkWriteOperation<ContactRecord> => {
        if (write.kind === 'insert') {
          return {
            updateOne: {
              filter: { client_id, phone: write.phone },
              update: {
                $setOnInsert: {
                  ...write.fields,
                  attributes: write.attributes,
                  tags: write.tags,
                  opt_in: write.optIn,
                  opted_out: write.optedOutAt !== null,
                  opted_out_at: write.optedOutAt,
                  opt_out_changed_at: write.optedOutAt,
                  consent_history: write.history,
                  // The schema's defaults, which a write without mongoose does not add.
                  profile_name: null,
                  last_inbound_at: null,
                  last_inbound_by_session: {},
                  createdAt: now,
                  updatedAt: now,
                  __v: 0,
                },
              },
              upsert: true,
            },
          };
        }
        const update: mongo.UpdateFilter<ContactRecord> = {
          $set: { ...write.set, updatedAt: now },
          ...(write.addTags.length > 0 ? { $addToSet: { tags: { $each: write.addTags } } } : {}),
          ...(write.history.length > 0 ? historyPush(write.history) : {}),
        };
        return { updateOne: { filter: { _id: write.id }, update } };
      }),
      { ordered: false },
    );
    return new Set(Object.keys(result.upsertedIds).map(Number));
  }

  /** The contact only if it belongs to the client; another client's id reads as missing. */
  async findOwned(clientId: string, id: string): Promise<ContactRecord | null> {
    if (!isValidObjectId(id)) return null;
    return this.contacts
      .findOne({ _id: new Types.ObjectId(id), client_id: new Types.ObjectId(clientId) })
      .lean<ContactRecord>()
      .exec();
  }

  async findByPhone(clientId: string, phone: string): Promise<ContactRecord | null> {
    return this.contacts.findOne({ client_id: new Types.ObjectId(clientId), phone }).lean<ContactRecord>().exec();
  }

  /** The client's contacts with these phone numbers, in one query (a broadcast's fan-out, per chunk). */
  async findByPhones(clientId: string, phones: string[]): Promise<Array<Pick<ContactRecord, '_id' | 'name' | 'phone'>>> {
    return this.contacts
      .find({ client_id: new Types.ObjectId(clientId), phone: { $in: phones } }, { name: 1, phone: 1 })
      .lean<Array<Pick<ContactRecord, '_id' | 'name' | 'phone'>>>()
      .exec();
  }

  // ---------------------------------------------------------------------------------------
  // Two-way messaging: who wrote to us and when, and who opted out.
  // ---------------------------------------------------------------------------------------

  /**
   * Creates the contact of a person who wrote to the client (named after their profile, or
   * their number), or updates it: profile name, and the last time they wrote, overall and to
   * this session (never moved back by a late webhook).
   */
  async recordInbound(clientId: string, inbound: InboundContact): Promise<Pick<ContactRecord, '_id' | 'name'>> {
    const update = {
      $setOnInsert: {
        name: (inbound.profileName?.trim() || `+${inbound.phone}`).slice(0, 200),
        email: null,
        organization: null,
        opted_out: false,
        opted_out_at: null,
        opt_out_changed_at: null,
      },
      $max: { last_inbound_at: inbound.at, [`last_inbound_by_session.${inbound.sessionId}`]: inbound.at },
      ...(inbound.profileName ? { $set: { profile_name: inbound.profileName } } : {}),
    };
    const filter = { client_id: new Types.ObjectId(clientId), phone: inbound.phone };
    const options = { new: true, projection: { name: 1 } } as const;
    try {
      return await this.contacts.findOneAndUpdate(filter, update, { ...options, upsert: true }).lean<ContactRecord>().exec();
    } catch (error) {
      // Two first messages at once: one insert wins, the other updates what it inserted.
      if (!isDuplicateKeyError(error)) throw error;
      return (await this.contacts.findOneAndUpdate(filter, update, options).lean<ContactRecord>().exec())!;
    }
  }

  /**
   * Remembers that WhatsApp refused a marketing message because the person stopped them (131050),
   * making the contact (named after the number) when the number had none.
   */
  async setMarketingStopped(clientId: string, phone: string, at: Date): Promise<void> {
    const filter = { client_id: new Types.ObjectId(clientId), phone };
    const update = {
      $setOnInsert: { name: `+${phone}`, email: null, organization: null, opted_out: false, opted_out_at: null, opt_out_changed_at: null },
      $set: { marketing_stopped_at: at },
    };
    try {
      await this.contacts.updateOne(filter, update, { upsert: true }).exec();
    } catch (error) {
      // Made meanwhile by another write (an inbound message): this update then finds it.
      if (!isDuplicateKeyError(error)) throw error;
      await this.contacts.updateOne(filter, update).exec();
    }
  }

  /**
   * Opts the number out (or back in) as of `at`, unless a later change is already recorded
   * (webhooks may arrive out of order). WhatsApp's timestamps are in seconds: of two changes in
   * the same second (STOP, then START straight after), the one that arrives last wins. The
   * contact exists: recordInbound came first.
   */
  async setOptedOut(clientId: string, phone: string, optedOut: boolean, at: Date): Promise<boolean> {
    const result = await this.contacts
      .updateOne(
        {
          client_id: new Types.ObjectId(clientId),
          phone,
          $or: [{ opt_out_changed_at: null }, { opt_out_changed_at: { $lte: at } }],
        },
        {
          $set: {
            opted_out: optedOut,
            opted_out_at: optedOut ? at : null,
            opt_out_changed_at: at,
            // START is an opt-in the person gave by keyword: it is recorded as theirs.
            ...(optedOut ? {} : { opt_in: { at, source: 'inbound_keyword', text: 'opt-in keyword' } }),
          },
          ...historyPush([{ action: optedOut ? 'opt_out' : 'opt_in', at, source: 'inbound_keyword', text: optedOut ? 'opt-out keyword' : 'opt-in keyword' }]),
        },
      )
      .exec();
    return result.modifiedCount === 1;
  }

  /** Opt-out and last-inbound times of these numbers of one client, in one query (numbers without a contact are absent). */
  async recipientStates(clientId: string, phones: string[]): Promise<RecipientState[]> {
    const found = await this.contacts
      .find({ client_id: new Types.ObjectId(clientId), phone: { $in: phones } }, { phone: 1, opted_out: 1, marketing_stopped_at: 1, last_inbound_by_session: 1 })
      .lean<Array<Pick<ContactRecord, 'phone' | 'opted_out' | 'marketing_stopped_at'> & { last_inbound_by_session?: Record<string, Date> }>>()
      .exec();
    return found.map((contact) => ({
      phone: contact.phone,
      optedOut: contact.opted_out === true,
      marketingStopped: Boolean(contact.marketing_stopped_at),
      lastInboundBySession: new Map(Object.entries(contact.last_inbound_by_session ?? {})),
    }));
  }

  async update(clientId: string, id: string, changes: Partial<ContactFields & OptOutFields>): Promise<ContactRecord | null> {
    if (!isValidObjectId(id)) return null;
    try {
      return await this.contacts
        .findOneAndUpdate({ _id: new Types.ObjectId(id), client_id: new Types.ObjectId(clientId) }, { $set: changes }, { new: true, runValidators: true })
        .lean<ContactRecord>()
        .exec();
    } catch (error) {
      rethrowDuplicate(error, changes.phone);
    }
  }

  async delete(clientId: string, id: string): Promise<boolean> {
    if (!isValidObjectId(id)) return false;
    const result = await this.contacts.deleteOne({ _id: new Types.ObjectId(id), client_id: new Types.ObjectId(clientId) }).exec();
    return result.deletedCount === 1;
  }
}
