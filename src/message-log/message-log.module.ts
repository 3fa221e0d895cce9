import { Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { ApiRequestLogController } from './api-request-log.controller';
import { ApiRequestLogService } from './api-request-log.service';
import { MessageLogController } from './message-log.controller';
import { MessageLog, MessageLogSchema } from './message-log.schema';
import { MessageLogRepository } from './message-log.repository';
import { MessageLogService } from './message-log.service';

/** The ledger's persistence: the message-log model and its repository, for writers (worker) and readers (API). */
@Module({
  imports: [MongooseModule.forFeature([{ name: MessageLog.name, schema: MessageLogSchema }])],
  providers: [MessageLogRepository],
  exports: [MessageLogRepository],
})
export class MessageLogModule {}

/** The three read views of the ledger over HTTP: seeds 000, 003 and 004. */
@Module({
  imports: [MessageLogModule],
  controllers: [MessageLogController, ApiRequestLogController],
  providers: [MessageLogService, ApiRequestLogService],
})
export class MessageLogApiModule {}
