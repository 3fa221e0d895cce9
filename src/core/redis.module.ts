import { Global, Inject, Logger, Module, OnApplicationShutdown } from '@nestjs/common';
import { AppConfig, describeRedisTopology } from '../config';
import { BullConnections } from './bull-connections';
import { createRedisClient, RedisClient } from './redis-connection';
import { RedisLocks } from './redis-lock';

/** Injection token of the shared ioredis client (idempotency keys, heartbeats, health); a Cluster on a Redis Cluster. */
export const REDIS = Symbol('REDIS');

@Global()
@Module({
  providers: [
    {
      provide: REDIS,
      inject: [AppConfig],
      useFactory: (config: AppConfig): RedisClient => {
        // Auto-pipelining: a batch of single-key commands (one per key, so that they may live in any
        // hash slot of a cluster) costs one round trip, or one per master on a cluster.
        const redis = createRedisClient(config.redis.topology, { keyPrefix: `${config.redis.queuePrefix}:`, autoPipelining: true });
        // ioredis reconnects by itself; say so once per distinct failure instead of a stack trace per retry.
        const logger = new Logger('Redis');
        const where = describeRedisTopology(config.redis.topology);
        let lastProblem = '';
        redis.on('error', (error: Error) => {
          if (error.message === lastProblem) return;
          lastProblem = error.message;
          logger.error(`${where} unreachable (${error.message}); retrying`);
        });
        redis.on('ready', () => {
          if (lastProblem) logger.log(`${where} reachable again`);
          lastProblem = '';
        });
        return redis;
      },
    },
    BullConnections,
    { provide: RedisLocks, inject: [REDIS], useFactory: (redis: RedisClient) => new RedisLocks(redis) },
  ],
  exports: [REDIS, BullConnections, RedisLocks],
})
export class RedisModule implements OnApplicationShutdown {
  constructor(@Inject(REDIS) private readonly redis: RedisClient) {}

  async onApplicationShutdown(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}
