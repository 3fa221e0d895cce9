import { Inject, Injectable, Logger } from '@nestjs/common';
import { normalizeIp } from '@nestjs/throttler';
import type { Request, Response } from 'express';
import { AppConfig } from '../config';
import { RedisClient } from '../core/redis-connection';
import { REDIS } from '../core/redis.module';
import { withDeadline } from '../core/deadline';
import { tooManyRequests } from './rate-limit-headers';
import { COUNTER_DEADLINE_MS, RATE_LIMIT_WINDOW_MS } from './rate-limits';

const KEY_PREFIX = 'auth-failures:';

/**
 * Slows down guessing: failed authentications (401s) are counted per client address in Redis,
 * shared by every API process; once an address reaches AUTH_FAILURE_LIMIT_PER_MINUTE, its requests
 * that need a key are refused with 429 before the key is even looked up, until its minute is over.
 */
@Injectable()
export class AuthFailureLimiter {
  private readonly logger = new Logger(AuthFailureLimiter.name);

  constructor(
    private readonly config: AppConfig,
    @Inject(REDIS) private readonly redis: RedisClient,
  ) {}

  /** Throws a 429 (headers set on `response`) when the request's address failed too often this minute. */
  async assertAllowed(request: Request, response: Response): Promise<void> {
    const key = this.keyFor(request);
    const limit = this.config.rateLimits.authFailuresPerAddress;
    const failures = Number(await withDeadline(this.redis.get(key), COUNTER_DEADLINE_MS, 'Redis').catch((error: unknown) => this.unavailable(error)));
    if (failures < limit) return;
    const remainingMs = await withDeadline(this.redis.pttl(key), COUNTER_DEADLINE_MS, 'Redis').catch(() => RATE_LIMIT_WINDOW_MS);
    throw tooManyRequests(
      response,
      limit,
      Math.ceil(Math.max(remainingMs, 0) / 1000),
      `Too many failed authentications from this address: ${limit} per minute allowed`,
    );
  }

  /** Counts one failed authentication of the request's address; the count ends a minute after the first. */
  async recordFailure(request: Request): Promise<void> {
    const key = this.keyFor(request);
    const counted = this.redis.multi().set(key, 0, 'PX', RATE_LIMIT_WINDOW_MS, 'NX').incr(key).exec();
    await withDeadline(counted, COUNTER_DEADLINE_MS, 'Redis').catch((error: unknown) => this.unavailable(error));
  }

  private keyFor(request: Request): string {
    return `${KEY_PREFIX}${normalizeIp(request.ip ?? 'unknown')}`;
  }

  /** Redis unreachable or stalled: authentication goes on unlimited rather than failing or holding every request. */
  private unavailable(error: unknown): null {
    this.logger.warn(`Failed-authentication counter unreachable: ${error instanceof Error ? error.message : String(error)}`);
    return null;
  }
}
