import { DynamicModule, Module, Type } from '@nestjs/common';
import { APP_FILTER, APP_INTERCEPTOR, APP_PIPE } from '@nestjs/core';
import { ApiExceptionFilter, createValidationPipe } from '@app/common';
import { AttachmentHttpModule } from './attachment/attachment-http.module';
import { AuditLogHttpModule } from './audit-log/audit-log.module';
import { AudienceHttpModule } from './audience/audience.module';
import { AuthHttpModule } from './auth';
import { AppConfig } from './config';
import { BroadcastHttpModule } from './broadcast/broadcast.module';
import { ContactHttpModule } from './contact/contact.module';
import { CoreModule } from './core/core.module';
import { EventWebhookHttpModule } from './event-webhook/event-webhook.module';
import { HealthHttpModule } from './health/health.module';
import { MultipartRoutesInterceptor, RequestDeadlineInterceptor } from './http';
import { MessageHttpModule } from './message/message.module';
import { MessageLogHttpModule } from './message-log/message-log.module';
import { MessagingLimitHttpModule } from './messaging-limit/messaging-limit.module';
import { MetricsHttpModule } from './metrics';
import { QueueDashboardHttpModule } from './queue-dashboard/queue-dashboard.module';
import { ResultsHttpModule } from './results/results.module';
import { TemplateHttpModule } from './template/template.module';
import { WebhookHttpModule } from './webhook/webhook.module';
import { WhatsappLogHttpModule } from './whatsapp-log/whatsapp-log.module';

/** Feature modules that serve HTTP: controllers and the producers they call. */
export const API_FEATURES: Array<Type | DynamicModule> = [
  AuthHttpModule,
  HealthHttpModule,
  AttachmentHttpModule,
  WhatsappLogHttpModule,
  ContactHttpModule,
  AudienceHttpModule,
  BroadcastHttpModule,
  ResultsHttpModule,
  MessageHttpModule,
  MessagingLimitHttpModule,
  TemplateHttpModule,
  WebhookHttpModule,
  EventWebhookHttpModule,
  MessageLogHttpModule,
  MetricsHttpModule,
  QueueDashboardHttpModule,
  AuditLogHttpModule,
];

/** The strict validation pipe, the envelope-aware exception filter, the multipart check and the deadline's exemptions, for every HTTP app (tests too). */
export const HTTP_PIPELINE = [
  { provide: APP_PIPE, useFactory: createValidationPipe },
  { provide: APP_INTERCEPTOR, useClass: MultipartRoutesInterceptor },
  { provide: APP_INTERCEPTOR, useClass: RequestDeadlineInterceptor },
  { provide: APP_FILTER, useClass: ApiExceptionFilter },
];

/** What the API process is made of. */
@Module({})
export class ApiModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: ApiModule,
      imports: [CoreModule.forRoot(config, 'api'), ...API_FEATURES],
      providers: HTTP_PIPELINE,
    };
  }
}
