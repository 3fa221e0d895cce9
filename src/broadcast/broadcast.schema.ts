import type { BroadcastLedgerCounts } from '../message-log/message-log.repository';
import { Prop, raw, Schema, SchemaFactory } from '@nestjs/mongoose';
import { SchemaTypes, Types } from 'mongoose';
import { MessageContent } from '../message-content/message-content.schema';
import { CLIENT_EVENTS_INDEX, OutboxedEvent } from '../event-webhook/document-outbox';
import type { DeliveryPlan } from './delivery-plan';

export const SEND_TYPES = ['individual'] as const;
export type SendType = (typeof SEND_TYPES)[number];

/**
 * `scheduled` becomes `sending` at `send_at`; `sending` and `paused` alternate; each ends
 * exactly once, in one of the final statuses (a retry of failures reopens a finished one).
 */
export const BROADCAST_STATUSES = ['scheduled', 'sending', 'paused', 'completed', 'completed_with_errors', 'failed', 'cancelled'] as const;
export type BroadcastStatus = (typeof BROADCAST_STATUSES)[number];

/** Statuses after which nothing more happens unless failures are retried. */
export const FINAL_BROADCAST_STATUSES: readonly BroadcastStatus[] = ['completed', 'completed_with_errors', 'failed', 'cancelled'];

/** Why a recipient is in `failed`, for reasons known when the broadcast was created (invalid numbers). */
@Schema({ _id: false })
export class RecipientFailure {
  @Prop({ type: String, required: true }) recipient!: string;
  @Prop({ type: String, required: true }) code!: string;
  @Prop({ type: String, required: true }) message!: string;
}

/** A completion whose `broadcast.completed` event is not published yet (the broadcast's outbox). */
@Schema({ _id: false })
export class PendingCompletion {
  @Prop({ type: String, required: true, enum: BROADCAST_STATUSES }) status!: BroadcastStatus;
  @Prop({ type: Date, required: true }) finished_at!: Date;
}

/** Where an audience broadcast's recipients came from, and how many contacts it held when it was resolved. */
@Schema({ _id: false })
export class BroadcastAudience {
  @Prop({ type: SchemaTypes.ObjectId, default: null }) segment_id!: Types.ObjectId | null;
  @Prop({ type: [String], default: undefined }) tags?: string[];
  @Prop({ type: String, default: null }) match!: 'all' | 'any' | null;
  /** Contacts the audience held when it was resolved (null until then: a scheduled broadcast resolves it at send_at). */
  @Prop({ type: Number, default: null }) contact_count!: number | null;
  @Prop({ type: Date, default: null }) resolved_at!: Date | null;
}

/**
 * One message to many recipients (seed 001). Every recipient is in exactly one of
 * `pending`, `sent`, `failed` at every moment; the worker moves them in batches with
 * atomic array operators. Reasons of send failures live in the recipients' message logs
 * (the ledger); GET /broadcast/:id joins them into `failures`. What campaigns add
 * (`send_at`, `timezone`, `personalised`, `message.template`) is stored only when used.
 */
@Schema({ collection: 'broadcasts', timestamps: true })
export class Broadcast {
  @Prop({ type: SchemaTypes.ObjectId, required: true }) client_id!: Types.ObjectId;
  @Prop({ type: SchemaTypes.ObjectId, required: true }) session_id!: Types.ObjectId;
  @Prop({ type: String, required: true, enum: SEND_TYPES }) send_type!: SendType;
  /** The recipients as the client gave them, comma-separated (seed 001 echoes it). */
  @Prop({ type: String, required: true }) to!: string;
  /** Seed 001's `message`, sent to every recipient (a template only when the broadcast gives one; its parameters may hold {{variables}}). */
  @Prop({ type: MessageContent, required: true }) message!: MessageContent;
  @Prop({ type: String, required: true, enum: BROADCAST_STATUSES, default: 'sending' }) status!: BroadcastStatus;
  @Prop({ type: [String], default: [] }) sent!: string[];
  @Prop({ type: [String], default: [] }) pending!: string[];
  @Prop({ type: [String], default: [] }) failed!: string[];
  @Prop({ type: [RecipientFailure], default: [] }) failures!: RecipientFailure[];
  /** When the status left `sending`. */
  @Prop({ type: Date, default: null }) finished_at!: Date | null;
  /** When a `scheduled` broadcast starts sending; absent: at once. */
  @Prop({ type: Date }) send_at?: Date | null;
  /** The IANA time zone given with `send_at`. */
  @Prop({ type: String }) timezone?: string | null;
  /** When the broadcast last entered `sending` (created, started, resumed, retried); the sweep measures from here. */
  @Prop({ type: Date, default: null }) activated_at?: Date | null;
  /** Recipients have their own {{variables}} (kept beside the broadcast, one record per recipient). */
  @Prop({ type: Boolean }) personalised?: boolean;
  /** Why the service paused it (`template_paused`: its template was paused by WhatsApp; it resumes when approved again); absent when its client did. */
  @Prop({ type: String }) paused_reason?: string | null;
  /**
   * How far the fan-out has got in this activation: `window` is how many of `pending`'s leading
   * recipients have a send job (recipients leave `pending` in order and only after their job
   * ran; new ones join at the end). Absent: none yet. Internal: never shown by the API.
   */
  @Prop(raw({ window: { type: Number } })) fan_out?: { window: number };
  /** The audience the recipients came from instead of `to` (absent for a `to` list). */
  @Prop({ type: BroadcastAudience }) audience?: BroadcastAudience;
  /** Only contacts with a current opt-in are sent to; the others failed at once with no_opt_in. */
  @Prop({ type: Boolean }) require_opt_in?: boolean;
  /**
   * The outbox of `broadcast.completed`: each completion is recorded here by the update that ends
   * the broadcast, and taken off once its event is published (absent when none waits). Internal:
   * never shown by the API.
   */
  @Prop({ type: [PendingCompletion], default: undefined }) pending_completions?: PendingCompletion[];
  /** The outbox of its `broadcast.paused` and `broadcast.resumed` events (see DocumentOutbox). Internal: never shown by the API. */
  @Prop({ type: [SchemaTypes.Mixed], default: undefined }) client_events?: OutboxedEvent[];
  /** The delivery plan it was created with (see DeliveryPlanner), to compare its results with. */
  @Prop({ type: Object }) plan?: DeliveryPlan;
}

