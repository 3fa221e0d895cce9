import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';
import { SchemaTypes, Types } from 'mongoose';
import type { ContactAttributes } from './contact-audience-fields';
import { CONSENT_SOURCES, ConsentAction, ConsentSource } from './contact-consent';

/** A contact's current opt-in: when, how, and what the person agreed to. */
@Schema({ _id: false })
export class ContactOptIn {
  @Prop({ type: Date, required: true }) at!: Date;
  @Prop({ type: String, required: true, enum: CONSENT_SOURCES }) source!: ConsentSource;
  @Prop({ type: String, default: null }) text!: string | null;
}

/** One entry of a contact's consent history. */
@Schema({ _id: false })
export class ContactConsentEvent {
  @Prop({ type: String, required: true }) action!: ConsentAction;
  @Prop({ type: Date, required: true }) at!: Date;
  @Prop({ type: String, required: true, enum: CONSENT_SOURCES }) source!: ConsentSource;
  @Prop({ type: String, default: null }) text!: string | null;
}

/**
 * A person a client sends to (or who wrote to one of its sessions: such a person becomes a
 * contact): the `contactId` of a broadcast (a contact card) and seed 003's identifier.
 */
@Schema({ collection: 'contacts', timestamps: true })
export class Contact {
  @Prop({ type: SchemaTypes.ObjectId, required: true }) client_id!: Types.ObjectId;
  @Prop({ type: String, required: true, trim: true, maxlength: 200 }) name!: string;
  /** Digits-only international number, unique per client. */
  @Prop({ type: String, required: true }) phone!: string;
  @Prop({ type: String, default: null, maxlength: 320 }) email!: string | null;
  @Prop({ type: String, default: null, maxlength: 200 }) organization!: string | null;
  // Two-way messaging: absent on contacts written before it (read as opted in, never written).
  /** The name the person gave themselves on WhatsApp (from their last message). */
  @Prop({ type: String, default: null }) profile_name?: string | null;
  /** Opted out (an opt-out keyword, or set through the API): nothing is sent to this number. */
  @Prop({ type: Boolean, default: false }) opted_out?: boolean;
  /** When WhatsApp said the person stopped marketing messages from this business (131050); marketing templates are refused to them. */
  @Prop({ type: Date, default: null }) marketing_stopped_at?: Date | null;
  /** When the current opt-out began; null while opted in. */
  @Prop({ type: Date, default: null }) opted_out_at?: Date | null;
  /** Time of the message (or API change) that last set opted_out: an older one arriving late never undoes it. */
  @Prop({ type: Date, default: null }) opt_out_changed_at?: Date | null;
  /** When this person last wrote to any session of the client. */
  @Prop({ type: Date, default: null }) last_inbound_at?: Date | null;
  /** When they last wrote to each session (session id → time): the 24-hour customer-service window is per session. */
  @Prop({ type: Map, of: Date, default: () => ({}) }) last_inbound_by_session?: Map<string, Date> | Record<string, Date>;
  // Audiences: absent on contacts written before them (read as none).
  /** A flat map of string, number, boolean or date values (see contact-audience-fields). */
  @Prop({ type: SchemaTypes.Mixed }) attributes?: ContactAttributes;
  /** Lower-case tags, at most MAX_TAGS. */
  @Prop({ type: [String], default: undefined }) tags?: string[];
  /** The current opt-in; null or absent: none (a later opt-out leaves it, and makes it not current). */
  @Prop({ type: ContactOptIn, default: null }) opt_in?: ContactOptIn | null;
  /** Every opt-in and opt-out, oldest first, the newest MAX_CONSENT_HISTORY kept. */
  @Prop({ type: [ContactConsentEvent], default: undefined }) consent_history?: ContactConsentEvent[];
}

export const ContactSchema = SchemaFactory.createForClass(Contact);

ContactSchema.index({ client_id: 1, phone: 1 }, { unique: true });
ContactSchema.index({ client_id: 1, createdAt: -1, _id: -1 });

export interface ContactRecord extends Contact {
  _id: Types.ObjectId;
  createdAt: Date;
  updatedAt: Date;
  __v: number;
}
