import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { FilterQuery, isValidObjectId, Model, ProjectionType, SortOrder, Types } from 'mongoose';
import { PageResult } from '@app/common';
import type { FieldCondition, SortKey } from './whatsapp-log.query';
import { WhatsappLog, WhatsappLogRecord } from './whatsapp-log.schema';

/** A WhatsApp log as read through the API: all of its fields, or the selected ones. */
export type WhatsappLogView = Partial<WhatsappLogRecord>;

export interface WhatsappLogListRequest {
  select: readonly string[] | null;
  conditions: readonly FieldCondition[];
  sort: readonly SortKey[];
  skip: number;
  limit: number;
}

@Injectable()
export class WhatsappLogRepository {
  constructor(@InjectModel(WhatsappLog.name) private readonly logs: Model<WhatsappLog>) {}

  // ---- Reads for the WhatsApp log API (seed 002): always within one client ----

  /** One page of the client's logs matching the conditions, and how many match in all. */
  async findPageForClient(clientId: string, request: WhatsappLogListRequest): Promise<PageResult<WhatsappLogView>> {
    const filter = this.clientFilter(clientId, request.conditions);
    const sort: Record<string, SortOrder> = Object.fromEntries(request.sort.map(({ field, direction }) => [field, direction]));
    const [items, total] = await Promise.all([
      this.logs
        .find(filter, this.projection(request.select))
        .sort(sort)
        .skip(request.skip)
        .limit(request.limit)
        .lean<WhatsappLogView[]>()
        .exec(),
      this.logs.countDocuments(filter).exec(),
    ]);
    return { items, total };
  }

  async countForClient(clientId: string, conditions: readonly FieldCondition[]): Promise<number> {
    return this.logs.countDocuments(this.clientFilter(clientId, conditions)).exec();
  }

  /** The log only if it belongs to the client; another client's id reads as missing. */
  async findOneForClient(clientId: string, id: string, select: readonly string[] | null): Promise<WhatsappLogView | null> {
    if (!isValidObjectId(id)) return null;
    return this.logs
      .findOne({ _id: new Types.ObjectId(id), projectId: new Types.ObjectId(clientId) }, this.projection(select))
      .lean<WhatsappLogView>()
      .exec();
  }

  /** Equality only, spelled with `$eq` so that a value can never be read as an operator. */
  private clientFilter(clientId: string, conditions: readonly FieldCondition[]): FilterQuery<WhatsappLog> {
    const clauses: Array<FilterQuery<WhatsappLog>> = conditions.map(({ field, kind, value }) => ({
      [field]: { $eq: kind === 'objectId' && typeof value === 'string' ? new Types.ObjectId(value) : value },
    }));
    // The client comes last in an $and of its own, so no condition can widen or replace it.
    return { $and: [...clauses, { projectId: { $eq: new Types.ObjectId(clientId) } }] };
  }

  private projection(select: readonly string[] | null): ProjectionType<WhatsappLog> | undefined {
    return select ? Object.fromEntries(select.map((field) => [field, 1])) : undefined;
  }
}