export const BroadcastSchema = SchemaFactory.createForClass(Broadcast);

// GET /broadcast, client-wide (type=all) and per session, newest first.
BroadcastSchema.index({ client_id: 1, createdAt: -1, _id: -1 });
BroadcastSchema.index({ client_id: 1, session_id: 1, createdAt: -1, _id: -1 });
// The sweep looks for broadcasts still sending after a while, and for scheduled ones that are due.
BroadcastSchema.index({ status: 1, createdAt: 1 });
BroadcastSchema.index({ status: 1, send_at: 1 });
// A template's lifecycle finds the broadcasts that send it.
BroadcastSchema.index({ client_id: 1, 'message.template.name': 1, status: 1 });
// The outbox sweep finds completions whose event a crash left unpublished; only those broadcasts are in the index.
BroadcastSchema.index({ 'pending_completions.finished_at': 1 }, { name: 'outbox', partialFilterExpression: { pending_completions: { $exists: true } } });
// The outbox sweep finds paused and resumed events a crash left unpublished.
BroadcastSchema.index(...CLIENT_EVENTS_INDEX);
// DELETE /attachment/:id asks whether a sending broadcast still uses the attachment.
BroadcastSchema.index({ client_id: 1, 'message.attachments': 1, status: 1 });

export interface BroadcastRecord extends Broadcast {
  _id: Types.ObjectId;
  createdAt: Date;
  updatedAt: Date;
  __v: number;
}

/** What the worker needs to send to one recipient: never the (possibly huge) recipient arrays. */
export type BroadcastSendContext = Pick<BroadcastRecord, '_id' | 'client_id' | 'session_id' | 'message' | 'status' | 'personalised'>;

/** How far a broadcast has got, without its recipient arrays (GET /broadcast/:id, fields=summary, the events stream). */
export interface BroadcastCounts {
  recipients: number;
  pending: number;
  sent: number;
  failed: number;
  /** Sent messages the provider reported delivered (or read). */
  delivered: number;
  read: number;
  /** Of `pending`, those held back by the portfolio's messaging limit. */
  waiting_for_limit: number;
  /** When the first of them is expected to go (the moving 24 hours frees room); null when none waits. */
  next_waiting_at: Date | null;
}

/**
 * The counts of a broadcast from its arrays (one read of one document: `pending + sent + failed`
 * is its recipients) and the ledger's delivered and read. A delivery report can reach the
 * ledger before the sender's progress write moves its recipient to `sent`; such a recipient is
 * counted delivered once it is counted sent, so that `read ≤ delivered ≤ sent` at every read.
 * Recipients waiting for the messaging limit are among `pending` (`waiting_for_limit ≤ pending`).
 */
export function broadcastCounts(
  arrays: Pick<BroadcastCounts, 'recipients' | 'pending' | 'sent' | 'failed'>,
  reported: Pick<BroadcastLedgerCounts, 'delivered' | 'read'> & Partial<BroadcastLedgerCounts> = { delivered: 0, read: 0 },
): BroadcastCounts {
  const delivered = Math.min(reported.delivered, arrays.sent);
  const waiting = Math.min(reported.waiting ?? 0, arrays.pending);
  return { ...arrays, delivered, read: Math.min(reported.read, delivered), waiting_for_limit: waiting, next_waiting_at: waiting > 0 ? (reported.nextWaitingAt ?? null) : null };
}
