import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { CloudApiModule } from '../cloud-api/cloud-api.module';
import { DeliveryStatusModule } from '../delivery-status/delivery-status.module';
import { WhatsappLogDataModule } from '../whatsapp-log/whatsapp-log.module';
import { WebhookController } from './webhook.controller';
import { WhatsappWebhookService } from './whatsapp-webhook.service';

/** Provider webhooks: POST /webhooks/whatsapp (status updates) and its GET handshake. */
@Module({
  imports: [AuthModule, CloudApiModule, DeliveryStatusModule, WhatsappLogDataModule],
  controllers: [WebhookController],
  providers: [WhatsappWebhookService],
})
export class WebhookModule {}
