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
  createdAt: Date;
  updatedAt: Date;
}
