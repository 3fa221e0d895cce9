import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';
import { SchemaTypes, Types } from 'mongoose';
import { Permission, PERMISSIONS, Role, ROLES } from './permissions';

/** An API key. Only the SHA-256 of its secret part is stored; the key is shown once. */
@Schema({ collection: 'api_keys', timestamps: true })
export class ApiKey {
  @Prop({ type: SchemaTypes.ObjectId, required: true, index: true })
  client_id!: Types.ObjectId;

  @Prop({ type: String, required: true, trim: true, maxlength: 200 })
  name!: string;

  @Prop({ type: String, required: true, enum: ROLES })
  role!: Role;

  @Prop({ type: [String], enum: PERMISSIONS, default: [] })
  permissions!: Permission[];

  /** SHA-256 of the secret, hex. */
  @Prop({ type: String, required: true })
  secret_hash!: string;

  @Prop({ type: Date, default: null })
  revoked_at!: Date | null;

  /** SHA-256 of the secret a rotation replaced: still accepted until previous_secret_expires_at. */
  @Prop({ type: String, default: null })
  previous_secret_hash!: string | null;

  @Prop({ type: Date, default: null })
  previous_secret_expires_at!: Date | null;

  /** When the secret was last rotated; null: never. */
  @Prop({ type: Date, default: null })
  rotated_at!: Date | null;

  /** After this moment the key is refused (401 saying it expired); null: never expires. */
  @Prop({ type: Date, default: null })
  expires_at!: Date | null;

  /** When the key last authenticated a request, to within a minute (written at most once a minute). */
  @Prop({ type: Date, default: null })
  last_used_at!: Date | null;

  /** Requests per minute across all routes for this key; null: RATE_LIMIT_PER_MINUTE. */
  @Prop({ type: Number, default: null, min: 1 })
  rate_limit_per_minute!: number | null;

  /** Requests per minute to each expensive route for this key; null: RATE_LIMIT_EXPENSIVE_PER_MINUTE (never above the key's own limit). */
  @Prop({ type: Number, default: null, min: 1 })
  expensive_rate_limit_per_minute!: number | null;
}

export const ApiKeySchema = SchemaFactory.createForClass(ApiKey);

export interface ApiKeyRecord {
  _id: Types.ObjectId;
  client_id: Types.ObjectId;
  name: string;
  role: Role;
  permissions: Permission[];
  secret_hash: string;
  revoked_at: Date | null;
  /** Absent on keys issued before rotation existed: read as null. */
  previous_secret_hash?: string | null;
  previous_secret_expires_at?: Date | null;
  rotated_at?: Date | null;
  /** Absent on keys issued before expiry existed: read as null. */
  expires_at?: Date | null;
  last_used_at?: Date | null;
  rate_limit_per_minute?: number | null;
  expensive_rate_limit_per_minute?: number | null;
  createdAt: Date;
  updatedAt: Date;
}
