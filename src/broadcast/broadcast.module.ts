import { Global, Injectable, Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { MulterModule } from '@nestjs/platform-express';
import { AppConfig } from '../config';
import { ATTACHMENT_USAGE, AttachmentUsage } from '../attachment';
import { registerQueue } from '../core/queues';
import { MessageContentDataModule } from '../message-content/message-content.module';
import { MessageLogDataModule } from '../message-log/message-log.module';
import { ContactDataModule } from '../contact/contact.module';
import { SendingDataModule } from '../sending/send-queue.module';
import { SendingWorkerModule } from '../sending/sending-worker.module';
import { BROADCAST_QUEUE } from './broadcast.jobs';
import { BroadcastFanOut } from './broadcast-fan-out';
import { BroadcastAudiences } from './broadcast-audience';
import { BroadcastProgress } from './broadcast-progress';
import { BroadcastRecipientSender } from './broadcast-recipient-sender';
import { BroadcastRecipientHandler } from './broadcast-recipient.handler';
import { BroadcastRecipientListRepository } from './broadcast-recipient-list.repository';
import { BroadcastSendGroupHandler } from './broadcast-send-group.handler';
import { BroadcastSendJobs } from './broadcast-send-jobs';
import { RecoveryModule } from '../recovery/recovery.module';
import { BroadcastSweeper } from './broadcast-sweeper';
import { BroadcastStopSignal } from './broadcast-stop.signal';
import { BroadcastController } from './broadcast.controller';
import { BroadcastProcessor } from './broadcast.processor';
import { BroadcastQueue } from './broadcast.queue';
import { BroadcastRepository } from './broadcast.repository';
import { Broadcast, BroadcastSchema } from './broadcast.schema';
import { BroadcastPauseSignal } from './broadcast-pause.signal';
import { recipientCsvUploadOptions } from './recipient-csv';
import { RecipientVariablesRepository } from './recipient-variables.repository';
import { RecipientVariablesEntry, RecipientVariablesSchema } from './recipient-variables.schema';
import { BroadcastService } from './broadcast.service';
import { TEMPLATE_BROADCASTS } from '../template/template-broadcasts';
import { BroadcastPauseControl } from './broadcast-pause-control';
import { BroadcastTemplateHold } from './broadcast-template-hold';
import { TemplateDataModule } from '../template/template.module';

import { AuthDataModule } from '../auth';
import { MessagingLimitDataModule } from '../messaging-limit/messaging-limit.module';
import { RateCardDataModule } from '../rate-card/rate-card.module';
import { DeliveryPlanner } from './delivery-plan';
import { BroadcastFlagHold } from './broadcast-flag-hold';
import { FLAGGED_NUMBER_BROADCASTS } from '../messaging-limit/flagged-number-broadcasts';
/** Broadcast records, the stop signal and the broadcast queue's producer: shared by the API and the worker. */
@Module({
  imports: [
    MongooseModule.forFeature([
      { name: Broadcast.name, schema: BroadcastSchema },
      { name: RecipientVariablesEntry.name, schema: RecipientVariablesSchema },
    ]),
    registerQueue(BROADCAST_QUEUE),
    SendingDataModule,
    ContactDataModule,
  ],
  providers: [BroadcastRepository, BroadcastRecipientListRepository, RecipientVariablesRepository, BroadcastStopSignal, BroadcastPauseSignal, BroadcastPauseControl, BroadcastQueue, BroadcastSendJobs],
  exports: [BroadcastRepository, BroadcastRecipientListRepository, RecipientVariablesRepository, BroadcastStopSignal, BroadcastPauseSignal, BroadcastPauseControl, BroadcastQueue, BroadcastSendJobs],
})
export class BroadcastDataModule {}

/** Provides the template lifecycle's port onto broadcasts (global, so that the template module can see it). */
@Global()
@Module({
  imports: [BroadcastDataModule, MessageLogDataModule],
  providers: [{ provide: TEMPLATE_BROADCASTS, useClass: BroadcastTemplateHold }],
  exports: [TEMPLATE_BROADCASTS],
})
export class BroadcastTemplateHoldModule {}

/** Provides the FLAGGED number's port onto broadcasts (global, so that the webhook can see it). */
@Global()
@Module({
  imports: [BroadcastDataModule],
  providers: [{ provide: FLAGGED_NUMBER_BROADCASTS, useClass: BroadcastFlagHold }],
  exports: [FLAGGED_NUMBER_BROADCASTS],
})
export class BroadcastFlagHoldModule {}

/** DELETE /attachment/:id answers 409 while a sending broadcast uses the attachment. */
@Injectable()
class BroadcastAttachmentUsage implements AttachmentUsage {
  constructor(private readonly broadcasts: BroadcastRepository) {}

  countSendingBroadcastsUsing(clientId: string, attachmentId: string): Promise<number> {
    return this.broadcasts.countSendingUsingAttachment(clientId, attachmentId);
  }
}

/** Provides the attachment module's usage port (global, so that AttachmentService can see it). */
@Global()
@Module({
  imports: [BroadcastDataModule],
  providers: [{ provide: ATTACHMENT_USAGE, useClass: BroadcastAttachmentUsage }],
  exports: [ATTACHMENT_USAGE],
})
export class BroadcastAttachmentUsageModule {}

/** /broadcast over HTTP, with the streaming CSV recipient lists of POST /broadcast/csv. */
@Module({
  imports: [
    BroadcastDataModule,
    BroadcastAttachmentUsageModule,
    BroadcastTemplateHoldModule,
    BroadcastFlagHoldModule,
    MessageContentDataModule,
    MessageLogDataModule,
    SendingDataModule,
    TemplateDataModule,
    ContactDataModule,
    AuthDataModule,
    MessagingLimitDataModule,
    RateCardDataModule,
    MulterModule.registerAsync({
      inject: [AppConfig],
      useFactory: (config: AppConfig) => recipientCsvUploadOptions(config.sending.broadcastMaxRecipients),
    }),
  ],
  controllers: [BroadcastController],
  providers: [BroadcastService, BroadcastAudiences, DeliveryPlanner],
})
export class BroadcastHttpModule {}

/** Worker side: the windowed fan-out of broadcasts, the sweep, and sending to each recipient. */
@Module({
  imports: [BroadcastDataModule, BroadcastTemplateHoldModule, SendingWorkerModule, ContactDataModule, MessageLogDataModule, TemplateDataModule, RecoveryModule],
  providers: [BroadcastAudiences, BroadcastProcessor, BroadcastFanOut, BroadcastSweeper, BroadcastProgress, BroadcastRecipientSender, BroadcastRecipientHandler, BroadcastSendGroupHandler],
})
export class BroadcastWorkerModule {}
