import { Module } from '@nestjs/common';
import { AttachmentModule } from '../attachment/attachment.module';
import { ContactDataModule } from '../contact/contact.module';
import { MessageContentValidator } from './message-content.validator';

/** The message-body rules shared by POST /broadcast and POST /v1/messages. */
@Module({
  imports: [AttachmentModule, ContactDataModule],
  providers: [MessageContentValidator],
  exports: [MessageContentValidator],
})
export class MessageContentModule {}
