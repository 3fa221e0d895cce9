import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';
import { Types } from 'mongoose';

/**
 * A stored file a client can send as media (seed 000's attachment records). `type` and
 * `mimetype` come from the file's content; `name` is generated; the client's file name
 * is never stored.
 */
@Schema({ collection: 'attachments', timestamps: true })
export class Attachment {
  /** Extension of the detected type (`jpeg`, `pdf`, `txt`...). */
  @Prop({ type: String, required: true })
  type!: string;

  @Prop({ type: String, required: true })
  mimetype!: string;

  /** 15 random upper-case letters and digits; the stored file is `<name>.<type>`. */
  @Prop({ type: String, required: true, unique: true })
  name!: string;

  /** `./public/attachments/<name>.<type>` on local disk, `gridfs://attachments/<name>.<type>` in GridFS. */
  @Prop({ type: String, required: true })
  path!: string;

  /** Bytes. */
  @Prop({ type: Number, required: true, min: 1 })
  size!: number;

  @Prop({ type: Types.ObjectId, required: true })
  client_id!: Types.ObjectId;
}

export const AttachmentSchema = SchemaFactory.createForClass(Attachment);
// Every read is by client; lists are newest first.
AttachmentSchema.index({ client_id: 1, createdAt: -1, _id: -1 });

/** An attachment as the repository returns it (plain object). */
export interface AttachmentRecord {
  _id: Types.ObjectId;
  type: string;
  mimetype: string;
  name: string;
  path: string;
  size: number;
  client_id: Types.ObjectId;
  createdAt: Date;
  updatedAt: Date;
  __v: number;
}
