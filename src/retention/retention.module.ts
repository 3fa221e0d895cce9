import { Module } from '@nestjs/common';
import { AuditLogDataModule } from '../audit-log/audit-log.module';
import { MessageLogDataModule } from '../message-log/message-log.module';
import { WhatsappLogDataModule } from '../whatsapp-log/whatsapp-log.module';
import { RetentionService } from './retention.service';

/** The worker's periodic deletion of logs past their retention. */
@Module({
  imports: [MessageLogDataModule, WhatsappLogDataModule, AuditLogDataModule],
  providers: [RetentionService],
  exports: [RetentionService],
})
export class RetentionWorkerModule {}
