import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';
import { SchemaTypes, Types } from 'mongoose';

/**
 * Where one event's delivery to one endpoint stands: `pending` (queued), `retrying` (failed,
 * another try is scheduled), `succeeded`, `failed` (final: a 4xx other than 408/429, retries
 * used up, or the endpoint disabled or deleted), `superseded` (a later status of the same
 * message already reached the endpoint, so this earlier one is not sent after it).
 */
export const DELIVERY_STATUSES = ['pending', 'retrying', 'succeeded', 'failed', 'superseded'] as const;
export type WebhookDeliveryStatus = (typeof DELIVERY_STATUSES)[number];

/** One try: when, what came back, how long it took. */
export interface DeliveryAttempt {
  at: Date;
  response_code: number | null;
  latency_ms: number;
  error: string | null;
}

@Schema({ collection: 'webhook_deliveries', timestamps: true })
export class WebhookDelivery {
  @Prop({ type: SchemaTypes.ObjectId, required: true }) client_id!: Types.ObjectId;
  @Prop({ type: SchemaTypes.ObjectId, required: true }) endpoint_id!: Types.ObjectId;
  @Prop({ type: String, required: true }) event_id!: string;
  @Prop({ type: String, required: true }) event_type!: string;
  /** The body, exactly as every try sends it. */
  @Prop({ type: String, required: true }) payload!: string;
  @Prop({ type: String, default: null }) order_key!: string | null;
  @Prop({ type: Number, default: 0 }) order_rank!: number;
  @Prop({ type: String, enum: DELIVERY_STATUSES, default: 'pending' }) status!: WebhookDeliveryStatus;
  @Prop({ type: Number, default: 0 }) attempt_count!: number;
  @Prop({ type: Number, default: null }) response_code!: number | null;
  @Prop({ type: Number, default: null }) latency_ms!: number | null;
  @Prop({ type: String, default: null }) error!: string | null;
  @Prop({ type: Date, default: null }) last_attempt_at!: Date | null;
  @Prop({ type: Date, default: null }) next_attempt_at!: Date | null;
  /** The latest tries, oldest first (at most MAX_KEPT_ATTEMPTS). */
  @Prop({ type: [Object], default: [] }) attempts!: DeliveryAttempt[];
}

export const WebhookDeliverySchema = SchemaFactory.createForClass(WebhookDelivery);

// One delivery per event and endpoint: publishing an event twice never delivers it twice.
WebhookDeliverySchema.index({ endpoint_id: 1, event_id: 1 }, { unique: true });
// An endpoint's deliveries, newest first.
WebhookDeliverySchema.index({ endpoint_id: 1, createdAt: -1, _id: -1 });

export interface WebhookDeliveryRecord extends WebhookDelivery {
  _id: Types.ObjectId;
  createdAt: Date;
  updatedAt: Date;
  __v: number;
}

/** Deliveries are kept this long, then MongoDB removes them (TTL index). */
export const DELIVERY_RETENTION_DAYS = 30;
WebhookDeliverySchema.index({ createdAt: 1 }, { expireAfterSeconds: DELIVERY_RETENTION_DAYS * 24 * 60 * 60 });
