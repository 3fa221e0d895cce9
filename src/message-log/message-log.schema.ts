import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';
import { SchemaTypes, Types } from 'mongoose';
import { MessageContent } from '../message-content/message-content.schema';
import { MESSAGE_STATUSES, MessageStatus } from '../message-status/message-status';

/** Where a logical message came from: a broadcast's recipient, POST /v1/messages, or a customer writing to a session. */
export const MESSAGE_SOURCES = ['broadcast', 'api', 'inbound'] as const;
export type MessageSource = (typeof MESSAGE_SOURCES)[number];

/** Whether we sent the message (`outbound`) or a customer sent it to one of our sessions (`inbound`). */
export const MESSAGE_DIRECTIONS = ['outbound', 'inbound'] as const;
export type MessageDirection = (typeof MESSAGE_DIRECTIONS)[number];

/** When each status was reached; null until then. */
@Schema({ _id: false })
export class MessageStatusTimes {
  @Prop({ type: Date, default: null }) queuedAt!: Date | null;
  @Prop({ type: Date, default: null }) sendingAt!: Date | null;
  @Prop({ type: Date, default: null }) sentAt!: Date | null;
  @Prop({ type: Date, default: null }) deliveredAt!: Date | null;
  @Prop({ type: Date, default: null }) readAt!: Date | null;
  @Prop({ type: Date, default: null }) failedAt!: Date | null;
  /** Only on a message the client cancelled before it was sent. */
  @Prop({ type: Date, required: false }) cancelledAt?: Date | null;
}

/** The recipient's contact as it was when the message was created (contacts can change later). */
@Schema({ _id: false })
export class ContactSnapshot {
  @Prop({ type: SchemaTypes.ObjectId, default: null }) contact_id!: Types.ObjectId | null;
  @Prop({ type: String, default: null }) name!: string | null;
  @Prop({ type: String, required: true }) phone!: string;
}

/** What an inbound message holds beyond text, attachments and location (InboundDetails, stored as sent). */
export interface InboundDetails {
  /** The Cloud API's message type: text, image, video, audio, document, sticker, location, contacts, button, interactive, reaction, unsupported. */
  type: string;
  /** The customer's WhatsApp profile name, when given. */
  profile_name: string | null;
  /** A media file: fetched from the provider into an attachment (`message.attachments`) after the entry is written. */
  media: {
    kind: string;
    provider_media_id: string;
    mime_type: string | null;
    caption: string | null;
    file_name: string | null;
    status: 'pending' | 'stored' | 'failed';
    error: string | null;
  } | null;
  /** Contact cards the customer shared. */
  contacts: unknown[] | null;
  /** A button or list reply: which option. */
  reply: { kind: string; id: string | null; title: string } | null;
  /** A reaction to one of our messages (emoji null: the reaction was removed). */
  reaction: { message_id: string; emoji: string | null } | null;
  /** The provider id of the message this one answers. */
  reply_to: string | null;
}

/**
 * One send attempt's hold on a message: taken in the conditional update that starts the
 * attempt, released when it ends, and void after `expires_at` (the attempt's worker died).
 * While it holds, no other attempt calls the provider for this message.
 */
@Schema({ _id: false })
export class SendLease {
  @Prop({ type: String, required: true }) token!: string;
  @Prop({ type: Date, required: true }) expires_at!: Date;
  /** The process of the attempt (see PROCESS_ID); absent on leases taken by earlier versions. */
  @Prop({ type: String }) holder?: string;
}

/** Why an unsent message waits, and until when (the portfolio's messaging limit: the moving 24 hours frees room then). */
@Schema({ _id: false })
export class MessageWait {
  @Prop({ type: String, required: true }) reason!: string;
  @Prop({ type: Date, required: true }) until!: Date;
}

@Schema({ _id: false })
export class MessageError {
  @Prop({ type: String, required: true }) code!: string;
  @Prop({ type: String, required: true }) message!: string;
  /** Set by the sender: the final attempt failed for a reason that may pass (POST /broadcast/:id/retry retries these). */
  @Prop({ type: Boolean }) transient?: boolean;
}

/** How an inbound message was tied to one of our messages: it quoted it (`context.id`), or came within the attribution window after it. */
export const REPLY_ATTRIBUTIONS = ['quoted', 'window'] as const;
export type ReplyAttribution = (typeof REPLY_ATTRIBUTIONS)[number];

/** On an inbound message attributed as a reply: the outbound message (and its broadcast) it answers. */
@Schema({ _id: false })
export class ReplyTarget {
  @Prop({ type: SchemaTypes.ObjectId, required: true }) message_log_id!: Types.ObjectId;
  @Prop({ type: SchemaTypes.ObjectId, default: null }) broadcast_id!: Types.ObjectId | null;
  @Prop({ type: String, required: true, enum: REPLY_ATTRIBUTIONS }) attribution!: ReplyAttribution;
}

/**
 * The ledger: one entry per logical message to one recipient. Seeds 000, 003 and 004 are
 * three views of this collection; WhatsApp logs (one per provider call) point at it.
 */
