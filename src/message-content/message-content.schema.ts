import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';
import { SchemaTypes, Types } from 'mongoose';

/** A location part. */
@Schema({ _id: false })
export class MessageLocation {
  @Prop({ type: Number, required: true }) lat!: number;
  @Prop({ type: Number, required: true }) lng!: number;
  @Prop({ type: String, default: null }) name!: string | null;
  @Prop({ type: String, default: null }) address!: string | null;
}

/** An approved WhatsApp template, with its parameters in the Cloud API's `components` shape. */
export interface MessageTemplate {
  name: string;
  language: string;
  components?: unknown[];
  /** MARKETING, UTILITY or AUTHENTICATION, from the session's catalogue when the send was checked against it. */
  category?: string;
}

/**
 * The one shape of a message's content: what a broadcast sends to each recipient, what
 * POST /v1/messages sends, and what the ledger keeps of both. Adding a part means adding it
 * here, to its validation (`dto/message-content.dto.ts`, `MessageContentValidator`) and to its
 * rendering (`MessageRenderer`); everything else stores and passes this type as it is.
 */
@Schema({ _id: false })
export class MessageContent {
  @Prop({ type: String, default: null }) text!: string | null;
  /** This client's attachments, each sent as its media message. */
  @Prop({ type: [SchemaTypes.ObjectId], default: [] }) attachments!: Types.ObjectId[];
  @Prop({ type: MessageLocation, default: null }) location!: MessageLocation | null;
  /** One of this client's contacts, sent as a contact card. */
  @Prop({ type: SchemaTypes.ObjectId, default: null }) contactId!: Types.ObjectId | null;
  /** Absent on a broadcast that gives none (seed 001's shape); null on a message log without one. */
  @Prop({ type: Object }) template?: MessageTemplate | null;
}

export const MessageContentSchema = SchemaFactory.createForClass(MessageContent);
