import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { isValidObjectId, Model, Types } from 'mongoose';
import { PageRequest, PageResult } from '@app/common';
import { findPage } from '../core/find-page';
import { Contact, ContactRecord } from './contact.schema';
import { isDuplicateKeyError } from '../core/mongo-errors';

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
  constructor(@InjectModel(Contact.name) private readonly contacts: Model<Contact>) {}

  async create(clientId: string, fields: ContactFields): Promise<ContactRecord> {
    try {
      const created = await this.contacts.create({ client_id: new Types.ObjectId(clientId), ...fields });
      return created.toObject<ContactRecord>();
    } catch (error) {
      rethrowDuplicate(error, fields.phone);
    }
  }

  async list(clientId: string, page: PageRequest): Promise<PageResult<ContactRecord>> {
    return findPage<Contact, ContactRecord>(this.contacts, { client_id: new Types.ObjectId(clientId) }, page);
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
        { $set: { opted_out: optedOut, opted_out_at: optedOut ? at : null, opt_out_changed_at: at } },
      )
      .exec();
    return result.modifiedCount === 1;
  }

  /** Opt-out and last-inbound times of these numbers of one client, in one query (numbers without a contact are absent). */
  async recipientStates(clientId: string, phones: string[]): Promise<RecipientState[]> {
    const found = await this.contacts
      .find({ client_id: new Types.ObjectId(clientId), phone: { $in: phones } }, { phone: 1, opted_out: 1, last_inbound_by_session: 1 })
      .lean<Array<Pick<ContactRecord, 'phone' | 'opted_out'> & { last_inbound_by_session?: Record<string, Date> }>>()
      .exec();
    return found.map((contact) => ({
      phone: contact.phone,
      optedOut: contact.opted_out === true,
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
