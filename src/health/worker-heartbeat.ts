import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown, ServiceUnavailableException } from '@nestjs/common';
import { HealthCheckService } from '@nestjs/terminus';
import { PROCESS_ID } from '../core/process-identity';
import { RedisClient } from '../core/redis-connection';
import { REDIS } from '../core/redis.module';
import { MongoHealthIndicator } from './mongo.health';
import { RedisHealthIndicator } from './redis.health';

export const HEARTBEAT_KEY_PREFIX = 'worker:heartbeat:';
/** Short, because a dead worker's leases and jobs are freed when its heartbeat stops (see DeadWorkerReaper). */
export const HEARTBEAT_INTERVAL_MS = 2_000;
/** A worker that missed three beats is no longer counted. */
const HEARTBEAT_TTL_SECONDS = 6;

/** The heartbeat key of a worker (its PROCESS_ID). */
export const heartbeatKeyOf = (worker: string): string => `${HEARTBEAT_KEY_PREFIX}${worker}`;

export interface WorkerHeartbeatRecord {
  worker: string;
  startedAt: string;
  checkedAt: string;
  healthy: boolean;
}

/**
 * The worker's heartbeat and health probe: every 2 s it leaves a short-lived heartbeat key in
 * Redis (which the API's GET /health counts, and whose end tells the other workers that this one
 * died), checks MongoDB and Redis, and logs a line when its health changes. The key is written
 * before the check, so that a dependency slow to answer does not delay the beat.
 */
@Injectable()
export class WorkerHeartbeat implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(WorkerHeartbeat.name);
  private readonly worker = PROCESS_ID;
  private readonly startedAt = new Date().toISOString();
  private timer?: NodeJS.Timeout;
  private lastHealthy?: boolean;
  private beating = false;
  private mongoAnswering = true;
  private readonly mongoListeners: Array<(answering: boolean) => void> = [];

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
    await this.redis.del(heartbeatKeyOf(this.worker)).catch(() => undefined);
  }

  /**
   * Tells `listener` each time MongoDB stops or starts answering this worker's ping (within 2 s), as
   * seen at a beat: a worker stops taking jobs that would only wait on it (SendQueueGate).
   */
  onMongoAnswering(listener: (answering: boolean) => void): void {
    this.mongoListeners.push(listener);
  }

  async beat(): Promise<boolean> {
    // A check still waiting on a stalled dependency: the next beat skips it rather than pile up.
    if (this.beating) return this.lastHealthy ?? false;
    this.beating = true;
    try {
      await this.leaveHeartbeat(this.lastHealthy ?? true);
      const { healthy, down, mongoAnswering } = await this.check();
      if (mongoAnswering !== this.mongoAnswering) {
        this.mongoAnswering = mongoAnswering;
        for (const listener of this.mongoListeners) listener(mongoAnswering);
      }
      if (healthy !== this.lastHealthy) {
        // One line per change, not one per beat.
        if (healthy) this.logger.log({ worker: this.worker }, 'Worker healthy: MongoDB and Redis reachable');
        else this.logger.warn({ worker: this.worker, down }, 'Worker unhealthy');
        this.lastHealthy = healthy;
        await this.leaveHeartbeat(healthy);
      }
      return healthy;
    } finally {
      this.beating = false;
    }
  }

  private async check(): Promise<{ healthy: boolean; down?: unknown; mongoAnswering: boolean }> {
    let mongoAnswering = false;
    return this.health
      .check([
        async () => {
          const result = await this.mongo.pingCheck('mongodb');
          mongoAnswering = result.mongodb?.status === 'up';
          return result;
        },
        () => this.redisHealth.pingCheck('redis'),
      ])
      .then(() => ({ healthy: true, mongoAnswering }))
      .catch((error: unknown) => ({
        healthy: false,
        // Terminus answers with the state of each dependency; log which one is down, not a stack.
        down: error instanceof ServiceUnavailableException ? (error.getResponse() as { error?: unknown }).error : String(error),
        mongoAnswering,
      }));
  }

  private async leaveHeartbeat(healthy: boolean): Promise<void> {
    const record: WorkerHeartbeatRecord = { worker: this.worker, startedAt: this.startedAt, checkedAt: new Date().toISOString(), healthy };
    await this.redis.set(heartbeatKeyOf(this.worker), JSON.stringify(record), 'EX', HEARTBEAT_TTL_SECONDS).catch(() => undefined);
  }
}
