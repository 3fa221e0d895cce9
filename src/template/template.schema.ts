import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';
import { SchemaTypes, Types } from 'mongoose';
import type { TemplateComponentDefinition } from '@app/whatsapp';
import { CLIENT_EVENTS_INDEX, OutboxedEvent } from '../event-webhook/document-outbox';

/**
 * One template (one name in one language) of a catalogue: a WhatsApp Business Account's
 * (`waba:<id>`, synced from the Graph API) or a sandbox session's (`sandbox:<session id>`,
 * which the service manages itself). Catalogues are per client: two clients naming the same
 * account each have their own copy, and nothing of one is visible to the other.
 */
@Schema({ collection: 'message_templates', timestamps: true })
export class MessageTemplateEntry {
  @Prop({ type: SchemaTypes.ObjectId, required: true }) client_id!: Types.ObjectId;
  @Prop({ type: String, required: true }) account!: string;
  /** Meta's id of this name and language (the sandbox makes its own). */
  @Prop({ type: String, required: true }) template_id!: string;
  @Prop({ type: String, required: true }) name!: string;
  @Prop({ type: String, required: true }) language!: string;
  @Prop({ type: String, required: true }) status!: string;
  @Prop({ type: String, required: true }) category!: string;
  @Prop({ type: [Object], default: [] }) components!: TemplateComponentDefinition[];
  /** POSITIONAL or NAMED; null: positional. */
  @Prop({ type: String, default: null }) parameter_format!: string | null;
  /** GREEN, YELLOW, RED or UNKNOWN; null until Meta rates it. */
  @Prop({ type: String, default: null }) quality_score!: string | null;
  @Prop({ type: String, default: null }) rejected_reason!: string | null;
  /** The category before Meta's last recategorisation. */
  @Prop({ type: String, default: null }) previous_category!: string | null;
  /** Sandbox only: when its review ends, and how. */
  @Prop({ type: Date }) review_due_at?: Date | null;
  @Prop({ type: String }) review_outcome?: string | null;
  /** When a sync last saw it (catalogue entries a sync no longer sees are deleted). */
  @Prop({ type: Date, required: true }) synced_at!: Date;
  /** The outbox of its `template.*` events (see DocumentOutbox). Internal: never shown by the API. */
  @Prop({ type: [SchemaTypes.Mixed], default: undefined }) client_events?: OutboxedEvent[];
}

export const MessageTemplateSchema = SchemaFactory.createForClass(MessageTemplateEntry);

// One entry per name and language of an account, per client; the list reads by name.
MessageTemplateSchema.index({ client_id: 1, account: 1, name: 1, language: 1 }, { unique: true });
// Lifecycle webhooks name the account and Meta's template id.
MessageTemplateSchema.index({ account: 1, template_id: 1 });
// The sandbox's reviews that are due.
MessageTemplateSchema.index({ review_due_at: 1 }, { sparse: true });
// The outbox sweep finds events a crash left unpublished.
MessageTemplateSchema.index(...CLIENT_EVENTS_INDEX);

export interface MessageTemplateRecord extends MessageTemplateEntry {
  _id: Types.ObjectId;
  createdAt: Date;
  updatedAt: Date;
  __v: number;
}
