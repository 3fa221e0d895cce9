import { Module } from '@nestjs/common';
import { AttachmentModule } from '../attachment';
import { AuthModule } from '../auth';
import { BroadcastWorkerModule } from '../broadcast/broadcast.module';
import { CloudApiModule } from '../cloud-api/cloud-api.module';
import { ContactDataModule } from '../contact/contact.module';
import { DeliveryStatusModule } from '../delivery-status/delivery-status.module';
import { MessageLogDataModule } from '../message-log/message-log.module';
import { WhatsappLogDataModule } from '../whatsapp-log/whatsapp-log.module';
import { MessageRenderer } from './message-renderer';
import { MessageSender } from './message-sender';
import { ProviderRegistry } from './provider-registry';
import { SendQueueModule } from './send-queue.module';
import { SendProcessor } from './send.processor';
import { SessionRateLimiter } from './session-rate-limiter';

/** The worker's sending pipeline: consumes the send queue for broadcasts and single messages alike. */
@Module({
  imports: [
    SendQueueModule,
    BroadcastWorkerModule,
    AuthModule,
    AttachmentModule,
    ContactDataModule,
    MessageLogDataModule,
    WhatsappLogDataModule,
    DeliveryStatusModule,
    CloudApiModule,
  ],
  providers: [ProviderRegistry, SessionRateLimiter, MessageRenderer, MessageSender, SendProcessor],
  exports: [ProviderRegistry],
})
export class SendingWorkerModule {}
