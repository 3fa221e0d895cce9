import { Inject, Injectable } from '@nestjs/common';
import { RedisClient } from '../core/redis-connection';
import { REDIS } from '../core/redis.module';
import { STOP_SIGNAL_READ_INTERVAL_MS } from './broadcast-stop.signal';

const PAUSE_KEY_PREFIX = 'broadcast:paused:';
/** A pause outliving this is kept by the record alone (the status stays `paused`; nothing is queued for it). */
const PAUSE_SIGNAL_TTL_SECONDS = 7 * 24 * 3600;
const MAX_REMEMBERED_SIGNALS = 1000;

/**
 * Tells every worker that a broadcast is paused: its send jobs still queued are skipped
 * (the recipients stay `pending` for the resume), jobs already past the check finish.
 * Read like the stop signal: at most every 100 ms per broadcast and process.
 */
@Injectable()
export class BroadcastPauseSignal {
  private readonly read = new Map<string, { paused: Promise<boolean>; readAt: number }>();

  constructor(@Inject(REDIS) private readonly redis: RedisClient) {}

  async raise(broadcastId: string): Promise<void> {
    await this.redis.set(`${PAUSE_KEY_PREFIX}${broadcastId}`, '1', 'EX', PAUSE_SIGNAL_TTL_SECONDS);
    this.read.set(broadcastId, { paused: Promise.resolve(true), readAt: Date.now() });
  }

  async clear(broadcastId: string): Promise<void> {
    await this.redis.del(`${PAUSE_KEY_PREFIX}${broadcastId}`);
    this.read.set(broadcastId, { paused: Promise.resolve(false), readAt: Date.now() });
  }

  isPaused(broadcastId: string): Promise<boolean> {
    const known = this.read.get(broadcastId);
    if (known && Date.now() - known.readAt < STOP_SIGNAL_READ_INTERVAL_MS) return known.paused;
    const paused = this.redis.exists(`${PAUSE_KEY_PREFIX}${broadcastId}`).then((count) => count === 1);
    void paused.catch(() => this.read.delete(broadcastId));
    if (this.read.size >= MAX_REMEMBERED_SIGNALS) this.read.delete(this.read.keys().next().value!);
    this.read.set(broadcastId, { paused, readAt: Date.now() });
    return paused;
  }
}
