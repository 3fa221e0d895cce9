import { Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { AttachmentIntake } from './attachment-intake';
import { AttachmentRepository } from './attachment.repository';
import { Attachment, AttachmentSchema } from './attachment.schema';
import { AttachmentService } from './attachment.service';
import { AttachmentStores } from './storage/attachment-stores';
import { GridFsAttachmentStorage } from './storage/gridfs-attachment-storage';
import { LocalAttachmentStorage } from './storage/local-attachment-storage';

/**
 * Attachment records, their storage and the service the rest of the application uses
 * (broadcast validation, the worker's media messages). No HTTP: the worker imports it.
 */
@Module({
  imports: [MongooseModule.forFeature([{ name: Attachment.name, schema: AttachmentSchema }])],
  providers: [AttachmentRepository, LocalAttachmentStorage, GridFsAttachmentStorage, AttachmentStores, AttachmentIntake, AttachmentService],
  exports: [AttachmentService, AttachmentIntake, AttachmentStores],
})
export class AttachmentDataModule {}
