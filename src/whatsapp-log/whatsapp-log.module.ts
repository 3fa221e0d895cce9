import { Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { WhatsappLogController } from './whatsapp-log.controller';
import { WhatsappLogRepository } from './whatsapp-log.repository';
import { WhatsappLog, WhatsappLogSchema } from './whatsapp-log.schema';
import { WhatsappLogService } from './whatsapp-log.service';

/** The WhatsApp log ledger: its repository (shared with the sending pipeline) and seed 002's read API. */
@Module({
  imports: [MongooseModule.forFeature([{ name: WhatsappLog.name, schema: WhatsappLogSchema }])],
  controllers: [WhatsappLogController],
  providers: [WhatsappLogRepository, WhatsappLogService],
  exports: [WhatsappLogRepository],
})
export class WhatsappLogModule {}
