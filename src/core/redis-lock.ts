import { randomUUID } from 'node:crypto';
import type { RedisClient } from './redis-connection';

/** Deletes a lock (KEYS[1]) only for its holder (ARGV[1], its token): a holder whose lock lapsed never frees the next one's. */
export const RELEASE_IF_HELD = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end";

/** What `runExclusive` answers: the work's result, or that another holder had the lock. */
export type ExclusiveRun<T> = { ran: true; result: T } | { ran: false };

/**
 * Locks in Redis for work that one process at a time may do (SET NX with a token of its own,
 * released by its holder, or when it lapses should the holder die): across every API and worker
 * process sharing the Redis. Provided by RedisModule over the shared client.
 */
export class RedisLocks {
  constructor(private readonly redis: RedisClient) {}

  /** Runs `work` holding `key` for at most `holdMs`; does not run it when another holder has the key. */
  async runExclusive<T>(key: string, holdMs: number, work: () => Promise<T>): Promise<ExclusiveRun<T>> {
    const token = randomUUID();
    if ((await this.redis.set(key, token, 'PX', holdMs, 'NX')) !== 'OK') return { ran: false };
    try {
      return { ran: true, result: await work() };
    } finally {
      await this.redis.eval(RELEASE_IF_HELD, 1, key, token);
    }
  }
}
