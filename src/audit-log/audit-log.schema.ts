import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';
import { SchemaTypes, Types } from 'mongoose';

/** What an audit entry is about. Templates and segments record through the same service. */
export const AUDIT_KINDS = ['api-key', 'session', 'webhook-endpoint', 'template', 'segment', 'portfolio'] as const;
export type AuditKind = (typeof AUDIT_KINDS)[number];

export const AUDIT_ACTIONS = ['created', 'updated', 'deleted', 'rotated', 'revoked', 'secret-rotated'] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

/**
 * One change made to a client's configuration: who (the acting key), what (kind, action, target and
 * the names of the fields sent, never their values), where from (route, address) and when. Entries
 * are only ever added, and deleted by retention (AUDIT_LOG_RETENTION_DAYS).
 */
@Schema({ collection: 'audit_log', timestamps: { createdAt: true, updatedAt: false }, versionKey: false })
export class AuditLogEntry {
  @Prop({ type: SchemaTypes.ObjectId, required: true }) client_id!: Types.ObjectId;
  @Prop({ type: String, required: true, enum: AUDIT_KINDS }) kind!: AuditKind;
  @Prop({ type: String, required: true, enum: AUDIT_ACTIONS }) action!: AuditAction;
  /** Id of the key, session, endpoint... changed; null when the change has none. */
  @Prop({ type: String, default: null }) target_id!: string | null;
  /** The API key that made the change (its id, never its secret). */
  @Prop({ type: String, default: null }) actor_key_id!: string | null;
  /** `POST /keys/:id/rotate`. */
  @Prop({ type: String, required: true }) route!: string;
  /** The client's address, as TRUST_PROXY makes it out. */
  @Prop({ type: String, default: null }) ip!: string | null;
  /** Names of the fields the request set (values are left out: some are credentials). */
  @Prop({ type: [String], default: [] }) fields!: string[];
}

export const AuditLogEntrySchema = SchemaFactory.createForClass(AuditLogEntry);

// Newest first per client, alone or by kind or by actor; retention by age.
AuditLogEntrySchema.index({ client_id: 1, _id: -1 });
AuditLogEntrySchema.index({ client_id: 1, kind: 1, _id: -1 });
AuditLogEntrySchema.index({ client_id: 1, actor_key_id: 1, _id: -1 });
AuditLogEntrySchema.index({ createdAt: 1 });

export interface AuditLogRecord extends AuditLogEntry {
  _id: Types.ObjectId;
  createdAt: Date;
}
