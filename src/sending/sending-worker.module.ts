import { Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { AttachmentDataModule } from '../attachment';
import { AuthDataModule } from '../auth';
import { CloudApiDataModule } from '../cloud-api/cloud-api.module';
import { ContactDataModule } from '../contact/contact.module';
import { MessageContentDataModule } from '../message-content/message-content.module';
import { DeliveryStatusDataModule } from '../delivery-status/delivery-status.module';
import { HealthWorkerModule } from '../health/health.module';
import { MessageLogDataModule } from '../message-log/message-log.module';
import { WhatsappLogDataModule } from '../whatsapp-log/whatsapp-log.module';
import { MessageSender } from './message-sender';
import { ProviderRegistry } from './provider-registry';
import { SendLedger } from './send-ledger';
import { SendingDataModule } from './send-queue.module';
import { SendProcessor } from './send.processor';
import { SendQueueGate } from './send-queue-gate';
import { SessionCache } from './session-cache';
import { SenderThrottle } from './sender-throttle';
import { SessionRateLimiter } from './session-rate-limiter';

/**
 * The worker's sending pipeline: consumes the send queue and hands each job to the handler
 * of its kind, which sends through MessageSender. Features that send (broadcasts, single
 * messages) import this module and provide their @HandlesSendJob handler.
 */
@Module({
  imports: [
    DiscoveryModule,
    SendingDataModule,
    AuthDataModule,
    AttachmentDataModule,
    ContactDataModule,
    MessageContentDataModule,
    MessageLogDataModule,
    WhatsappLogDataModule,
    DeliveryStatusDataModule,
    CloudApiDataModule,
    HealthWorkerModule,
  ],
  providers: [ProviderRegistry, SessionRateLimiter, SenderThrottle, SessionCache, SendLedger, MessageSender, SendProcessor, SendQueueGate],
  exports: [ProviderRegistry, MessageSender, SessionCache],
})
export class SendingWorkerModule {}
