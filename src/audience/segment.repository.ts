import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { isValidObjectId, Model, Types } from 'mongoose';
import { PageRequest, PageResult } from '@app/common';
import { findPage } from '../core/find-page';
import type { IndexSpec } from '../core/schema-indexes';
import type { SegmentFilter } from './segment-filter';
import { Segment, SegmentRecord } from './segment.schema';

/** GET /segments, newest first. */
export const SEGMENT_INDEXES: readonly IndexSpec[] = [{ keys: { client_id: 1, createdAt: -1, _id: -1 } }];

@Injectable()
export class SegmentRepository {
  constructor(@InjectModel(Segment.name) private readonly segments: Model<Segment>) {}

  async create(clientId: string, name: string, filter: SegmentFilter): Promise<SegmentRecord> {
    const created = await this.segments.create({ client_id: new Types.ObjectId(clientId), name, filter });
    return created.toObject<SegmentRecord>();
  }

  list(clientId: string, page: PageRequest): Promise<PageResult<SegmentRecord>> {
    return findPage<Segment, SegmentRecord>(this.segments, { client_id: new Types.ObjectId(clientId) }, page);
  }

  /** The segment only if it is the client's; another client's id reads as missing. */
  async findOwned(clientId: string, id: string): Promise<SegmentRecord | null> {
    if (!isValidObjectId(id)) return null;
    return this.segments.findOne({ _id: new Types.ObjectId(id), client_id: new Types.ObjectId(clientId) }).lean<SegmentRecord>().exec();
  }

  async update(clientId: string, id: string, changes: { name?: string; filter?: SegmentFilter }): Promise<SegmentRecord | null> {
    if (!isValidObjectId(id)) return null;
    return this.segments
      .findOneAndUpdate({ _id: new Types.ObjectId(id), client_id: new Types.ObjectId(clientId) }, { $set: changes }, { new: true })
      .lean<SegmentRecord>()
      .exec();
  }

  async delete(clientId: string, id: string): Promise<boolean> {
    if (!isValidObjectId(id)) return false;
    const result = await this.segments.deleteOne({ _id: new Types.ObjectId(id), client_id: new Types.ObjectId(clientId) }).exec();
    return result.deletedCount === 1;
  }
}
