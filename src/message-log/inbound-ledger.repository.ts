import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { isValidObjectId, Model, mongo, Types } from 'mongoose';
import { createHash } from 'node:crypto';
import { isDuplicateKeyError } from '../core/mongo-errors';
import { nativeCollection } from '../core/native-collection';
import { InboundDetails, MessageLog, MessageLogRecord } from './message-log.schema';

/** A message a customer sent to one of the client's sessions, ready for the ledger. */
export interface NewInboundMessage {
  clientId: string;
  sessionId: string;
  /** The customer's number. */
  from: string;
  contact: { contactId: string | null; name: string | null };
  providerMessageId: string;
  text: string | null;
  location: { lat: number; lng: number; name: string | null; address: string | null } | null;
  inbound: InboundDetails;
}

/**
 * The message_uid of an inbound message: derived from the session and the provider's id,
 * so that the unique (client_id, message_uid) index makes a redelivered webhook one entry, not two.
 */
export function inboundMessageUid(sessionId: string, providerMessageId: string): string {
  return createHash('sha256').update(`inbound:${sessionId}:${providerMessageId}`).digest('hex').slice(0, 16);
}

/** The ledger's inbound side: messages customers sent, and the media fetched for them afterwards. */
@Injectable()
export class InboundLedgerRepository {
  private readonly ledger: mongo.Collection<MessageLogRecord>;

  constructor(@InjectModel(MessageLog.name) messageLogs: Model<MessageLog>) {
    this.ledger = nativeCollection<MessageLog, MessageLogRecord>(messageLogs);
  }

  /** Writes the message once: `created` is false when this provider id was already recorded for the session (the entry is then the first one). */
  async record(message: NewInboundMessage, at: Date = new Date()): Promise<{ entry: MessageLogRecord; created: boolean }> {
    const entry: MessageLogRecord = {
      _id: new Types.ObjectId(),
      client_id: new Types.ObjectId(message.clientId),
      session_id: new Types.ObjectId(message.sessionId),
      source: 'inbound',
      direction: 'inbound',
      broadcast_id: null,
      recipient: message.from,
      contact: {
        contact_id: message.contact.contactId ? new Types.ObjectId(message.contact.contactId) : null,
        name: message.contact.name,
        phone: message.from,
      },
      message: { text: message.text, attachments: [], location: message.location, contactId: null, template: null },
      template_name: null,
      message_uid: inboundMessageUid(message.sessionId, message.providerMessageId),
      status: 'received',
      status_times: { queuedAt: null, sendingAt: null, sentAt: null, deliveredAt: null, readAt: null, failedAt: null },
      provider_message_ids: [message.providerMessageId],
      error: null,
      cost_in_usd_cents: 0,
      priced_provider_message_ids: [],
      attempts: 0,
      claim: null,
      inbound: message.inbound,
      createdAt: at,
      updatedAt: at,
      __v: 0,
    };
    try {
      await this.ledger.insertOne(entry);
      return { entry, created: true };
    } catch (error) {
      if (!isDuplicateKeyError(error)) throw error;
      const first = await this.ledger.findOne({ client_id: entry.client_id, message_uid: entry.message_uid });
      if (!first) throw error;
      return { entry: first, created: false };
    }
  }

  async findById(id: string): Promise<MessageLogRecord | null> {
    if (!isValidObjectId(id)) return null;
    return this.ledger.findOne({ _id: new Types.ObjectId(id), direction: 'inbound' });
  }

  /**
   * The customer's media is stored as this attachment; answers the entry as it is now (null: it was deleted meanwhile).
   * These two name the full shard key (client_id, message_uid): a sharded findAndModify needs it before MongoDB 7.1.
   */
  async attachMedia(entry: Pick<MessageLogRecord, '_id' | 'client_id' | 'message_uid'>, attachmentId: string): Promise<MessageLogRecord | null> {
    return this.ledger.findOneAndUpdate(
      { _id: entry._id, client_id: entry.client_id, message_uid: entry.message_uid, direction: 'inbound' },
      {
        $addToSet: { 'message.attachments': new Types.ObjectId(attachmentId) },
        $set: { 'inbound.media.status': 'stored', 'inbound.media.error': null, updatedAt: new Date() },
      },
      { returnDocument: 'after' },
    );
  }

  /** The customer's media could not be fetched or kept: why, on the entry. */
  async mediaFailed(entry: Pick<MessageLogRecord, '_id' | 'client_id' | 'message_uid'>, reason: string): Promise<MessageLogRecord | null> {
    return this.ledger.findOneAndUpdate(
      { _id: entry._id, client_id: entry.client_id, message_uid: entry.message_uid, direction: 'inbound' },
      { $set: { 'inbound.media.status': 'failed', 'inbound.media.error': reason, updatedAt: new Date() } },
      { returnDocument: 'after' },
    );
  }
}
