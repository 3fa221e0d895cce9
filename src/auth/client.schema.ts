import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';
import { Types } from 'mongoose';

/** A tenant. Every other record carries its `client_id`. */
@Schema({ collection: 'clients', timestamps: true })
export class Client {
  @Prop({ type: String, required: true, trim: true, maxlength: 200 })
  name!: string;
}

export const ClientSchema = SchemaFactory.createForClass(Client);

export interface ClientRecord {
  _id: Types.ObjectId;
  name: string;
  createdAt: Date;
  updatedAt: Date;
}
