import { Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { AttachmentDataModule } from '../attachment';
import { AuthDataModule } from '../auth';
import { ContactDataModule } from '../contact/contact.module';
import { ApiRequestLogController } from './api-request-log.controller';
import { ApiRequestLogService } from './api-request-log.service';
import { ContactMessagesController } from './contact-messages.controller';
import { ContactMessagesService } from './contact-messages.service';
import { MessageLogController } from './message-log.controller';
import { MessageLogRepository } from './message-log.repository';
import { MessageLog, MessageLogSchema } from './message-log.schema';
import { MessageLogService } from './message-log.service';

/** The message-log collection and its repository, for every feature that writes or reads the ledger. */
@Module({
  imports: [MongooseModule.forFeature([{ name: MessageLog.name, schema: MessageLogSchema }])],
  providers: [MessageLogRepository],
  exports: [MessageLogRepository],
})
export class MessageLogDataModule {}

/** The three read views of the ledger over HTTP: seeds 000, 003 and 004. */
@Module({
  imports: [MessageLogDataModule, AuthDataModule, ContactDataModule, AttachmentDataModule],
  controllers: [MessageLogController, ContactMessagesController, ApiRequestLogController],
  providers: [MessageLogService, ContactMessagesService, ApiRequestLogService],
})
export class MessageLogHttpModule {}
