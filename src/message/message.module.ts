import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { ContactDataModule } from '../contact/contact.module';
import { MessageLogDataModule } from '../message-log/message-log.module';
import { SendQueueModule } from '../sending/send-queue.module';
import { SendingWorkerModule } from '../sending/sending-worker.module';
import { IdempotencyStore } from './idempotency.store';
import { MessageContentModule } from './message-content.module';
import { MessageSweeper } from './message-sweeper';
import { MessageSendHandler } from './message-send.handler';
import { MessageController } from './message.controller';
import { MessageService } from './message.service';

/** POST /v1/messages: single messages through the shared send queue. */
@Module({
  imports: [AuthModule, ContactDataModule, MessageContentModule, MessageLogDataModule, SendQueueModule],
  controllers: [MessageController],
  providers: [MessageService, IdempotencyStore],
})
export class MessageModule {}

/** Worker side: sends the messages of POST /v1/messages, and re-enqueues those whose job was lost. */
@Module({
  imports: [SendingWorkerModule, SendQueueModule, MessageLogDataModule],
  providers: [MessageSendHandler, MessageSweeper],
})
export class MessageWorkerModule {}
