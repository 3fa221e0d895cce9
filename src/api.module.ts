import { DynamicModule, Module, Type } from '@nestjs/common';
import { APP_FILTER, APP_INTERCEPTOR, APP_PIPE } from '@nestjs/core';
import { ApiExceptionFilter, createValidationPipe } from '@app/common';
import { AttachmentHttpModule } from './attachment/attachment-http.module';
import { HttpAuthModule } from './auth';
import { AppConfig } from './config';
import { BroadcastModule } from './broadcast/broadcast.module';
import { ContactModule } from './contact/contact.module';
import { CoreModule } from './core/core.module';
import { EventWebhookModule } from './event-webhook/event-webhook.module';
import { HealthModule } from './health/health.module';
import { MultipartRoutesInterceptor } from './http';
import { MessageModule } from './message/message.module';
import { MessageLogApiModule } from './message-log/message-log.module';
import { WebhookModule } from './webhook/webhook.module';
import { WhatsappLogModule } from './whatsapp-log/whatsapp-log.module';

/** Feature modules that serve HTTP: controllers and the producers they call. */
export const API_FEATURES: Array<Type | DynamicModule> = [
  HttpAuthModule,
  HealthModule,
  AttachmentHttpModule,
  WhatsappLogModule,
  ContactModule,
  BroadcastModule,
  MessageModule,
  WebhookModule,
  EventWebhookModule,
  MessageLogApiModule,
];

/** The strict validation pipe, the envelope-aware exception filter and the multipart check, for every HTTP app (tests too). */
export const HTTP_PIPELINE = [
  { provide: APP_PIPE, useFactory: createValidationPipe },
  { provide: APP_INTERCEPTOR, useClass: MultipartRoutesInterceptor },
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
