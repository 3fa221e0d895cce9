import { Inject, Injectable } from '@nestjs/common';
import { HealthIndicatorResult, HealthIndicatorService } from '@nestjs/terminus';
import { RedisClient, scanAll } from '../core/redis-connection';
import { REDIS } from '../core/redis.module';
import { withDeadline } from '../core/deadline';
import { HEARTBEAT_KEY_PREFIX, WorkerHeartbeatRecord } from './worker-heartbeat';

/** Reports the workers whose heartbeat is fresh. Informational: the API is healthy without them. */
@Injectable()
export class WorkersHealthIndicator {
  constructor(
    private readonly indicators: HealthIndicatorService,
    @Inject(REDIS) private readonly redis: RedisClient,
  ) {}

  async report(key = 'workers', timeoutMs = 2000): Promise<HealthIndicatorResult> {
    const indicator = this.indicators.check(key);
    try {
      const records = await withDeadline(this.heartbeats(), timeoutMs, 'Redis');
      const workers = records.filter((text): text is string => text !== null).map((text) => JSON.parse(text) as WorkerHeartbeatRecord);
      return indicator.up({ count: workers.length, healthy: workers.filter((worker) => worker.healthy).length });
    } catch (error) {
      return indicator.up({ count: null, message: error instanceof Error ? error.message : String(error) });
    }
  }

  private async heartbeats(): Promise<Array<string | null>> {
    const prefix = this.redis.options.keyPrefix ?? '';
    const keys = (await scanAll(this.redis, `${prefix}${HEARTBEAT_KEY_PREFIX}*`)).map((fullKey) => fullKey.slice(prefix.length));
    // One GET per key rather than MGET: on a Redis Cluster the keys live in different hash slots.
    return Promise.all(keys.map((key) => this.redis.get(key)));
  }
}
