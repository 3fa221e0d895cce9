import { Module } from '@nestjs/common';
import { BroadcastDataModule } from '../broadcast/broadcast.module';
import { BroadcastResultsRepository } from '../message-log/broadcast-results.repository';
import { MessageLogDataModule } from '../message-log/message-log.module';
import { BroadcastResultsController } from './broadcast-results.controller';
import { BroadcastResultsService } from './broadcast-results.service';
import { RecipientExportService } from './recipient-export.service';

/** What a broadcast achieved, over HTTP: GET /broadcast/:id/report and /broadcast/:id/recipients.csv (read views of the ledger). */
@Module({
  imports: [BroadcastDataModule, MessageLogDataModule],
  controllers: [BroadcastResultsController],
  providers: [BroadcastResultsRepository, BroadcastResultsService, RecipientExportService],
})
export class ResultsHttpModule {}
