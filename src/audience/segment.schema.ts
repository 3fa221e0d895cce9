import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';
import { SchemaTypes, Types } from 'mongoose';
import type { SegmentFilter } from './segment-filter';

/**
 * A saved filter over a client's contacts; what it selects is worked out whenever it is read or
 * sent to. Not minimized: an empty filter (every contact), and empty parts of one, are kept as written.
 */
@Schema({ collection: 'segments', timestamps: true, minimize: false })
export class Segment {
  @Prop({ type: SchemaTypes.ObjectId, required: true }) client_id!: Types.ObjectId;
  @Prop({ type: String, required: true, trim: true, maxlength: 100 }) name!: string;
  /** The filter as the client wrote it (checked by checkSegmentFilter before it is stored). */
  @Prop({ type: SchemaTypes.Mixed, required: true }) filter!: SegmentFilter;
}

export const SegmentSchema = SchemaFactory.createForClass(Segment);

export interface SegmentRecord extends Segment {
  _id: Types.ObjectId;
  createdAt: Date;
  updatedAt: Date;
  __v: number;
}
