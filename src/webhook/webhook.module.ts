import { Module } from '@nestjs/common';
import { AuthDataModule } from '../auth/auth.module';
import { CloudApiDataModule } from '../cloud-api/cloud-api.module';
import { DeliveryStatusDataModule } from '../delivery-status/delivery-status.module';
import { InboundDataModule } from '../inbound/inbound.module';
import { WhatsappLogDataModule } from '../whatsapp-log/whatsapp-log.module';
import { TemplateDataModule } from '../template/template.module';
import { WebhookController } from './webhook.controller';
import { WhatsappWebhookService } from './whatsapp-webhook.service';

import { MessagingLimitDataModule } from '../messaging-limit/messaging-limit.module';
import { NumberQualityReceiver } from './number-quality.receiver';
/** Provider webhooks: POST /webhooks/whatsapp (status updates and customers' messages) and its GET handshake. */
@Module({
  imports: [AuthDataModule, CloudApiDataModule, DeliveryStatusDataModule, InboundDataModule, WhatsappLogDataModule, TemplateDataModule, MessagingLimitDataModule],
  controllers: [WebhookController],
  providers: [WhatsappWebhookService, NumberQualityReceiver],
})
export class WebhookHttpModule {}
