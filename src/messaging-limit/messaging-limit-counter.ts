import { Inject, Injectable } from '@nestjs/common';
import { RedisClient } from '../core/redis-connection';
import { REDIS } from '../core/redis.module';

/** WhatsApp counts the unique people reached in a moving 24 hours. */
export const LIMIT_WINDOW_MS = 24 * 60 * 60 * 1000;

/**
 * Admits one business-initiated message to ARGV[2] against a limit of ARGV[3] people in the
 * moving window (ARGV[4] ms) ending at ARGV[1]. KEYS[1]: the portfolio's sorted set of recipients
 * scored by their last such message; KEYS[2]: set once the set was rebuilt after a loss.
 * Answers -1 when the set must be rebuilt first, 0 when admitted (a recipient already reached in
 * the window costs nothing: they count once), else when (ms) the window next frees room.
 */
const ADMIT_SCRIPT = `
if redis.call('EXISTS', KEYS[2]) == 0 then return -1 end
local now, window, limit = tonumber(ARGV[1]), tonumber(ARGV[4]), tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZSCORE', KEYS[1], ARGV[2]) or redis.call('ZCARD', KEYS[1]) < limit then
  redis.call('ZADD', KEYS[1], now, ARGV[2])
  redis.call('PEXPIRE', KEYS[1], window)
  return 0
end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return tonumber(oldest[2]) + window
`;

/** KEYS as ADMIT_SCRIPT's; ARGV[1]: now, ARGV[2]: window. Answers -1 (rebuild first), or the count then the scores of the set, oldest first. */
const STANDING_SCRIPT = `
if redis.call('EXISTS', KEYS[2]) == 0 then return -1 end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', tonumber(ARGV[1]) - tonumber(ARGV[2]))
return redis.call('ZRANGE', KEYS[1], 0, -1, 'WITHSCORES')
`;

/** Recipients written in one ZADD while rebuilding. */
const REBUILD_CHUNK_SIZE = 5000;

/** A portfolio's count as it stands: who was reached when, oldest first. */
export interface LimitStanding {
  /** Recipient → when their last business-initiated message went (ms). */
  reached: Map<string, number>;
  /** The reach times, oldest first: the k-th frees room LIMIT_WINDOW_MS after it. */
  times: number[];
}

export type Admission = { admitted: true } | { admitted: false; roomAt: number } | { admitted: false; rebuild: true };

/**
 * The messaging-limit count of each business portfolio, in Redis: a sorted set of the people
 * reached by business-initiated messages with the time of the last one, trimmed to the moving
 * window. One script call per message decides and records at once, so that every worker shares
 * one exact count. Keys carry the portfolio in a hash tag: a Redis Cluster keeps both in one slot.
 */
@Injectable()
export class MessagingLimitCounter {
  constructor(@Inject(REDIS) private readonly redis: RedisClient) {}

  async admit(portfolioKey: string, recipient: string, limit: number, now: number): Promise<Admission> {
    const answer = Number(await this.redis.eval(ADMIT_SCRIPT, 2, ...keysOf(portfolioKey), now, recipient, limit, LIMIT_WINDOW_MS));
    if (answer < 0) return { admitted: false, rebuild: true };
    return answer === 0 ? { admitted: true } : { admitted: false, roomAt: answer };
  }

  /** The count as it stands now; null when it must be rebuilt first. */
  async standing(portfolioKey: string, now: number): Promise<LimitStanding | null> {
    const answer = (await this.redis.eval(STANDING_SCRIPT, 2, ...keysOf(portfolioKey), now, LIMIT_WINDOW_MS)) as string[] | number;
    if (typeof answer === 'number') return null;
    const reached = new Map<string, number>();
    const times: number[] = [];
    for (let index = 0; index < answer.length; index += 2) {
      const at = Number(answer[index + 1]);
      reached.set(answer[index], at);
      times.push(at);
    }
    return { reached, times };
  }

  /** Writes what MongoDB knows of the window (a later time kept where Redis has one), then marks the count rebuilt. */
  async rebuild(portfolioKey: string, reached: Array<{ recipient: string; at: number }>): Promise<void> {
    const [setKey, builtKey] = keysOf(portfolioKey);
    for (let start = 0; start < reached.length; start += REBUILD_CHUNK_SIZE) {
      const chunk = reached.slice(start, start + REBUILD_CHUNK_SIZE).flatMap(({ recipient, at }) => [at, recipient]);
      await this.redis.zadd(setKey, 'GT', ...chunk);
    }
    if (reached.length > 0) await this.redis.pexpire(setKey, LIMIT_WINDOW_MS);
    await this.redis.set(builtKey, '1');
  }
}

function keysOf(portfolioKey: string): [string, string] {
  return [`msg-limit:{${portfolioKey}}`, `msg-limit:{${portfolioKey}}:built`];
}
