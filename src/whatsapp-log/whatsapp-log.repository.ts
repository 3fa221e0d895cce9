import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model, Types } from 'mongoose';
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

@Injectable()
export class WhatsappLogRepository {
  constructor(@InjectModel(WhatsappLog.name) private readonly whatsappLogs: Model<WhatsappLog>) {}

  // ---------------------------------------------------------------------------------------
  // Writes: one entry per provider call (sending pipeline), then delivery status updates
  // (webhooks and the sandbox), which only ever move an entry forward.
  // ---------------------------------------------------------------------------------------

  async recordProviderCall(call: NewWhatsappLog): Promise<WhatsappLogRecord> {
    const created = await this.whatsappLogs.create({
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
    return this.whatsappLogs
      .findOneAndUpdate({ whatsAppMessageId, status: { $in: WHATSAPP_STATUSES_BEFORE[status] } }, { $set: set }, { new: true })
      .lean<WhatsappLogRecord>()
      .exec();
  }

  /** Records the price of a call once (later reports of the same price are ignored); returns the entry when it changed. */
  async setCostOnce(whatsAppMessageId: string, costInUsdCents: number): Promise<WhatsappLogRecord | null> {
    return this.whatsappLogs
      .findOneAndUpdate({ whatsAppMessageId, whatsAppCostInUSDCents: 0 }, { $set: { whatsAppCostInUSDCents: costInUsdCents } }, { new: true })
      .lean<WhatsappLogRecord>()
      .exec();
  }

  async findByWhatsAppMessageId(whatsAppMessageId: string): Promise<WhatsappLogRecord | null> {
    return this.whatsappLogs.findOne({ whatsAppMessageId }).lean<WhatsappLogRecord>().exec();
  }
}
