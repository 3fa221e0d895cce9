import { ExecutionContext, Module } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ThrottlerModule, ThrottlerModuleOptions } from '@nestjs/throttler';
import { ThrottlerStorageRedisService } from '@nest-lab/throttler-storage-redis';
import Redis from 'ioredis';
import { AppConfig } from '../config';
import { REDIS } from '../core/redis.module';
import { AuthFailureLimiter } from './auth-failure-limiter';
import { EXPENSIVE_ROUTE } from './rate-limit.decorators';
import { principalOf, RateLimitGuard } from './rate-limit.guard';
import { EXPENSIVE_THROTTLER, limitFor, ORDINARY_THROTTLER, RATE_LIMIT_WINDOW_MS } from './rate-limits';

/**
 * Two throttlers: every request counts against the caller's per-minute limit, and a request to an
 * expensive route also against that route's stricter one. Counters live in the app's Redis under
 * QUEUE_PREFIX, so every API process shares them.
 */
function throttlerOptions(config: AppConfig, redis: Redis, reflector: Reflector): ThrottlerModuleOptions {
  const isExpensive = (context: ExecutionContext): boolean =>
    reflector.getAllAndOverride<boolean | undefined>(EXPENSIVE_ROUTE, [context.getHandler(), context.getClass()]) === true;
  return {
    storage: new ThrottlerStorageRedisService(redis),
    throttlers: [
      {
        name: ORDINARY_THROTTLER,
        ttl: RATE_LIMIT_WINDOW_MS,
        limit: (context) => limitFor(ORDINARY_THROTTLER, principalOf(context), config.rateLimits),
      },
      {
        name: EXPENSIVE_THROTTLER,
        ttl: RATE_LIMIT_WINDOW_MS,
        limit: (context) => limitFor(EXPENSIVE_THROTTLER, principalOf(context), config.rateLimits),
        skipIf: (context) => !isExpensive(context),
      },
    ],
  };
}

/** Per-key and per-address request limits, and the failed-authentication limiter, for the HTTP process. */
@Module({
  imports: [ThrottlerModule.forRootAsync({ inject: [AppConfig, REDIS, Reflector], useFactory: throttlerOptions })],
  providers: [RateLimitGuard, AuthFailureLimiter],
  exports: [RateLimitGuard, AuthFailureLimiter],
})
export class RateLimitHttpModule {}
