import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';
import { Types } from 'mongoose';

/**
 * Who runs the service: opens the queue dashboard and /metrics. Tied to no client, so no tenant's
 * role or key reaches it. Only the SHA-256 of its secret is stored; it is shown once, by the CLI.
 */
@Schema({ collection: 'operator_credentials', timestamps: true })
export class OperatorCredential {
  @Prop({ type: String, required: true, trim: true, maxlength: 200 })
  name!: string;

  /** SHA-256 of the secret, hex. */
  @Prop({ type: String, required: true })
  secret_hash!: string;

  /** After this moment it is refused; null: never expires. */
  @Prop({ type: Date, default: null })
  expires_at!: Date | null;

  @Prop({ type: Date, default: null })
  revoked_at!: Date | null;
}

export const OperatorCredentialSchema = SchemaFactory.createForClass(OperatorCredential);

export interface OperatorCredentialRecord {
  _id: Types.ObjectId;
  name: string;
  secret_hash: string;
  expires_at: Date | null;
  revoked_at: Date | null;
  createdAt: Date;
  updatedAt: Date;
}
