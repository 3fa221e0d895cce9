import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { HealthController } from './health.controller';
import { DependencyWatch } from './dependency-watch';
import { MongoHealthIndicator } from './mongo.health';
import { RedisHealthIndicator } from './redis.health';
import { WorkerHeartbeat } from './worker-heartbeat';
import { WorkersHealthIndicator } from './workers.health';

/** GET /health for the API process. */
@Module({
  imports: [TerminusModule.forRoot({ logger: false })],
  controllers: [HealthController],
  providers: [MongoHealthIndicator, RedisHealthIndicator, WorkersHealthIndicator, DependencyWatch],
  exports: [DependencyWatch],
})
export class HealthHttpModule {}

/** The worker's periodic self-check and heartbeat. */
@Module({
  imports: [TerminusModule.forRoot({ logger: false })],
  providers: [MongoHealthIndicator, RedisHealthIndicator, WorkerHeartbeat],
  exports: [WorkerHeartbeat],
})
export class HealthWorkerModule {}
