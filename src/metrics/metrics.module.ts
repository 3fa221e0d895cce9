import { Global, Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { RegisteredQueues } from '../core/registered-queues';
import { OperatorHttpModule } from '../operator/operator.module';
import { AppMetrics } from './app-metrics';
import { MetricsController } from './metrics.controller';
import { WorkerMetricsServer } from './metrics-server';
import { QueueSampler } from './queue-sampler';

/** The process's metrics and the queue sampler; global, so that any feature can record into AppMetrics. */
@Global()
@Module({
  imports: [DiscoveryModule],
  providers: [AppMetrics, RegisteredQueues, QueueSampler],
  exports: [AppMetrics, RegisteredQueues],
})
export class MetricsDataModule {}

/** GET /metrics on the API's own port (the operator's). */
@Module({
  imports: [MetricsDataModule, OperatorHttpModule],
  controllers: [MetricsController],
})
export class MetricsHttpModule {}

/** The worker's own GET /metrics server on METRICS_PORT (src/worker.ts starts it). */
@Module({
  imports: [MetricsDataModule],
  providers: [WorkerMetricsServer],
  exports: [WorkerMetricsServer],
})
export class MetricsWorkerModule {}
