import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';
import { SchemaTypes, Types } from 'mongoose';

/**
 * One recipient's {{variables}} for one broadcast, kept beside the broadcast rather than in
 * it: 100,000 recipients' values would crowd the document towards MongoDB's 16 MB limit.
 * Read at fan-out, 1,000 recipients per query, and carried in each send job.
 */
@Schema({ collection: 'broadcast_recipient_variables', versionKey: false })
export class RecipientVariablesEntry {
  @Prop({ type: SchemaTypes.ObjectId, required: true }) broadcast_id!: Types.ObjectId;
  @Prop({ type: String, required: true }) recipient!: string;
  @Prop({ type: Object, required: true }) variables!: Record<string, string>;
}

export const RecipientVariablesSchema = SchemaFactory.createForClass(RecipientVariablesEntry);

// One entry per recipient of a broadcast; fan-out reads them by (broadcast, recipients).
RecipientVariablesSchema.index({ broadcast_id: 1, recipient: 1 }, { unique: true });
