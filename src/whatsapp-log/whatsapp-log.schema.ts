import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';
import { SchemaTypes, Types } from 'mongoose';
import { CALL_STATUSES, CallStatus } from '../message-status/message-status';

/** Longest statusMessage kept (provider error texts can be long). */
export const MAX_STATUS_MESSAGE_LENGTH = 499;

// SchemaTypes.ObjectId, not Types.ObjectId: the latter declares a Mixed path that never casts hex strings.
const nullableId = { type: SchemaTypes.ObjectId, default: null };

/**
 * Seed 002's WhatsApp Log model: one entry per call to the WhatsApp provider. `projectId`
 * is the client. The seed's relation ids that have no counterpart here are kept, nullable,
 * so that the model matches the seed; our own relations come last.
 */
@Schema({ collection: 'whatsapp_logs', timestamps: true })
export class WhatsappLog {
  @Prop({ type: SchemaTypes.ObjectId, required: true }) projectId!: Types.ObjectId;
  @Prop({ type: String, required: true }) toNumber!: string;
  @Prop({ type: String, default: null }) fromNumber!: string | null;
  @Prop({ type: String, default: null }) messageText!: string | null;
  @Prop({ type: String, default: null, maxlength: MAX_STATUS_MESSAGE_LENGTH }) statusMessage!: string | null;
  @Prop({ type: String, default: null }) whatsAppMessageId!: string | null;
  @Prop({ type: String, required: true, enum: CALL_STATUSES }) status!: CallStatus;
  @Prop({ type: Number, required: true, default: 0 }) whatsAppCostInUSDCents!: number;

  @Prop(nullableId) incidentId!: Types.ObjectId | null;
  @Prop(nullableId) userId!: Types.ObjectId | null;
  @Prop(nullableId) alertId!: Types.ObjectId | null;
  @Prop(nullableId) monitorId!: Types.ObjectId | null;
  @Prop(nullableId) scheduledMaintenanceId!: Types.ObjectId | null;
  @Prop(nullableId) statusPageId!: Types.ObjectId | null;
  @Prop(nullableId) statusPageAnnouncementId!: Types.ObjectId | null;
  @Prop(nullableId) teamId!: Types.ObjectId | null;
  @Prop(nullableId) onCallDutyPolicyId!: Types.ObjectId | null;
  @Prop(nullableId) onCallDutyPolicyEscalationRuleId!: Types.ObjectId | null;
  @Prop(nullableId) onCallDutyPolicyScheduleId!: Types.ObjectId | null;

  /** Our relations: the logical message this call belongs to, its broadcast and session. */
  @Prop(nullableId) messageLogId!: Types.ObjectId | null;
  @Prop(nullableId) broadcastId!: Types.ObjectId | null;
  @Prop(nullableId) sessionId!: Types.ObjectId | null;
  /** Error code from the provider, when the call or the delivery failed. */
  @Prop({ type: String, default: null }) errorCode!: string | null;
}

export const WhatsappLogSchema = SchemaFactory.createForClass(WhatsappLog);

/** The seed's relation ids with no counterpart here: always null. */
export type SeedRelationIdField =
  | 'incidentId'
  | 'userId'
  | 'alertId'
  | 'monitorId'
  | 'scheduledMaintenanceId'
  | 'statusPageId'
  | 'statusPageAnnouncementId'
  | 'teamId'
  | 'onCallDutyPolicyId'
  | 'onCallDutyPolicyEscalationRuleId'
  | 'onCallDutyPolicyScheduleId';

WhatsappLogSchema.index({ projectId: 1, createdAt: -1 });
WhatsappLogSchema.index({ projectId: 1, toNumber: 1 });
WhatsappLogSchema.index({ projectId: 1, fromNumber: 1 });
WhatsappLogSchema.index({ projectId: 1, status: 1 });
WhatsappLogSchema.index({ whatsAppMessageId: 1 });
WhatsappLogSchema.index({ messageLogId: 1 });
// Retention finds entries older than its cutoff across clients.
WhatsappLogSchema.index({ createdAt: 1 });

export interface WhatsappLogRecord extends WhatsappLog {
  _id: Types.ObjectId;
  createdAt: Date;
  updatedAt: Date;
  __v: number;
}
