import { Inject, Injectable } from '@nestjs/common';
import { ProviderError } from '@app/whatsapp';
import { AppConfig } from '../config';
import { RedisClient } from '../core/redis-connection';
import { REDIS } from '../core/redis.module';
import { SessionRateLimiter } from './session-rate-limiter';

const SPAM_LEVEL_KEY_PREFIX = 'spam-rate:session:';

/**
 * Counts one more spam rate limit of a session and answers how many came in a row; the count
 * lapses after ARGV[1] ms without another (the session is back in Meta's good books).
 */
const NEXT_SPAM_LEVEL_SCRIPT = `
local level = redis.call('INCR', KEYS[1])
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return level
`;

/** The pause after the `level`-th spam rate limit in a row: doubled each time, up to the longest. */
export function spamRateBackoffMs(level: number, { firstMs, maxMs }: { firstMs: number; maxMs: number }): number {
  return Math.min(maxMs, firstMs * 2 ** Math.min(Math.max(level - 1, 0), 30));
}

/**
 * What a limit of the whole sender does to its session's sends, whichever message met it:
 * a throughput limit (130429) holds the session's sends for the delay Meta asks for; a spam
 * rate limit (131048) pauses them for a backoff that doubles while it repeats and resumes by
 * itself. Both go through the session's shared rate, so every worker waits.
 */
@Injectable()
export class SenderThrottle {
  constructor(
    private readonly rateLimiter: SessionRateLimiter,
    private readonly config: AppConfig,
    @Inject(REDIS) private readonly redis: RedisClient,
  ) {}

  /**
   * Acts on a refused call that throttles its sender and answers the error its message retries
   * with (no sooner than the session's pause); any other error is answered as it is.
   */
  async onRefused(error: ProviderError, sessionId: string): Promise<ProviderError> {
    switch (error.options.throttled) {
      case undefined:
        return error;
      case 'throughput': {
        await this.rateLimiter.holdOff(sessionId, error.options.retryAfterMs ?? 0);
        return error;
      }
      case 'spam_rate': {
        const backoff = this.config.sending.spamRateBackoff;
        // Quiet for four of the longest pauses, the count starts again from the first pause.
        const level = Number(await this.redis.eval(NEXT_SPAM_LEVEL_SCRIPT, 1, `${SPAM_LEVEL_KEY_PREFIX}${sessionId}`, backoff.maxMs * 4));
        const pauseMs = spamRateBackoffMs(level, backoff);
        await this.rateLimiter.holdOff(sessionId, pauseMs);
        return new ProviderError(error.kind, error.code, `${error.message} (the session's sends pause for ${Math.ceil(pauseMs / 1000)} s)`, {
          ...error.options,
          // The message goes again with the session's other sends, when the pause ends.
          retryAfterMs: pauseMs,
        });
      }
    }
  }
}
