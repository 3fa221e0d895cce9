import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { isValidObjectId, Model, mongo, Types } from 'mongoose';
import { createHash } from 'node:crypto';
import { isDuplicateKeyError } from '../core/mongo-errors';
import { nativeCollection } from '../core/native-collection';
import type { OutboxEventType } from './ledger-events';
import { InboundDetails, MessageLog, MessageLogRecord, ReplyAttribution } from './message-log.schema';

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
  /** Events recorded on the new entry (its outbox): `message.received` when the client listens and the entry is complete. */
  events?: OutboxEventType[];
}

/** The update part that records an event on the entry it changes (nothing when none is recorded). */
const recording = (event: OutboxEventType | null): { $addToSet?: { pending_events: OutboxEventType } } => (event ? { $addToSet: { pending_events: event } } : {});

/**
 * The message_uid of an inbound message: derived from the session and the provider's id,
 * so that the unique (client_id, message_uid) index makes a redelivered webhook one entry, not two.
 */
export function inboundMessageUid(sessionId: string, providerMessageId: string): string {
  return createHash('sha256').update(`inbound:${sessionId}:${providerMessageId}`).digest('hex').slice(0, 16);
}

/** What a customer's message may answer: the message it quotes, or the broadcast messages sent to them shortly before. */
export interface ReplyQuery {
  clientId: string;
  sessionId: string;
  /** The customer's number. */
  from: string;
  /** The provider id the message quotes (Cloud API `context.id`), if any. */
  quotedProviderMessageId: string | null;
  /** When the customer sent it. */
  at: Date;
  /** How long after a broadcast message an unquoted message still counts as its reply. */
  windowMs: number;
}

/** An outbound message found as the one a reply answers, and how. */
export interface ReplyMatch {
  target: MessageLogRecord;
  attribution: ReplyAttribution;
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
      ...(message.events && message.events.length > 0 ? { pending_events: message.events } : {}),
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
   * The entry is complete: `event` (`message.received`, when the client listens) is recorded in the same update.
   * These two name the full shard key (client_id, message_uid): a sharded findAndModify needs it before MongoDB 7.1.
   */
  async attachMedia(entry: Pick<MessageLogRecord, '_id' | 'client_id' | 'message_uid'>, attachmentId: string, event: OutboxEventType | null = null): Promise<MessageLogRecord | null> {
    const attached = { 'message.attachments': new Types.ObjectId(attachmentId), ...(event ? { pending_events: event } : {}) };
    return this.ledger.findOneAndUpdate(
      { _id: entry._id, client_id: entry.client_id, message_uid: entry.message_uid, direction: 'inbound' },
      { $addToSet: attached, $set: { 'inbound.media.status': 'stored', 'inbound.media.error': null, updatedAt: new Date() } },
      { returnDocument: 'after' },
    );
  }

  /** The customer's media could not be fetched or kept: why, on the entry (and `event`, as attachMedia records it). */
  async mediaFailed(entry: Pick<MessageLogRecord, '_id' | 'client_id' | 'message_uid'>, reason: string, event: OutboxEventType | null = null): Promise<MessageLogRecord | null> {
    return this.ledger.findOneAndUpdate(
      { _id: entry._id, client_id: entry.client_id, message_uid: entry.message_uid, direction: 'inbound' },
      { $set: { 'inbound.media.status': 'failed', 'inbound.media.error': reason, updatedAt: new Date() }, ...recording(event) },
      { returnDocument: 'after' },
    );
  }

  /**
   * The outbound message a customer's message answers: the one it quotes (exact, whatever sent
   * it), else the latest broadcast message this session sent to the customer within the window
   * before it. Both are served by existing indexes (provider_message_ids; client and recipient).
   */
  async findReplyTarget(query: ReplyQuery): Promise<ReplyMatch | null> {
    const clientId = new Types.ObjectId(query.clientId);
    if (query.quotedProviderMessageId) {
      const quoted = await this.ledger.findOne({ provider_message_ids: query.quotedProviderMessageId, client_id: clientId, direction: { $ne: 'inbound' } });
      if (quoted) return { target: quoted, attribution: 'quoted' };
    }
    if (query.windowMs <= 0) return null;
    const [latest] = await this.ledger
      .find({
        client_id: clientId,
        recipient: query.from,
        session_id: new Types.ObjectId(query.sessionId),
        source: 'broadcast',
        'status_times.sentAt': { $gte: new Date(query.at.getTime() - query.windowMs), $lte: query.at },
      })
      .sort({ 'status_times.sentAt': -1 })
      .limit(1)
      .toArray();
    return latest ? { target: latest, attribution: 'window' } : null;
  }

  /**
   * Ties the reply to its target: the inbound entry names it, and the outbound entry keeps when
   * it was first replied to. Answers whether this was the target's first reply (later ones leave
   * `replied_at` as it is). The reply's entry records `event` (`message.replied`, when the client
   * listens) in the update that ties it. Safe to repeat.
   */
  async recordReply(reply: Pick<MessageLogRecord, '_id' | 'client_id' | 'message_uid'>, match: ReplyMatch, at: Date, event: OutboxEventType | null = null): Promise<boolean> {
    const { target, attribution } = match;
    await this.ledger.updateOne(
      { _id: reply._id, client_id: reply.client_id, message_uid: reply.message_uid, direction: 'inbound' },
      { $set: { in_reply_to: { message_log_id: target._id, broadcast_id: target.broadcast_id ?? null, attribution }, updatedAt: new Date() }, ...recording(event) },
    );
    const first = await this.ledger.updateOne(
      { _id: target._id, client_id: target.client_id, message_uid: target.message_uid, replied_at: { $in: [null] } },
      { $set: { replied_at: at, updatedAt: new Date() } },
    );
    return first.modifiedCount === 1;
  }
}
