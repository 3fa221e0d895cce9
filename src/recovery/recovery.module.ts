import { Module } from '@nestjs/common';
import { RedisLossMarker } from './redis-loss-marker';

/** The worker's fast recovery: noticing a Redis that lost its data. */
@Module({
  providers: [RedisLossMarker],
  exports: [RedisLossMarker],
})
export class RecoveryModule {}
