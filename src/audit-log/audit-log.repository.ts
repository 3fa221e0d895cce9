import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { FilterQuery, Model, Types } from 'mongoose';
import { deleteOldestBatch } from '../core/delete-older-than';
import { AuditAction, AuditKind, AuditLogEntry, AuditLogRecord } from './audit-log.schema';

export interface NewAuditEntry {
  clientId: string;
  kind: AuditKind;
  action: AuditAction;
  targetId: string | null;
  actorKeyId: string | null;
  route: string;
  ip: string | null;
  fields: string[];
}

export interface AuditPageRequest {
  kind?: AuditKind;
  actorKeyId?: string;
  /** Entries older than this one (the previous page's last). */
  before?: string;
  limit: number;
}

/** The audit log: appended to and read, never updated; entries leave only by retention. */
@Injectable()
export class AuditLogRepository {
  constructor(@InjectModel(AuditLogEntry.name) private readonly entries: Model<AuditLogEntry>) {}

  async append(entry: NewAuditEntry): Promise<AuditLogRecord> {
    const created = await this.entries.create({
      client_id: new Types.ObjectId(entry.clientId),
      kind: entry.kind,
      action: entry.action,
      target_id: entry.targetId,
      actor_key_id: entry.actorKeyId,
      route: entry.route,
      ip: entry.ip,
      fields: entry.fields,
    });
    return created.toObject<AuditLogRecord>();
  }

  /** One page of the client's entries, newest first; one more than `limit` is read to tell whether another page follows. */
  async page(clientId: string, request: AuditPageRequest): Promise<{ items: AuditLogRecord[]; more: boolean }> {
    const filter: FilterQuery<AuditLogEntry> = { client_id: new Types.ObjectId(clientId) };
    if (request.kind) filter.kind = request.kind;
    if (request.actorKeyId) filter.actor_key_id = request.actorKeyId;
    if (request.before) filter._id = { $lt: new Types.ObjectId(request.before) };
    const found = await this.entries
      .find(filter)
      .sort({ _id: -1 })
      .limit(request.limit + 1)
      .lean<AuditLogRecord[]>()
      .exec();
    return { items: found.slice(0, request.limit), more: found.length > request.limit };
  }

  deleteOlderThan(cutoff: Date, batchSize: number): Promise<number> {
    return deleteOldestBatch(this.entries, cutoff, batchSize);
  }
}
