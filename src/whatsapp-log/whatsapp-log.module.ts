import { Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { WhatsappLogRepository } from './whatsapp-log.repository';
import { WhatsappLog, WhatsappLogSchema } from './whatsapp-log.schema';

/** The WhatsApp-log collection and its repository, for every feature that writes or reads it. */
@Module({
  imports: [MongooseModule.forFeature([{ name: WhatsappLog.name, schema: WhatsappLogSchema }])],
  providers: [WhatsappLogRepository],
  exports: [WhatsappLogRepository],
})
export class WhatsappLogDataModule {}
