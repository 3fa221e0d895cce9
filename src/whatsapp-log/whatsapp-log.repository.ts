import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { FilterQuery, isValidObjectId, Model, mongo, ProjectionType, SortOrder, Types } from 'mongoose';
import { AppConfig, ReadPreferenceMode } from '../config';
import { deleteOldestBatch } from '../core/delete-older-than';
import { isOnlyDuplicateKeys } from '../core/mongo-errors';
import { nativeCollection } from '../core/native-collection';
import { PageResult } from '@app/common';
import type { FieldCondition, SortKey } from './whatsapp-log.query';
import { CallStatus, REPORT_PRECEDENCE, reportableFrom, ReportedStatus } from '../message-status/message-status';
import { MAX_STATUS_MESSAGE_LENGTH, SeedRelationIdField, WhatsappLog, WhatsappLogRecord } from './whatsapp-log.schema';

export interface NewWhatsappLog {
  /** Chosen when the call is made, so that writing the log again (a retried write) cannot make a second one. */
  id: string;
  clientId: string;
  sessionId: string;
  messageLogId: string | null;
  broadcastId: string | null;
  toNumber: string;
  fromNumber: string | null;
  messageText: string | null;
  /** `sent` when the provider accepted the call, `failed` when it refused it. */
  status: Extract<CallStatus, 'sent' | 'failed'>;
  whatsAppMessageId: string | null;
  statusMessage: string | null;
  errorCode: string | null;
  costInUsdCents: number;
}

/** statusMessage is bounded by the schema; provider texts can be longer. */
export function boundedStatusMessage(text: string | null | undefined): string | null {
  if (!text) return null;
  return text.length > MAX_STATUS_MESSAGE_LENGTH ? `${text.slice(0, MAX_STATUS_MESSAGE_LENGTH - 1)}…` : text;
}

const oidOrNull = (id: string | null): Types.ObjectId | null => (id ? new Types.ObjectId(id) : null);

/** The seed's relations that have no counterpart here, stored null as the schema's defaults would. */
const SEED_RELATIONS_UNSET: Pick<WhatsappLog, SeedRelationIdField> = {
  incidentId: null,
  userId: null,
  alertId: null,
  monitorId: null,
  scheduledMaintenanceId: null,
  statusPageId: null,
  statusPageAnnouncementId: null,
  teamId: null,
  onCallDutyPolicyId: null,
  onCallDutyPolicyEscalationRuleId: null,
  onCallDutyPolicyScheduleId: null,
};

/** What a delivery report needs of the call it is about. */
export type ReportedOnCall = Pick<WhatsappLogRecord, '_id' | 'projectId' | 'whatsAppMessageId' | 'sessionId' | 'messageLogId' | 'status' | 'whatsAppCostInUSDCents'>;

export interface StatusAdvance {
  whatsAppMessageId: string;
  /** The call's client (its projectId, first in the shard key), as the report's read found it. */
  clientId: string;
  /** The call's own id: with its client, the full shard key, which a sharded updateOne needs before MongoDB 7.1. */
  callId: string;
  status: CallStatus;
  statusMessage?: string | null;
  errorCode?: string | null;
}

/** A call of a logical message that the provider accepted. */
export interface AcceptedCall {
  messageLogId: string;
  whatsAppMessageId: string;
  costInUsdCents: number;
}

export interface FurthestDelivery {
  /** The message's client: its calls' projectId. */
  clientId: string;
  status: ReportedStatus;
  at: Date;
  failure?: { code: string; message: string };
}

type ReportedCall = Pick<WhatsappLogRecord, 'projectId' | 'status' | 'updatedAt' | 'errorCode' | 'statusMessage'>;

