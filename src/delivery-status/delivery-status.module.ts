import { Module } from '@nestjs/common';
import { MessageLogDataModule } from '../message-log/message-log.module';
import { WhatsappLogDataModule } from '../whatsapp-log/whatsapp-log.module';
import { DeliveryStatusService } from './delivery-status.service';
import { EarlyStatusUpdates } from './early-status-updates';

/** Applies delivery status updates (webhooks, sandbox) to the ledger. */
@Module({
  imports: [MessageLogDataModule, WhatsappLogDataModule],
  providers: [DeliveryStatusService, EarlyStatusUpdates],
  exports: [DeliveryStatusService],
})
export class DeliveryStatusDataModule {}
