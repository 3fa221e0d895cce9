import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { CloudApiModule } from '../cloud-api/cloud-api.module';
import { DeliveryStatusModule } from '../delivery-status/delivery-status.module';
import { InboundModule } from '../inbound/inbound.module';
import { WhatsappLogDataModule } from '../whatsapp-log/whatsapp-log.module';
import { WebhookController } from './webhook.controller';
import { WhatsappWebhookService } from './whatsapp-webhook.service';

/** Provider webhooks: POST /webhooks/whatsapp (status updates and customers' messages) and its GET handshake. */
@Module({
  imports: [AuthModule, CloudApiModule, DeliveryStatusModule, InboundModule, WhatsappLogDataModule],
  controllers: [WebhookController],
  providers: [WhatsappWebhookService],
})
export class WebhookModule {}
