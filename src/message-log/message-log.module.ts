import { Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { MessageLogRepository } from './message-log.repository';
import { MessageLog, MessageLogSchema } from './message-log.schema';

/** The message-log collection and its repository, for every feature that writes or reads the ledger. */
@Module({
  imports: [MongooseModule.forFeature([{ name: MessageLog.name, schema: MessageLogSchema }])],
  providers: [MessageLogRepository],
  exports: [MessageLogRepository],
})
export class MessageLogDataModule {}
