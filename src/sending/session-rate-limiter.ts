import { Inject, Injectable } from '@nestjs/common';
import Redis from 'ioredis';
import { setTimeout as sleep } from 'node:timers/promises';
import { REDIS } from '../core/redis.module';

const RATE_KEY_PREFIX = 'rate:session:';

/**
 * GCRA (a token bucket kept as one "theoretical arrival time" per session, in Redis).
 * Each call reserves the next slot and returns how long to wait for it; a second's worth of
 * messages may go at once. ARGV[1]: ms between messages; ARGV[2]: burst tolerance in ms.
 */
const RESERVE_SLOT_SCRIPT = `
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local interval, burst = tonumber(ARGV[1]), tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < now then tat = now end
local wait = tat - burst - now
if wait < 0 then wait = 0 end
local next = tat + interval
redis.call('SET', KEYS[1], string.format('%.3f', next), 'PX', math.ceil(next - now) + 1000)
return math.ceil(wait)
`;

/**
 * Per-session send rate shared by every worker. Bull 4's limiter is one rate per queue,
 * so a per-session, per-session-configurable rate is kept in Redis here and each send waits
 * for its slot (the wait holds a worker slot, which is why WORKER_CONCURRENCY should exceed
 * the number of sessions sending at once).
 */
@Injectable()
export class SessionRateLimiter {
  constructor(@Inject(REDIS) private readonly redis: Redis) {}

  /** Resolves when this session may make one more provider call at `perSecond` messages a second. */
  async acquire(sessionId: string, perSecond: number): Promise<void> {
    const interval = 1000 / perSecond;
    const wait = Number(await this.redis.eval(RESERVE_SLOT_SCRIPT, 1, `${RATE_KEY_PREFIX}${sessionId}`, interval, 1000 - interval));
    if (wait > 0) await sleep(wait);
  }
}
