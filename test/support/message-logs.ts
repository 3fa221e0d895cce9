import type { INestApplicationContext } from '@nestjs/common';
import { getModelToken } from '@nestjs/mongoose';
import type { Model } from 'mongoose';
import { Types } from 'mongoose';
import { randomBytes, randomInt } from 'node:crypto';
import { MessageLog, MessageLogRecord, MessageSource } from '../../src/message-log/message-log.schema';
import type { MessageStatus } from '../../src/message-status/message-status';

export interface MessageLogSeed {
  clientId: string;
  sessionId: string;
  recipient?: string;
  source?: MessageSource;
  status?: MessageStatus;
  contactName?: string | null;
  contactId?: string | null;
  text?: string | null;
  attachments?: string[];
  templateName?: string | null;
  broadcastId?: string | null;
  messageUid?: string;
  createdAt?: Date;
}

const STATUS_TIME_FIELD: Record<Exclude<MessageStatus, 'received'>, keyof MessageLog['status_times']> = {
  // A scheduled message was accepted (queued) then; it waits for its send_at.
  scheduled: 'queuedAt',
  queued: 'queuedAt',
  sending: 'sendingAt',
  sent: 'sentAt',
  delivered: 'deliveredAt',
  read: 'readAt',
  failed: 'failedAt',
  cancelled: 'cancelledAt',
};

/**
 * Writes message-log entries straight into MongoDB, as the sending pipeline would leave
 * them, so that the read views can be tested on exact data (times included).
 */
export async function insertMessageLogs(app: Pick<INestApplicationContext, 'get'>, seeds: MessageLogSeed[]): Promise<MessageLogRecord[]> {
  const model = app.get<Model<MessageLog>>(getModelToken(MessageLog.name));
  const documents = seeds.map((seed) => {
    const createdAt = seed.createdAt ?? new Date();
    const status = seed.status ?? 'sent';
    const recipient = seed.recipient ?? `23480${randomInt(10_000_000, 99_999_999)}`;
    const source = seed.source ?? 'api';
    // A broadcast entry always belongs to a broadcast (one entry per broadcast and recipient).
    const broadcastId = seed.broadcastId ?? (source === 'broadcast' ? new Types.ObjectId().toHexString() : null);
    return {
      client_id: new Types.ObjectId(seed.clientId),
      session_id: new Types.ObjectId(seed.sessionId),
      source,
      broadcast_id: broadcastId ? new Types.ObjectId(broadcastId) : null,
      recipient,
      contact: {
        contact_id: seed.contactId ? new Types.ObjectId(seed.contactId) : null,
        name: seed.contactName ?? null,
        phone: recipient,
      },
      message: {
        text: seed.text === undefined ? 'Hello' : seed.text,
        attachments: (seed.attachments ?? []).map((id) => new Types.ObjectId(id)),
        location: null,
        contactId: null,
        template: seed.templateName ? { name: seed.templateName, language: 'en' } : null,
      },
      template_name: seed.templateName ?? null,
      message_uid: seed.messageUid ?? randomBytes(8).toString('hex'),
      status,
      // An inbound message has no step times: its createdAt says when it arrived.
      status_times: status === 'received' ? {} : { queuedAt: createdAt, [STATUS_TIME_FIELD[status]]: createdAt },
      provider_message_ids: status === 'queued' ? [] : [`wamid.${randomBytes(6).toString('hex')}`],
      error: status === 'failed' ? { code: '131026', message: 'Message undeliverable' } : null,
      createdAt,
      updatedAt: createdAt,
    };
  });
  const inserted = await model.insertMany(documents, { lean: true });
  return model
    .find({ _id: { $in: inserted.map((doc) => doc._id) } })
    .sort({ createdAt: -1, _id: -1 })
    .lean<MessageLogRecord[]>()
    .exec();
}
