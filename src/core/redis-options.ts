import type { RedisOptions } from 'ioredis';
import { redisTopology } from '../config/redis-topology';
import { serverOptions } from './redis-connection';

/** Options of one Redis server from its URL, for scripts and specs that talk to one server directly. */
export function redisOptionsFromUrl(url: string): RedisOptions {
  const topology = redisTopology({ REDIS_URL: url, REDIS_SENTINEL_NAME: 'mymaster' });
  if (topology.mode !== 'single') throw new Error('redisOptionsFromUrl takes the URL of one Redis server');
  return serverOptions(topology);
}
