import { Global, Inject, Logger, Module, OnApplicationShutdown } from '@nestjs/common';
import Redis from 'ioredis';
import { AppConfig } from '../config';
import { redisOptionsFromUrl } from './redis-options';

/** Injection token of the shared ioredis client (idempotency keys, heartbeats, health). */
export const REDIS = Symbol('REDIS');

@Global()
@Module({
  providers: [
    {
      provide: REDIS,
      inject: [AppConfig],
      useFactory: (config: AppConfig) => {
        const redis = new Redis({ ...redisOptionsFromUrl(config.redis.url), keyPrefix: `${config.redis.queuePrefix}:` });
        // ioredis reconnects by itself; say so once per distinct failure instead of a stack trace per retry.
        const logger = new Logger('Redis');
        let lastProblem = '';
        redis.on('error', (error: Error) => {
          if (error.message === lastProblem) return;
          lastProblem = error.message;
          logger.error(`Redis at ${new URL(config.redis.url).host} unreachable (${error.message}); retrying`);
        });
        redis.on('ready', () => {
          if (lastProblem) logger.log('Redis reachable again');
          lastProblem = '';
        });
        return redis;
      },
    },
  ],
  exports: [REDIS],
})
export class RedisModule implements OnApplicationShutdown {
  constructor(@Inject(REDIS) private readonly redis: Redis) {}

  async onApplicationShutdown(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}
