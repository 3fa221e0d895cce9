import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';
import { SchemaTypes, Types } from 'mongoose';
import { CLIENT_EVENT_TYPES, ClientEventType } from './client-events';

/** A client's server that receives signed event deliveries. */
@Schema({ collection: 'webhook_endpoints', timestamps: true })
export class WebhookEndpoint {
  @Prop({ type: SchemaTypes.ObjectId, required: true }) client_id!: Types.ObjectId;
  @Prop({ type: String, required: true }) url!: string;
  @Prop({ type: String, default: null }) description!: string | null;
  /** The events it receives; empty: every event. */
  @Prop({ type: [String], enum: CLIENT_EVENT_TYPES, default: [] }) events!: ClientEventType[];
  @Prop({ type: Boolean, default: true }) enabled!: boolean;
  /** Why it was disabled by the service (deliveries kept failing); null when enabled, or disabled by the client. */
  @Prop({ type: String, default: null }) disabled_reason!: string | null;
  @Prop({ type: Date, default: null }) disabled_at!: Date | null;
  /** The signing secret, encrypted like session credentials; shown once, when the endpoint is created. */
  @Prop({ type: String, required: true }) secret_encrypted!: string;
  /** The secret a rotation replaced, encrypted: deliveries are signed with it too until previous_secret_expires_at. */
  @Prop({ type: String, default: null }) previous_secret_encrypted!: string | null;
  @Prop({ type: Date, default: null }) previous_secret_expires_at!: Date | null;
  @Prop({ type: Date, default: null }) secret_rotated_at!: Date | null;
  @Prop({ type: Date, default: null }) last_success_at!: Date | null;
  @Prop({ type: Date, default: null }) last_failure_at!: Date | null;
}

export const WebhookEndpointSchema = SchemaFactory.createForClass(WebhookEndpoint);

// Listing (newest first) and the publisher's look-up of a client's enabled endpoints.
WebhookEndpointSchema.index({ client_id: 1, createdAt: -1, _id: -1 });
WebhookEndpointSchema.index({ client_id: 1, enabled: 1 });

export interface WebhookEndpointRecord extends Omit<WebhookEndpoint, 'previous_secret_encrypted' | 'previous_secret_expires_at' | 'secret_rotated_at'> {
  /** Absent on endpoints created before rotation existed: read as null. */
  previous_secret_encrypted?: string | null;
  previous_secret_expires_at?: Date | null;
  secret_rotated_at?: Date | null;
  _id: Types.ObjectId;
  createdAt: Date;
  updatedAt: Date;
  __v: number;
}
