import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model, Types } from 'mongoose';
import { PageRequest, PageResult } from '@app/common';
import { findPage } from '../core/find-page';
import { Attachment, AttachmentRecord } from './attachment.schema';

export interface NewAttachment {
  id: string;
  clientId: string;
  type: string;
  mimetype: string;
  name: string;
  path: string;
  size: number;
}

const OBJECT_ID = /^[0-9a-fA-F]{24}$/;

/** Attachment records; every query is scoped to one client. */
@Injectable()
export class AttachmentRepository {
  constructor(@InjectModel(Attachment.name) private readonly attachments: Model<Attachment>) {}

  async create(attachment: NewAttachment): Promise<AttachmentRecord> {
    const created = await this.attachments.create({
      _id: new Types.ObjectId(attachment.id),
      client_id: new Types.ObjectId(attachment.clientId),
      type: attachment.type,
      mimetype: attachment.mimetype,
      name: attachment.name,
      path: attachment.path,
      size: attachment.size,
    });
    return created.toObject<AttachmentRecord>();
  }

  /** The record only if it belongs to the client; another client's id reads as missing. */
  async findOwned(clientId: string, id: string): Promise<AttachmentRecord | null> {
    if (!OBJECT_ID.test(id)) return null;
    return this.attachments.findOne(this.owned(clientId, id)).lean<AttachmentRecord>().exec();
  }

  /** This client's records among `ids` (unknown and foreign ids are left out). */
  async findManyOwned(clientId: string, ids: string[]): Promise<AttachmentRecord[]> {
    const valid = [...new Set(ids.filter((id) => OBJECT_ID.test(id)))];
    if (valid.length === 0) return [];
    return this.attachments
      .find({ client_id: new Types.ObjectId(clientId), _id: { $in: valid.map((id) => new Types.ObjectId(id)) } })
      .lean<AttachmentRecord[]>()
      .exec();
  }

  /** One page of the client's records, newest first. */
  async listByClient(clientId: string, page: PageRequest): Promise<PageResult<AttachmentRecord>> {
    return findPage<Attachment, AttachmentRecord>(this.attachments, { client_id: new Types.ObjectId(clientId) }, page);
  }

  /** Deletes the record if it is the client's; returns what was deleted. */
  async deleteOwned(clientId: string, id: string): Promise<AttachmentRecord | null> {
    if (!OBJECT_ID.test(id)) return null;
    return this.attachments.findOneAndDelete(this.owned(clientId, id)).lean<AttachmentRecord>().exec();
  }

  private owned(clientId: string, id: string): { _id: Types.ObjectId; client_id: Types.ObjectId } {
    return { _id: new Types.ObjectId(id), client_id: new Types.ObjectId(clientId) };
  }
}
