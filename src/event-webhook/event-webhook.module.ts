import { Global, Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { AuthDataModule } from '../auth';
import { BroadcastDataModule } from '../broadcast/broadcast.module';
import { LEDGER_EVENTS } from '../message-log/ledger-events';
import { MessageLogDataModule } from '../message-log/message-log.module';
import { RecoveryModule } from '../recovery/recovery.module';
import { TemplateDataModule } from '../template/template.module';
import { EventOrdering } from './event-ordering';
import { EventOutboxSweeper } from './event-outbox-sweeper';
import { EventPublisher } from './event-publisher';
import { EVENT_WEBHOOK_QUEUE } from './event-webhook.jobs';
import { EventWebhookProcessor } from './event-webhook.processor';
import { EventWebhookQueue } from './event-webhook.queue';
import { WebhookDelivery, WebhookDeliverySchema } from './webhook-delivery.schema';
import { WebhookDeliveryRepository } from './webhook-delivery.repository';
import { WebhookEndpointController } from './webhook-endpoint.controller';
import { WebhookEndpoint, WebhookEndpointSchema } from './webhook-endpoint.schema';
import { WebhookEndpointRepository } from './webhook-endpoint.repository';
import { WebhookEndpointService } from './webhook-endpoint.service';
import { registerQueue } from '../core/queues';

/** Endpoints, deliveries and the event-webhook queue's producer: shared by the API and the worker. */
@Module({
  imports: [
    MongooseModule.forFeature([
      { name: WebhookEndpoint.name, schema: WebhookEndpointSchema },
      { name: WebhookDelivery.name, schema: WebhookDeliverySchema },
    ]),
    registerQueue(EVENT_WEBHOOK_QUEUE),
    AuthDataModule,
  ],
  providers: [WebhookEndpointRepository, WebhookDeliveryRepository, EventWebhookQueue],
  exports: [WebhookEndpointRepository, WebhookDeliveryRepository, EventWebhookQueue, AuthDataModule],
})
export class EventWebhookDataModule {}

/**
 * Provides the ledger's events port (global, so that the sending pipeline, delivery reports,
 * broadcasts and inbound messages announce what they wrote without importing this feature).
 */
@Global()
@Module({
  imports: [EventWebhookDataModule, MessageLogDataModule, BroadcastDataModule],
  providers: [EventPublisher, { provide: LEDGER_EVENTS, useExisting: EventPublisher }],
  exports: [LEDGER_EVENTS, EventPublisher],
})
export class LedgerEventsModule {}

/** /webhook-endpoints over HTTP. */
@Module({
  imports: [EventWebhookDataModule, LedgerEventsModule],
  controllers: [WebhookEndpointController],
  providers: [WebhookEndpointService],
})
export class EventWebhookHttpModule {}

/** Worker side: delivers events to endpoints, one try per job, and sweeps the outbox for events a crash left unpublished. */
@Module({
  imports: [EventWebhookDataModule, LedgerEventsModule, MessageLogDataModule, BroadcastDataModule, TemplateDataModule, RecoveryModule],
  providers: [EventOrdering, EventWebhookProcessor, EventOutboxSweeper],
})
export class EventWebhookWorkerModule {}
