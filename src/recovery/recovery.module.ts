import { Module } from '@nestjs/common';
import { MessageLogDataModule } from '../message-log/message-log.module';
import { SendingDataModule } from '../sending/send-queue.module';
import { DeadWorkerReaper } from './dead-workers';
import { RedisLossMarker } from './redis-loss-marker';

/** The worker's fast recovery: noticing a Redis that lost its data, and freeing what a dead worker held. */
@Module({
  imports: [MessageLogDataModule, SendingDataModule],
  providers: [RedisLossMarker, DeadWorkerReaper],
  exports: [RedisLossMarker],
})
export class RecoveryModule {}
