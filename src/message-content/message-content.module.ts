import { Module } from '@nestjs/common';
import { AttachmentDataModule } from '../attachment/attachment.module';
import { ContactDataModule } from '../contact/contact.module';
import { MessageContentValidator } from './message-content.validator';
import { MessageRenderer } from './message-renderer';

/** The message-content rules: validation for POST /broadcast and POST /v1/messages, rendering for the worker. */
@Module({
  imports: [AttachmentDataModule, ContactDataModule],
  providers: [MessageContentValidator, MessageRenderer],
  exports: [MessageContentValidator, MessageRenderer],
})
export class MessageContentDataModule {}
