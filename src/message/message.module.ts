import { Module } from '@nestjs/common';
import { AuthDataModule } from '../auth/auth.module';
import { ContactDataModule } from '../contact/contact.module';
import { MessageLogDataModule } from '../message-log/message-log.module';
import { SendingDataModule } from '../sending/send-queue.module';
import { SendingWorkerModule } from '../sending/sending-worker.module';
import { IdempotencyStore } from './idempotency.store';
import { MessageContentDataModule } from '../message-content/message-content.module';
import { TemplateDataModule } from '../template/template.module';
import { RecoveryModule } from '../recovery/recovery.module';
import { MessageSweeper } from './message-sweeper';
import { MessageSendHandler } from './message-send.handler';
import { MessageController } from './message.controller';
import { MessageService } from './message.service';

/** POST /v1/messages: single messages through the shared send queue. */
@Module({
  imports: [AuthDataModule, ContactDataModule, MessageContentDataModule, MessageLogDataModule, SendingDataModule, TemplateDataModule],
  controllers: [MessageController],
  providers: [MessageService, IdempotencyStore],
})
export class MessageHttpModule {}

/** Worker side: sends the messages of POST /v1/messages, and re-enqueues those whose job was lost. */
@Module({
  imports: [SendingWorkerModule, SendingDataModule, MessageLogDataModule, TemplateDataModule, RecoveryModule],
  providers: [MessageSendHandler, MessageSweeper],
})
export class MessageWorkerModule {}
