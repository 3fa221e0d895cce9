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

  async update(clientId: string, id: string, changes: Partial<ContactFields>): Promise<ContactRecord | null> {
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
