import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import type { QueueOptions } from 'bull';
import { AppConfig } from '../config';
import { createRedisClient, RedisClient, serverOptions } from './redis-connection';

type BullClientType = 'client' | 'subscriber' | 'bclient';

/** Bull's blocking and subscriber connections must wait for Redis indefinitely (Bull refuses them otherwise). */
const LONG_LIVED = { maxRetriesPerRequest: null, enableReadyCheck: false } as const;

/**
 * Bull's connection settings for every queue, wherever Redis is. One server or sentinels: Bull
 * opens its own connections from the options (and closes them with the queue). A cluster: Bull
 * needs cluster clients from a factory, and closes none of them, so they are made here (one
 * command and one subscriber connection shared by every queue, a blocking one per queue) and
 * closed when the application shuts down, after the queues.
 */
@Injectable()
export class BullConnections implements OnApplicationShutdown {
  private readonly shared = new Map<BullClientType, RedisClient>();
  private readonly opened: RedisClient[] = [];
  private readonly logger = new Logger(BullConnections.name);

  constructor(private readonly config: AppConfig) {}

  /** The options of the queue `name`: connection, and its key prefix. */
  queueOptions(name: string): QueueOptions {
    const { topology } = this.config.redis;
    const prefix = queueKeyPrefix(this.config.redis, name);
    if (topology.mode !== 'cluster') return { redis: serverOptions(topology), prefix };
    return { prefix, createClient: (type) => this.clusterClient(type) };
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.all(this.opened.map((client) => client.quit().catch(() => client.disconnect())));
    this.opened.length = 0;
    this.shared.clear();
  }

  private clusterClient(type: BullClientType): RedisClient {
    if (type === 'client' || type === 'subscriber') {
      const existing = this.shared.get(type);
      if (existing) return existing;
    }
    const client = createRedisClient(this.config.redis.topology, { server: type === 'client' ? {} : LONG_LIVED });
    // Bull listens to its clients' errors only until its queue closes; a cluster client still reconnecting
    // after that (shutdown under way, the cluster gone) must not crash the process with an unheard error.
    client.on('error', (error: Error) => this.logger.debug(`Bull ${type} connection: ${error.message}`));
    if (type !== 'bclient') {
      // Every queue sharing the connection listens to its errors: more than Node's default of 10 listeners.
      client.setMaxListeners(0);
      this.shared.set(type, client);
    }
    this.opened.push(client);
    return client;
  }
}

/**
 * Prefix of a queue's keys. On a cluster it is a hash tag holding the queue's name (`{wa:send}`):
 * Bull's scripts touch several keys of one queue at once, which a cluster allows only within one
 * hash slot, and each queue in its own slot lets the queues spread over the masters.
 */
export function queueKeyPrefix(redis: AppConfig['redis'], queueName: string): string {
  return redis.topology.mode === 'cluster' ? `{${redis.queuePrefix}:${queueName}}` : redis.queuePrefix;
}
