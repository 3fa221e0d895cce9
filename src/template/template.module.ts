import { Global, Injectable, Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { AttachmentDataModule } from '../attachment/attachment.module';
import { AuthDataModule } from '../auth/auth.module';
import { SESSION_LISTENER, SessionListener } from '../auth/session-listener';
import type { SessionRecord } from '../auth/session.schema';
import { CloudApiDataModule } from '../cloud-api/cloud-api.module';
import { TemplateCatalogue } from './template-catalogue';
import { TemplateLifecycle } from './template-lifecycle';
import { TemplateUpkeep } from './template-upkeep';
import { TemplateValidator } from './template-validator';
import { TemplateWebhookReceiver } from './template-webhook.receiver';
import { TemplateController } from './template.controller';
import { TemplateRepository } from './template.repository';
import { MessageTemplateEntry, MessageTemplateSchema } from './template.schema';

/** Template catalogues, their lifecycle and the send check: shared by the API (sends, webhooks) and the worker (upkeep). */
@Module({
  imports: [MongooseModule.forFeature([{ name: MessageTemplateEntry.name, schema: MessageTemplateSchema }]), AuthDataModule, AttachmentDataModule, CloudApiDataModule],
  providers: [TemplateRepository, TemplateLifecycle, TemplateCatalogue, TemplateValidator, TemplateWebhookReceiver],
  exports: [TemplateRepository, TemplateLifecycle, TemplateCatalogue, TemplateValidator, TemplateWebhookReceiver],
})
export class TemplateDataModule {}

/** A new session's catalogue is read at once (in the background). */
@Injectable()
class TemplateSessionListener implements SessionListener {
  constructor(private readonly catalogue: TemplateCatalogue) {}

  sessionCreated(session: SessionRecord): void {
    this.catalogue.syncSoon(session);
  }
}

/** Provides the auth module's session listener port (global, so that the session controller can see it). */
@Global()
@Module({
  imports: [TemplateDataModule],
  providers: [{ provide: SESSION_LISTENER, useClass: TemplateSessionListener }],
  exports: [SESSION_LISTENER],
})
export class TemplateSessionListenerModule {}

/** /templates over HTTP. */
@Module({
  imports: [TemplateDataModule, TemplateSessionListenerModule, AuthDataModule],
  controllers: [TemplateController],
})
export class TemplateHttpModule {}

/** Worker side: the periodic catalogue sync and the sandbox's reviews. */
@Module({
  imports: [TemplateDataModule],
  providers: [TemplateUpkeep],
})
export class TemplateWorkerModule {}
