import { Module } from '@nestjs/common';
import { MulterModule } from '@nestjs/platform-express';
import { AppConfig } from '../config';
import { AttachmentController } from './attachment.controller';
import { AttachmentDataModule } from './attachment.module';
import { AttachmentIntake } from './attachment-intake';
import { attachmentUploadOptions } from './attachment-upload.engine';
import { AttachmentStores } from './storage/attachment-stores';

/** `/attachment` over HTTP: the controller and the streaming multipart upload. */
@Module({
  imports: [
    AttachmentDataModule,
    MulterModule.registerAsync({
      imports: [AttachmentDataModule],
      inject: [AttachmentIntake, AttachmentStores, AppConfig],
      useFactory: (intake: AttachmentIntake, stores: AttachmentStores, config: AppConfig) =>
        attachmentUploadOptions(intake, stores, config.attachments.maxBytes),
    }),
  ],
  controllers: [AttachmentController],
})
export class AttachmentHttpModule {}
