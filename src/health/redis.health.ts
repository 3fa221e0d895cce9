import { Inject, Injectable } from '@nestjs/common';
import { HealthIndicatorResult, HealthIndicatorService } from '@nestjs/terminus';
import { RedisClient } from '../core/redis-connection';
import { REDIS } from '../core/redis.module';
import { withDeadline } from '../core/deadline';

@Injectable()
export class RedisHealthIndicator {
  constructor(
    private readonly indicators: HealthIndicatorService,
    @Inject(REDIS) private readonly redis: RedisClient,
  ) {}

  async pingCheck(key = 'redis', timeoutMs = 2000): Promise<HealthIndicatorResult> {
    const indicator = this.indicators.check(key);
    try {
      await withDeadline(this.redis.ping(), timeoutMs, 'Redis');
      return indicator.up();
    } catch (error) {
      return indicator.down({ message: error instanceof Error ? error.message : String(error) });
    }
  }
}
