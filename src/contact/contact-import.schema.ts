import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';
import { SchemaTypes, Types } from 'mongoose';

/** `queued`: waiting for one of the API process's import threads (CONTACT_IMPORT_THREADS); then `running`. */
export const CONTACT_IMPORT_STATUSES = ['queued', 'running', 'completed', 'failed'] as const;
export type ContactImportStatus = (typeof CONTACT_IMPORT_STATUSES)[number];

/** A row of the file that was not imported. */
@Schema({ _id: false })
export class ContactImportRejection {
  @Prop({ type: Number, required: true }) line!: number;
  /** The number as the file wrote it. */
  @Prop({ type: String, required: true }) number!: string;
  @Prop({ type: [String], required: true }) reasons!: string[];
}

/** One POST /contacts/import: its progress while it runs, then its report. */
@Schema({ collection: 'contact_imports', timestamps: true })
export class ContactImport {
  @Prop({ type: SchemaTypes.ObjectId, required: true }) client_id!: Types.ObjectId;
  @Prop({ type: String, required: true, enum: CONTACT_IMPORT_STATUSES }) status!: ContactImportStatus;
  /** Size of the file in bytes. */
  @Prop({ type: Number, required: true }) bytes!: number;
  /** Data rows read so far (the header excluded). */
  @Prop({ type: Number, default: 0 }) rows!: number;
  @Prop({ type: Number, default: 0 }) created!: number;
  @Prop({ type: Number, default: 0 }) updated!: number;
  @Prop({ type: Number, default: 0 }) unchanged!: number;
  @Prop({ type: Number, default: 0 }) rejected!: number;
  /** The first rejected rows, with their line numbers and reasons (the rest are counted in `rejected`). */
  @Prop({ type: [ContactImportRejection], default: [] }) rejections!: ContactImportRejection[];
  /** Why a failed import stopped. */
  @Prop({ type: String, default: null }) error!: string | null;
  @Prop({ type: Date, default: null }) finished_at!: Date | null;
}

export const ContactImportSchema = SchemaFactory.createForClass(ContactImport);

export interface ContactImportRecord extends ContactImport {
  _id: Types.ObjectId;
  createdAt: Date;
  updatedAt: Date;
  __v: number;
}
