import { Global, Module } from '@nestjs/common';
import { AttachmentDataModule } from '../attachment';
import { AuthDataModule } from '../auth';
import { CloudApiDataModule } from '../cloud-api/cloud-api.module';
import { ContactDataModule } from '../contact/contact.module';
import { MessageLogDataModule } from '../message-log/message-log.module';
import { MessagingLimitDataModule } from '../messaging-limit/messaging-limit.module';
import { SANDBOX_INBOUND_SINK } from '../sending/provider-registry';
import { RECIPIENT_POLICY } from '../sending/recipient-policy';
import { ContactRecipientPolicy } from './contact-recipient-policy';
import { INBOUND_QUEUE } from './inbound.jobs';
import { InboundProcessor } from './inbound.processor';
import { InboundQueue } from './inbound.queue';
import { InboundService } from './inbound.service';
import { OptOutKeywords } from './opt-out-keywords';
import { registerQueue } from '../core/queues';

/** Customers' messages into the ledger and the contacts (API: Cloud API webhooks; worker: the sandbox's replies). */
@Module({
  imports: [registerQueue(INBOUND_QUEUE), AuthDataModule, ContactDataModule, MessageLogDataModule],
  providers: [InboundService, InboundQueue, OptOutKeywords],
  exports: [InboundService],
})
export class InboundDataModule {}

/**
 * Worker side: sending's recipient policy (opt-outs, the 24-hour window) and the sandbox's
 * reply path, provided globally so that the sending module sees them without importing
 * this feature; and the consumer that fetches customers' media.
 */
@Global()
@Module({
  imports: [InboundDataModule, ContactDataModule, MessageLogDataModule, AuthDataModule, CloudApiDataModule, AttachmentDataModule, MessagingLimitDataModule],
  providers: [
    { provide: RECIPIENT_POLICY, useClass: ContactRecipientPolicy },
    { provide: SANDBOX_INBOUND_SINK, useExisting: InboundService },
    InboundProcessor,
  ],
  exports: [RECIPIENT_POLICY, SANDBOX_INBOUND_SINK],
})
export class InboundWorkerModule {}