@Schema({ collection: 'message_logs', timestamps: true })
export class MessageLog {
  @Prop({ type: SchemaTypes.ObjectId, required: true }) client_id!: Types.ObjectId;
  @Prop({ type: SchemaTypes.ObjectId, required: true }) session_id!: Types.ObjectId;
  @Prop({ type: String, required: true, enum: MESSAGE_SOURCES }) source!: MessageSource;
  @Prop({ type: String, enum: MESSAGE_DIRECTIONS, default: 'outbound' }) direction!: MessageDirection;
  @Prop({ type: SchemaTypes.ObjectId, default: null }) broadcast_id!: Types.ObjectId | null;
  /** The contact's number, digits-only international form: whom we wrote to, or (inbound) who wrote to us. */
  @Prop({ type: String, required: true }) recipient!: string;
  @Prop({ type: ContactSnapshot, required: true }) contact!: ContactSnapshot;
  /** What was asked for; a message log always holds `template` (null when none). */
  @Prop({ type: MessageContent, required: true }) message!: MessageContent;
  @Prop({ type: String, default: null }) template_name!: string | null;
  /** A template send's language and category (from the session's catalogue): what cost estimates and messaging limits count by. */
  @Prop({ type: String }) template_language?: string | null;
  @Prop({ type: String }) template_category?: string | null;
  /** A scheduled message (POST /v1/messages with send_at) is not sent before this; null: at once. */
  @Prop({ type: Date, default: null }) send_at?: Date | null;
  /** 16 hex characters; the id POST /v1/messages answers and seed 004 lists. */
  @Prop({ type: String, required: true }) message_uid!: string;
  @Prop({ type: String, required: true, enum: MESSAGE_STATUSES, default: 'queued' }) status!: MessageStatus;
  @Prop({ type: MessageStatusTimes, default: () => ({}) }) status_times!: MessageStatusTimes;
  /** Provider ids of every wire message this logical message was sent as. */
  @Prop({ type: [String], default: [] }) provider_message_ids!: string[];
  @Prop({ type: MessageError, default: null }) error!: MessageError | null;
  @Prop({ type: Number, default: 0 }) cost_in_usd_cents!: number;
  /** Provider ids whose delivery-report price is in cost_in_usd_cents (each is added once). Internal: not read by the views. */
  @Prop({ type: [String], default: [], select: false }) priced_provider_message_ids!: string[];
  @Prop({ type: Number, default: 0 }) attempts!: number;
  /** Inbound messages only: what the customer sent beyond the message parts. */
  @Prop({ type: Object, default: null }) inbound!: InboundDetails | null;
  /** Outbound messages: when the recipient first replied to it (see ReplyTarget); absent until then. */
  @Prop({ type: Date }) replied_at?: Date | null;
  /** Inbound messages: the outbound message this one was attributed to as a reply; absent when none. */
  @Prop({ type: ReplyTarget }) in_reply_to?: ReplyTarget | null;
  /** An unsent message held back (the messaging limit), and until when; removed when it is sent or fails. */
  @Prop({ type: MessageWait }) waiting?: MessageWait | null;
  /**
   * The outbox: client events the write that changed this entry recorded (`message.sent`, ...) and
   * that are not published yet; absent when none wait. Written in the same update as the change,
   * taken off once their deliveries are created and queued. Internal: not read by the views.
   */
  @Prop({ type: [String], default: undefined, select: false }) pending_events?: string[];
  /** The send attempt under way, if any (see SendLease). Internal: not read by the views. */
  @Prop({ type: SendLease, default: null, select: false }) claim!: SendLease | null;
}

export const MessageLogSchema = SchemaFactory.createForClass(MessageLog);

// The write side's indexes. Each read view declares its own next to its query
// (MESSAGE_LOG_LIST_INDEXES, CONTACT_MESSAGES_INDEXES, API_REQUEST_LOG_INDEXES), added in MESSAGE_LOG_MODEL.
// One entry per logical message of a client: POST /v1/messages answers its message_uid, seed 004
// finds by it, and a broadcast recipient's is derived from broadcast and recipient (one entry per
// recipient). Also the shard key (docs/scale-out.md): a sharded collection enforces uniqueness only
// on an index that starts with its shard key, so the client comes first.
export const MESSAGE_UID_INDEX_NAME = 'shard_key';
MessageLogSchema.index({ client_id: 1, message_uid: 1 }, { unique: true, name: MESSAGE_UID_INDEX_NAME });
/** The single-field unique index earlier versions built: a sharded collection refuses it, so start-up drops it. */
export const RETIRED_MESSAGE_UID_INDEX_NAME = 'message_uid_1';
// A broadcast's failed recipients (GET /broadcast/:id).
MessageLogSchema.index({ broadcast_id: 1, status: 1 });
// Webhook status updates find the entry by provider id.
MessageLogSchema.index({ provider_message_ids: 1 });
// The sweep finds single messages still unsent long after they were accepted.
MessageLogSchema.index({ status: 1, source: 1, createdAt: 1 });
// A dead worker's leases are found by their holder; only held entries are in the index (released ones have no claim).
MessageLogSchema.index({ 'claim.holder': 1 }, { partialFilterExpression: { 'claim.holder': { $exists: true } } });
// The outbox sweep finds entries whose events a crash left unpublished; only those are in the index.
MessageLogSchema.index({ updatedAt: 1 }, { name: 'outbox', partialFilterExpression: { pending_events: { $exists: true } } });
// Retention finds entries older than its cutoff across clients.
MessageLogSchema.index({ createdAt: 1 });

export interface MessageLogRecord extends MessageLog {
  _id: Types.ObjectId;
  createdAt: Date;
  updatedAt: Date;
  __v: number;
}
