import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';
import { SchemaTypes, Types } from 'mongoose';

/** A person a client sends to: the `contactId` of a broadcast (a contact card) and seed 003's identifier. */
@Schema({ collection: 'contacts', timestamps: true })
export class Contact {
  @Prop({ type: SchemaTypes.ObjectId, required: true }) client_id!: Types.ObjectId;
  @Prop({ type: String, required: true, trim: true, maxlength: 200 }) name!: string;
  /** Digits-only international number, unique per client. */
  @Prop({ type: String, required: true }) phone!: string;
  @Prop({ type: String, default: null, maxlength: 320 }) email!: string | null;
  @Prop({ type: String, default: null, maxlength: 200 }) organization!: string | null;
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
