import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { isValidObjectId, Model, Types } from 'mongoose';
import type { IndexSpec } from '../core/schema-indexes';
import { ContactImport, ContactImportRecord, ContactImportRejection } from './contact-import.schema';

/** GET /contacts/imports/:id reads by id and client. */
export const CONTACT_IMPORT_INDEXES: readonly IndexSpec[] = [{ keys: { client_id: 1, createdAt: -1 } }];

/** Rejected rows an import report lists, at most; the rest are counted. */
export const MAX_LISTED_REJECTIONS = 1000;

/** How far an import has got since its last report. */
export interface ImportProgress {
  rows: number;
  created: number;
  updated: number;
  unchanged: number;
  rejected: number;
  /** Rejections to list (the caller stops sending them once MAX_LISTED_REJECTIONS are listed). */
  rejections: ContactImportRejection[];
}

@Injectable()
export class ContactImportRepository {
  constructor(@InjectModel(ContactImport.name) private readonly imports: Model<ContactImport>) {}

  async create(clientId: string, bytes: number): Promise<ContactImportRecord> {
    const created = await this.imports.create({ client_id: new Types.ObjectId(clientId), status: 'running', bytes });
    return created.toObject<ContactImportRecord>();
  }

  /** The import only if it is the client's; another client's id reads as missing. */
  async findOwned(clientId: string, id: string): Promise<ContactImportRecord | null> {
    if (!isValidObjectId(id)) return null;
    return this.imports.findOne({ _id: new Types.ObjectId(id), client_id: new Types.ObjectId(clientId) }).lean<ContactImportRecord>().exec();
  }

  /** Adds a batch's counts and rejections (also the heartbeat that tells a running import from an interrupted one). */
  async addProgress(id: Types.ObjectId, progress: ImportProgress): Promise<void> {
    const { rejections, ...counts } = progress;
    await this.imports
      .updateOne({ _id: id }, { $inc: counts, ...(rejections.length > 0 ? { $push: { rejections: { $each: rejections } } } : {}) })
      .exec();
  }

  /**
   * Marks the import failed unless it has finished already: for an import thread that ended without
   * finishing its import (out of memory, or stopped with the API), or one stopped while it waited for
   * a thread; never over the thread's own report.
   */
  async failIfRunning(id: Types.ObjectId, error: string): Promise<void> {
    await this.imports.updateOne({ _id: id, status: { $in: ['queued', 'running'] } }, { $set: { status: 'failed', error, finished_at: new Date() } }).exec();
  }

  /** The import waits for a thread (see ContactImportThreads). */
  async markQueued(id: Types.ObjectId): Promise<void> {
    await this.imports.updateOne({ _id: id, status: 'running' }, { $set: { status: 'queued' } }).exec();
  }

  /** Its thread starts. */
  async markRunning(id: Types.ObjectId): Promise<void> {
    await this.imports.updateOne({ _id: id, status: 'queued' }, { $set: { status: 'running' } }).exec();
  }

  /** The heartbeat of imports still waiting, so that they are not taken for interrupted ones. */
  async touchQueued(ids: Types.ObjectId[], at: Date = new Date()): Promise<void> {
    if (ids.length === 0) return;
    await this.imports.updateMany({ _id: { $in: ids }, status: 'queued' }, { $set: { updatedAt: at } }, { timestamps: false }).exec();
  }

  async finish(id: Types.ObjectId, error: string | null): Promise<ContactImportRecord | null> {
    return this.imports
      .findOneAndUpdate({ _id: id }, { $set: { status: error ? 'failed' : 'completed', error, finished_at: new Date() } }, { new: true })
      .lean<ContactImportRecord>()
      .exec();
  }
}