/** The report that says most about the message (read, then delivered, then failed); a failure keeps the provider's code and message apart. */
function furthestOf(reached: ReportedCall[]): FurthestDelivery | null {
  for (const status of REPORT_PRECEDENCE) {
    const call = reached.find((candidate) => candidate.status === status);
    if (!call) continue;
    const clientId = call.projectId.toHexString();
    if (status !== 'failed') return { clientId, status, at: call.updatedAt };
    const code = call.errorCode ?? 'delivery_failed';
    // Reports store "<code>: <message>" (DeliveryStatusService); the message log keeps them apart.
    const reported = call.statusMessage ?? 'The provider reported the message as failed';
    const message = reported.startsWith(`${code}: `) ? reported.slice(code.length + 2) : reported;
    return { clientId, status, at: call.updatedAt, failure: { code, message } };
  }
  return null;
}

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
  private readonly collection: mongo.Collection<WhatsappLogRecord>;

  /** Where the WhatsApp log API reads from (MONGODB_READ_PREFERENCE); the pipeline's own reads stay on the primary. */
  private readonly readViewPreference: ReadPreferenceMode;

  constructor(
    @InjectModel(WhatsappLog.name) private readonly logs: Model<WhatsappLog>,
    config: AppConfig,
  ) {
    this.collection = nativeCollection<WhatsappLog, WhatsappLogRecord>(logs);
    this.readViewPreference = config.mongo.readViewPreference;
  }

  // ---------------------------------------------------------------------------------------
  // Writes: one entry per provider call (sending pipeline), then delivery status updates
  // (webhooks and the sandbox), which only ever move an entry forward.
  // ---------------------------------------------------------------------------------------

  /**
   * One entry per provider call, many calls in one insert (the sending path; no mongoose
   * documents). Idempotent: entries already written by an earlier try are left as they are.
   */
  async recordProviderCalls(calls: NewWhatsappLog[], at: Date = new Date()): Promise<void> {
    if (calls.length === 0) return;
    await this.insertIgnoringDuplicates(
      calls.map((call) => ({
        _id: new Types.ObjectId(call.id),
        projectId: new Types.ObjectId(call.clientId),
        toNumber: call.toNumber,
        fromNumber: call.fromNumber,
        messageText: call.messageText,
        statusMessage: boundedStatusMessage(call.statusMessage),
        whatsAppMessageId: call.whatsAppMessageId,
        status: call.status,
        whatsAppCostInUSDCents: call.costInUsdCents,
        ...SEED_RELATIONS_UNSET,
        messageLogId: oidOrNull(call.messageLogId),
        broadcastId: oidOrNull(call.broadcastId),
        sessionId: oidOrNull(call.sessionId),
        errorCode: call.errorCode,
        createdAt: at,
        updatedAt: at,
        __v: 0,
      })),
    );
  }

  private async insertIgnoringDuplicates(documents: WhatsappLogRecord[]): Promise<void> {
    try {
      await this.collection.insertMany(documents, { ordered: false });
    } catch (error) {
      // Entries written by an earlier try of the same calls.
      if (!isOnlyDuplicateKeys(error)) throw error;
    }
  }

  /** The calls of these logical messages that the provider accepted, in send order (what a re-run must not send again). */
  async acceptedCallsOfMessages(messageLogIds: string[]): Promise<AcceptedCall[]> {
    if (messageLogIds.length === 0) return [];
    const calls = await this.collection
      .find(
        { messageLogId: { $in: messageLogIds.map((id) => new Types.ObjectId(id)) }, whatsAppMessageId: { $ne: null } },
        { projection: { messageLogId: 1, whatsAppMessageId: 1, whatsAppCostInUSDCents: 1 } },
      )
      .sort({ _id: 1 })
      .toArray();
    return calls.map((call) => ({
      messageLogId: call.messageLogId!.toHexString(),
      whatsAppMessageId: call.whatsAppMessageId!,
      costInUsdCents: call.whatsAppCostInUSDCents,
    }));
  }

  /** What delivery reports need of these calls (one query for a batch of reports). */
  async findCallsByWhatsAppMessageIds(whatsAppMessageIds: string[]): Promise<ReportedOnCall[]> {
    if (whatsAppMessageIds.length === 0) return [];
    return this.collection
      .find(
        { whatsAppMessageId: { $in: whatsAppMessageIds } },
        { projection: { projectId: 1, whatsAppMessageId: 1, sessionId: 1, messageLogId: 1, status: 1, whatsAppCostInUSDCents: 1 } },
      )
      .toArray();
  }

  /** Moves these calls forward, each only from a status before its new one, in one bulk write. */
  async advanceStatuses(advances: StatusAdvance[], at: Date = new Date()): Promise<void> {
    if (advances.length === 0) return;
    await this.collection.bulkWrite(
      advances.map(({ whatsAppMessageId, clientId, callId, status, statusMessage, errorCode }) => {
        const set: Partial<WhatsappLogRecord> = { status, updatedAt: at };
        if (statusMessage !== undefined) set.statusMessage = boundedStatusMessage(statusMessage);
        if (errorCode !== undefined) set.errorCode = errorCode;
        return {
          updateOne: {
            filter: { projectId: new Types.ObjectId(clientId), _id: new Types.ObjectId(callId), whatsAppMessageId, status: { $in: reportableFrom(status) } },
            update: { $set: set },
          },
        };
      }),
      { ordered: true },
    );
  }

  /** Records the prices of calls in one bulk write, each once (a call already priced keeps its price). */
  async setCostsOnce(prices: Array<{ whatsAppMessageId: string; clientId: string; callId: string; costInUsdCents: number }>, at: Date = new Date()): Promise<void> {
    if (prices.length === 0) return;
    await this.collection.bulkWrite(
      prices.map(({ whatsAppMessageId, clientId, callId, costInUsdCents }) => ({
        updateOne: {
          filter: { projectId: new Types.ObjectId(clientId), _id: new Types.ObjectId(callId), whatsAppMessageId, whatsAppCostInUSDCents: 0 },
          update: { $set: { whatsAppCostInUSDCents: costInUsdCents, updatedAt: at } },
        },
      })),
      { ordered: false },
    );
  }

  /**
   * For each of these logical messages that has one, the furthest delivery report any of its
   * calls has reached (read over delivered over failed), with the provider's reason when it is
   * a failure. One query for all of them.
   */
  async furthestDeliveryOfMessages(messageLogIds: string[]): Promise<Map<string, FurthestDelivery>> {
    const furthest = new Map<string, FurthestDelivery>();
    if (messageLogIds.length === 0) return furthest;
    const reached = await this.collection
      .find(
        // Only accepted calls (with a provider id): a call the provider refused is not a delivery report.
        {
          messageLogId: { $in: messageLogIds.map((id) => new Types.ObjectId(id)) },
          whatsAppMessageId: { $ne: null },
          status: { $in: [...REPORT_PRECEDENCE] },
        },
        { projection: { projectId: 1, messageLogId: 1, status: 1, updatedAt: 1, errorCode: 1, statusMessage: 1 } },
      )
      .toArray();
    for (const id of messageLogIds) {
      const delivery = furthestOf(reached.filter((call) => call.messageLogId?.toHexString() === id));
      if (delivery) furthest.set(id, delivery);
    }
    return furthest;
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
        .read(this.readViewPreference)
        .lean<WhatsappLogView[]>()
        .exec(),
      this.logs.countDocuments(filter).read(this.readViewPreference).exec(),
    ]);
    return { items, total };
  }

  async countForClient(clientId: string, conditions: readonly FieldCondition[]): Promise<number> {
    return this.logs.countDocuments(this.clientFilter(clientId, conditions)).read(this.readViewPreference).exec();
  }

  /** The log only if it belongs to the client; another client's id reads as missing. */
  async findOneForClient(clientId: string, id: string, select: readonly string[] | null): Promise<WhatsappLogView | null> {
    if (!isValidObjectId(id)) return null;
    return this.logs
      .findOne({ _id: new Types.ObjectId(id), projectId: new Types.ObjectId(clientId) }, this.projection(select))
      .read(this.readViewPreference)
      .lean<WhatsappLogView>()
      .exec();
  }

  // ---- Retention: the worker deletes old entries in small batches ----

  /** Up to `batchSize` entries created before `cutoff`; answers how many went (0: none older are left). */
  deleteOlderThan(cutoff: Date, batchSize: number): Promise<number> {
    return deleteOldestBatch(this.logs, cutoff, batchSize);
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
