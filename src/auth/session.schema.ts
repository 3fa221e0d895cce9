import { Prop, raw, Schema, SchemaFactory } from '@nestjs/mongoose';
import { SchemaTypes, Types } from 'mongoose';
import { PROVIDER_NAMES, ProviderName } from '@app/whatsapp';
import { CLIENT_EVENTS_INDEX, OutboxedEvent } from '../event-webhook/document-outbox';

export const SESSION_HEALTH = ['healthy', 'unhealthy'] as const;
export type SessionHealth = (typeof SESSION_HEALTH)[number];

/**
 * A sending session ("bot" in the seeds): one WhatsApp sender number of a client, with
 * its provider and the provider's credentials, encrypted at rest.
 */
@Schema({ collection: 'sessions', timestamps: true })
export class Session {
  @Prop({ type: SchemaTypes.ObjectId, required: true, index: true })
  client_id!: Types.ObjectId;

  @Prop({ type: String, required: true, trim: true, maxlength: 200 })
  name!: string;

  @Prop({ type: String, required: true, enum: PROVIDER_NAMES })
  provider!: ProviderName;

  /** The sender's phone number (digits), shown as fromNumber in WhatsApp logs. */
  @Prop({ type: String, default: null })
  phone_number!: string | null;

  /** SHA-256 of the session's access_token, hex. */
  @Prop({ type: String, required: true })
  access_token_hash!: string;

  /**
   * The provider's own, non-secret id of the sender (Cloud API: phone_number_id), so that
   * webhooks find their session without decrypting every session's credentials. Absent
   * for providers without one (the sandbox), so that the sparse unique index skips them.
   */
  @Prop({ type: String })
  provider_account_id?: string;

  /** The Cloud API's WhatsApp Business Account (non-secret): its template catalogue, and what template webhooks name. */
  @Prop({ type: String })
  waba_id?: string;

  /** SHA-256 of the webhook verify_token (hex): the hub.verify_token handshake names no sender. */
  @Prop({ type: String })
  webhook_verify_token_hash?: string;

  /** AES-256-GCM ciphertext of the provider credentials JSON (see CredentialsCipher). */
  @Prop({ type: String, default: null })
  credentials_encrypted!: string | null;

  /** Messages per second for this session; null means the configured default. */
  @Prop({ type: Number, default: null, min: 1 })
  rate_limit_per_second!: number | null;

  @Prop({ type: String, enum: SESSION_HEALTH, default: 'healthy' })
  health!: SessionHealth;

  /** Why the session was marked unhealthy (for example an expired provider token). */
  @Prop({ type: String, default: null })
  health_reason!: string | null;

  /**
   * Whether free-form messages need the recipient to have written in the last 24 hours
   * (WhatsApp's customer-service window); null: the provider's rule (cloud-api yes, sandbox no).
   */
  @Prop({ type: Boolean, default: null })
  enforce_service_window!: boolean | null;

  /**
   * The business portfolio the number belongs to: sessions of one portfolio share its messaging
   * limit (see docs/messaging-limits.md). null: a portfolio of its own, named by the session's id.
   */
  @Prop({ type: String, default: null })
  portfolio_id!: string | null;

  /** The number's last quality event from Meta (phone_number_quality_update: FLAGGED, UNFLAGGED, UPGRADE, DOWNGRADE) and when it came. */
  @Prop(raw({ event: { type: String }, at: { type: Date } }))
  quality?: { event: string; at: Date } | null;

  /** A FLAGGED number pauses its running marketing broadcasts (resuming is the client's decision); null: on. */
  @Prop({ type: Boolean, default: null })
  pause_on_flag?: boolean | null;

  /** The outbox of its `session.quality_changed` events (see DocumentOutbox). Internal: never shown by the API. */
  @Prop({ type: [SchemaTypes.Mixed], default: undefined })
  client_events?: OutboxedEvent[];
}

export const SessionSchema = SchemaFactory.createForClass(Session);

// One session per provider sender: a webhook about that sender must name exactly one session.
SessionSchema.index({ provider_account_id: 1 }, { unique: true, sparse: true });
SessionSchema.index({ webhook_verify_token_hash: 1 }, { sparse: true });
SessionSchema.index({ waba_id: 1 }, { sparse: true });
// The outbox sweep finds events a crash left unpublished.
SessionSchema.index(...CLIENT_EVENTS_INDEX);

export interface SessionRecord {
  _id: Types.ObjectId;
  client_id: Types.ObjectId;
  name: string;
  provider: ProviderName;
  phone_number: string | null;
  access_token_hash: string;
  provider_account_id?: string;
  webhook_verify_token_hash?: string;
  waba_id?: string;
  credentials_encrypted: string | null;
  rate_limit_per_second: number | null;
  health: SessionHealth;
  health_reason: string | null;
  enforce_service_window?: boolean | null;
  portfolio_id?: string | null;
  quality?: { event: string; at: Date } | null;
  pause_on_flag?: boolean | null;
  createdAt: Date;
  updatedAt: Date;
}

/** The portfolio whose messaging limit the session's business-initiated messages count against. */
export function portfolioOf(session: Pick<SessionRecord, '_id' | 'portfolio_id'>): string {
  return session.portfolio_id ?? session._id.toHexString();
}

/** Whether the 24-hour customer-service window applies to the session's free-form messages. */
export function enforcesServiceWindow(session: Pick<SessionRecord, 'provider' | 'enforce_service_window'>): boolean {
  return session.enforce_service_window ?? session.provider === 'cloud-api';
}
