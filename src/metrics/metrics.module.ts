import { Global, Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { RegisteredQueues } from '../core/registered-queues';
import { AppMetrics } from './app-metrics';
import { MetricsController } from './metrics.controller';
import { WorkerMetricsServer } from './metrics-server';
import { QueueSampler } from './queue-sampler';

/** The process's metrics and the queue sampler; global, so that any feature can record into AppMetrics. */
@Global()
@Module({
  imports: [DiscoveryModule],
  providers: [AppMetrics, RegisteredQueues, QueueSampler, WorkerMetricsServer],
  exports: [AppMetrics, RegisteredQueues, WorkerMetricsServer],
})
export class MetricsModule {}

/** GET /metrics on the API's own port. */
@Module({
  imports: [MetricsModule],
  controllers: [MetricsController],
})
export class MetricsHttpModule {}
