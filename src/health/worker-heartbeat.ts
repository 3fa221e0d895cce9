import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown, ServiceUnavailableException } from '@nestjs/common';
import { HealthCheckService } from '@nestjs/terminus';
import { hostname } from 'node:os';
import { RedisClient } from '../core/redis-connection';
import { REDIS } from '../core/redis.module';
import { MongoHealthIndicator } from './mongo.health';
import { RedisHealthIndicator } from './redis.health';

export const HEARTBEAT_KEY_PREFIX = 'worker:heartbeat:';
const HEARTBEAT_INTERVAL_MS = 15_000;
/** A worker that missed three beats is no longer counted. */
const HEARTBEAT_TTL_SECONDS = 45;

export interface WorkerHeartbeatRecord {
  worker: string;
  startedAt: string;
  checkedAt: string;
  healthy: boolean;
}

/**
 * The worker's health probe: every 15 s it checks MongoDB and Redis, logs a line when
 * its health changes, and leaves a short-lived heartbeat key in Redis that the API's
 * GET /health counts.
 */
@Injectable()
export class WorkerHeartbeat implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(WorkerHeartbeat.name);
  private readonly worker = `${hostname()}:${process.pid}`;
  private readonly startedAt = new Date().toISOString();
  private timer?: NodeJS.Timeout;
  private lastHealthy?: boolean;

  constructor(
    private readonly health: HealthCheckService,
    private readonly mongo: MongoHealthIndicator,
    private readonly redisHealth: RedisHealthIndicator,
    @Inject(REDIS) private readonly redis: RedisClient,
  ) {}

  onApplicationBootstrap(): void {
    void this.beat();
    this.timer = setInterval(() => void this.beat(), HEARTBEAT_INTERVAL_MS);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.redis.del(`${HEARTBEAT_KEY_PREFIX}${this.worker}`).catch(() => undefined);
  }

  async beat(): Promise<boolean> {
    const healthy = await this.health
      .check([() => this.mongo.pingCheck('mongodb'), () => this.redisHealth.pingCheck('redis')])
      .then(() => true)
      .catch((error: unknown) => {
        // Terminus answers with the state of each dependency; log which one is down, not a stack.
        const down = error instanceof ServiceUnavailableException ? (error.getResponse() as { error?: unknown }).error : String(error);
        this.logger.warn({ down }, 'Worker health check failed');
        return false;
      });
    if (healthy !== this.lastHealthy) {
      this.logger.log({ healthy, worker: this.worker }, healthy ? 'Worker healthy: MongoDB and Redis reachable' : 'Worker unhealthy');
      this.lastHealthy = healthy;
    }
    const record: WorkerHeartbeatRecord = { worker: this.worker, startedAt: this.startedAt, checkedAt: new Date().toISOString(), healthy };
    await this.redis
      .set(`${HEARTBEAT_KEY_PREFIX}${this.worker}`, JSON.stringify(record), 'EX', HEARTBEAT_TTL_SECONDS)
      .catch(() => undefined);
    return healthy;
  }
}
