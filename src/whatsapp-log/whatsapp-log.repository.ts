import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { FilterQuery, isValidObjectId, Model, ProjectionType, SortOrder, Types } from 'mongoose';
import { PageResult } from '@app/common';
import type { FieldCondition, SortKey } from './whatsapp-log.query';
import { MAX_STATUS_MESSAGE_LENGTH, WhatsappLog, WhatsappLogRecord, WhatsappLogStatus } from './whatsapp-log.schema';

export interface NewWhatsappLog {
  clientId: string;
  sessionId: string;
  messageLogId: string | null;
  broadcastId: string | null;
  toNumber: string;
  fromNumber: string | null;
  messageText: string | null;
  /** `sent` when the provider accepted the call, `failed` when it refused it. */
  status: Extract<WhatsappLogStatus, 'sent' | 'failed'>;
  whatsAppMessageId: string | null;
  statusMessage: string | null;
  errorCode: string | null;
  costInUsdCents: number;
}

/** The statuses a WhatsApp log may move to `status` from: forward only; `failed` only before delivery. */
const WHATSAPP_STATUSES_BEFORE: Record<WhatsappLogStatus, WhatsappLogStatus[]> = {
  sent: [],
  delivered: ['sent'],
  read: ['sent', 'delivered'],
  failed: ['sent'],
};

/** statusMessage is bounded by the schema; provider texts can be longer. */
export function boundedStatusMessage(text: string | null | undefined): string | null {
  if (!text) return null;
  return text.length > MAX_STATUS_MESSAGE_LENGTH ? `${text.slice(0, MAX_STATUS_MESSAGE_LENGTH - 1)}…` : text;
}

const oidOrNull = (id: string | null): Types.ObjectId | null => (id ? new Types.ObjectId(id) : null);

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

  // ---------------------------------------------------------------------------------------
  // Writes: one entry per provider call (sending pipeline), then delivery status updates
  // (webhooks and the sandbox), which only ever move an entry forward.
  // ---------------------------------------------------------------------------------------

  async recordProviderCall(call: NewWhatsappLog): Promise<WhatsappLogRecord> {
    const created = await this.logs.create({
      projectId: new Types.ObjectId(call.clientId),
      sessionId: oidOrNull(call.sessionId),
      messageLogId: oidOrNull(call.messageLogId),
      broadcastId: oidOrNull(call.broadcastId),
      toNumber: call.toNumber,
      fromNumber: call.fromNumber,
      messageText: call.messageText,
      status: call.status,
      whatsAppMessageId: call.whatsAppMessageId,
      statusMessage: boundedStatusMessage(call.statusMessage),
      errorCode: call.errorCode,
      whatsAppCostInUSDCents: call.costInUsdCents,
    });
    return created.toObject<WhatsappLogRecord>();
  }

  /**
   * Moves the entry with this provider message id forward to `status`; returns the updated
   * entry, or null when it is unknown or already there or beyond (a repeated or late update).
   */
  async advanceStatus(
    whatsAppMessageId: string,
    status: WhatsappLogStatus,
    details: { statusMessage?: string | null; errorCode?: string | null } = {},
  ): Promise<WhatsappLogRecord | null> {
    const set: Record<string, unknown> = { status };
    if (details.statusMessage !== undefined) set.statusMessage = boundedStatusMessage(details.statusMessage);
    if (details.errorCode !== undefined) set.errorCode = details.errorCode;
    return this.logs
      .findOneAndUpdate({ whatsAppMessageId, status: { $in: WHATSAPP_STATUSES_BEFORE[status] } }, { $set: set }, { new: true })
      .lean<WhatsappLogRecord>()
      .exec();
  }

  /** Records the price of a call once (later reports of the same price are ignored); returns the entry when it changed. */
  async setCostOnce(whatsAppMessageId: string, costInUsdCents: number): Promise<WhatsappLogRecord | null> {
    return this.logs
      .findOneAndUpdate({ whatsAppMessageId, whatsAppCostInUSDCents: 0 }, { $set: { whatsAppCostInUSDCents: costInUsdCents } }, { new: true })
      .lean<WhatsappLogRecord>()
      .exec();
  }

  /**
   * The furthest delivery report any call of this logical message has reached (read over
   * delivered over failed), with the provider's reason when it is a failure.
   */
  async furthestDeliveryOfMessage(
    messageLogId: string,
  ): Promise<{ status: 'delivered' | 'read' | 'failed'; at: Date; failure?: { code: string; message: string } } | null> {
    const reached = await this.logs
      .find(
        // Only accepted calls (with a provider id): a call the provider refused is not a delivery report.
        { messageLogId: new Types.ObjectId(messageLogId), whatsAppMessageId: { $ne: null }, status: { $in: ['delivered', 'read', 'failed'] } },
        { status: 1, updatedAt: 1, errorCode: 1, statusMessage: 1 },
      )
      .lean<Array<Pick<WhatsappLogRecord, 'status' | 'updatedAt' | 'errorCode' | 'statusMessage'>>>()
      .exec();
    for (const status of ['read', 'delivered'] as const) {
      const call = reached.find((candidate) => candidate.status === status);
      if (call) return { status, at: call.updatedAt };
    }
    const failed = reached[0];
    if (!failed) return null;
    const code = failed.errorCode ?? 'delivery_failed';
    // Reports store "<code>: <message>" (DeliveryStatusService); the message log keeps them apart.
    const reported = failed.statusMessage ?? 'The provider reported the message as failed';
    const message = reported.startsWith(`${code}: `) ? reported.slice(code.length + 2) : reported;
    return { status: 'failed', at: failed.updatedAt, failure: { code, message } };
  }

  async findByWhatsAppMessageId(whatsAppMessageId: string): Promise<WhatsappLogRecord | null> {
    return this.logs.findOne({ whatsAppMessageId }).lean<WhatsappLogRecord>().exec();
  }

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

  // ---- Retention: the worker deletes old entries in small batches ----

  /**
   * Deletes up to `batchSize` entries created before `cutoff`, by id, so that no single delete
   * holds the collection for long; answers how many went (0: none older are left).
   */
  async deleteOlderThan(cutoff: Date, batchSize: number): Promise<number> {
    const old = await this.logs
      .find({ createdAt: { $lt: cutoff } }, { _id: 1 })
      .limit(batchSize)
      .lean<Array<{ _id: Types.ObjectId }>>()
      .exec();
    if (old.length === 0) return 0;
    const { deletedCount } = await this.logs.deleteMany({ _id: { $in: old.map(({ _id }) => _id) } }).exec();
    return deletedCount;
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
