import { Inject, Injectable } from '@nestjs/common';
import { HealthIndicatorResult, HealthIndicatorService } from '@nestjs/terminus';
import Redis from 'ioredis';
import { REDIS } from '../core/redis.module';
import { HEARTBEAT_KEY_PREFIX, WorkerHeartbeatRecord } from './worker-heartbeat';

/** Reports the workers whose heartbeat is fresh. Informational: the API is healthy without them. */
@Injectable()
export class WorkersHealthIndicator {
  constructor(
    private readonly indicators: HealthIndicatorService,
    @Inject(REDIS) private readonly redis: Redis,
  ) {}

  async report(key = 'workers'): Promise<HealthIndicatorResult> {
    const indicator = this.indicators.check(key);
    try {
      const prefix = this.redis.options.keyPrefix ?? '';
      const keys: string[] = [];
      let cursor = '0';
      do {
        const [next, batch] = await this.redis.scan(cursor, 'MATCH', `${prefix}${HEARTBEAT_KEY_PREFIX}*`, 'COUNT', 100);
        keys.push(...batch.map((fullKey) => fullKey.slice(prefix.length)));
        cursor = next;
      } while (cursor !== '0');
      const records = keys.length > 0 ? await this.redis.mget(keys) : [];
      const workers = records.filter((text): text is string => text !== null).map((text) => JSON.parse(text) as WorkerHeartbeatRecord);
      return indicator.up({ count: workers.length, healthy: workers.filter((worker) => worker.healthy).length });
    } catch (error) {
      return indicator.up({ count: null, message: error instanceof Error ? error.message : String(error) });
    }
  }
}
