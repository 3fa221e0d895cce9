import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { withDeadline } from '../core/deadline';
import { RedisClient } from '../core/redis-connection';
import { REDIS } from '../core/redis.module';

/** The key that holds Redis's generation: set once by the first worker, gone only with Redis's data. */
export const REDIS_GENERATION_KEY = 'redis:generation';
/** How often each worker reads the generation: a loss is noticed within this. One GET per worker per interval. */
export const REDIS_LOSS_CHECK_INTERVAL_MS = 2000;
const CHECK_DEADLINE_MS = 1000;

/** Called with the moment a loss was noticed: work created before it may have lost its job. */
export type RedisLossListener = (noticedAt: Date) => void;

/**
 * Tells the worker at once that Redis lost its data (flushed, restarted empty, failed over to an
 * empty replica), instead of the sweep finding out by age. Redis holds a generation id that no
 * worker ever deletes; each worker remembers the one it saw. When the key is gone, or holds
 * another id (another worker noticed first and wrote a new one), everything Redis carried may be
 * gone: the listeners (the sweeps) look at once for work whose job vanished.
 */
@Injectable()
export class RedisLossMarker implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(RedisLossMarker.name);
  private readonly listeners: RedisLossListener[] = [];
  private seen?: string;
  private timer?: NodeJS.Timeout;

  constructor(@Inject(REDIS) private readonly redis: RedisClient) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.check().catch(() => undefined), REDIS_LOSS_CHECK_INTERVAL_MS);
    this.timer.unref();
    void this.check().catch(() => undefined);
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  /** Registers a listener called on every loss noticed. */
  onLoss(listener: RedisLossListener): void {
    this.listeners.push(listener);
  }

  /**
   * Reads the generation (writing one when there is none); true when it is not the one seen
   * before. The first check of a process only learns it: a worker started after a loss cannot
   * tell it from a fresh Redis, and the sweep's age rule covers that case.
   */
  async check(now: Date = new Date()): Promise<boolean> {
    const current = await withDeadline(this.currentGeneration(), CHECK_DEADLINE_MS, 'Redis');
    const lost = this.seen !== undefined && current !== this.seen;
    this.seen = current;
    if (lost) {
      this.logger.warn({ generation: current }, 'Redis lost its data: sweeping for work whose job vanished now');
      for (const listener of this.listeners) listener(now);
    }
    return lost;
  }

  private async currentGeneration(): Promise<string> {
    const current = await this.redis.get(REDIS_GENERATION_KEY);
    if (current !== null) return current;
    // Several workers may notice at once: the first write wins and all read the same id back.
    await this.redis.set(REDIS_GENERATION_KEY, randomUUID(), 'NX');
    return (await this.redis.get(REDIS_GENERATION_KEY)) ?? '';
  }
}
