import { DynamicModule, Module, Type } from '@nestjs/common';
import { AppConfig } from './config';
import { AudienceDataModule } from './audience/audience.module';
import { CoreModule } from './core/core.module';
import { HealthWorkerModule } from './health/health.module';
import { BroadcastWorkerModule } from './broadcast/broadcast.module';
import { EventWebhookWorkerModule } from './event-webhook/event-webhook.module';
import { InboundWorkerModule } from './inbound/inbound.module';
import { MessageWorkerModule } from './message/message.module';
import { MetricsWorkerModule } from './metrics';
import { RetentionWorkerModule } from './retention/retention.module';
import { SendingWorkerModule } from './sending/sending-worker.module';
import { TemplateWorkerModule } from './template/template.module';

/** Feature modules of the worker: queue consumers (every Bull processor is registered here and only here) and periodic upkeep. */
export const WORKER_FEATURES: Array<Type | DynamicModule> = [
  HealthWorkerModule,
  SendingWorkerModule,
  AudienceDataModule,
  BroadcastWorkerModule,
  MessageWorkerModule,
  InboundWorkerModule,
  EventWebhookWorkerModule,
  RetentionWorkerModule,
  TemplateWorkerModule,
  MetricsWorkerModule,
];

/** What the worker process is made of: no HTTP, only queue consumers and their dependencies. */
@Module({})
export class WorkerModule {
  static forRoot(config: AppConfig): DynamicModule {
    return { module: WorkerModule, imports: [CoreModule.forRoot(config, 'worker'), ...WORKER_FEATURES] };
  }
}
