import { Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { WhatsappLogController } from './whatsapp-log.controller';
import { WhatsappLogRepository } from './whatsapp-log.repository';
import { WhatsappLog, WhatsappLogSchema } from './whatsapp-log.schema';
import { WhatsappLogService } from './whatsapp-log.service';

/** The WhatsApp-log collection and its repository, for every feature that writes or reads it (the worker too). */
@Module({
  imports: [MongooseModule.forFeature([{ name: WhatsappLog.name, schema: WhatsappLogSchema }])],
  providers: [WhatsappLogRepository],
  exports: [WhatsappLogRepository],
})
export class WhatsappLogDataModule {}

/** The WhatsApp log ledger over HTTP: seed 002's read API. */
@Module({
  imports: [WhatsappLogDataModule],
  controllers: [WhatsappLogController],
  providers: [WhatsappLogService],
  exports: [WhatsappLogDataModule],
})
export class WhatsappLogHttpModule {}
