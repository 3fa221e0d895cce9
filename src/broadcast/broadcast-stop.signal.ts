import { Inject, Injectable } from '@nestjs/common';
import { RedisClient } from '../core/redis-connection';
import { REDIS } from '../core/redis.module';

const STOP_KEY_PREFIX = 'broadcast:stopped:';
/** Long enough for any queued job to have run or been swept; MongoDB stays the source of truth. */
const STOP_SIGNAL_TTL_SECONDS = 7 * 24 * 3600;

/** A worker reads a broadcast's signal at most this often; a stop reaches every worker within it. */
export const STOP_SIGNAL_READ_INTERVAL_MS = 100;
const MAX_REMEMBERED_SIGNALS = 1000;

/**
 * Tells every worker at once that a broadcast was cancelled or deleted. Checked by each
 * send job right before the provider call; each process reads a broadcast's signal from
 * Redis at most every 100 ms and shares the answer among its jobs, instead of one round
 * trip per message (or reading a document that may hold 100,000 recipients).
 */
@Injectable()
export class BroadcastStopSignal {
  private readonly read = new Map<string, { raised: Promise<boolean>; readAt: number }>();

  constructor(@Inject(REDIS) private readonly redis: RedisClient) {}

  async raise(broadcastId: string): Promise<void> {
    await this.redis.set(`${STOP_KEY_PREFIX}${broadcastId}`, '1', 'EX', STOP_SIGNAL_TTL_SECONDS);
    this.read.set(broadcastId, { raised: Promise.resolve(true), readAt: Date.now() });
  }

  isRaised(broadcastId: string): Promise<boolean> {
    const known = this.read.get(broadcastId);
    if (known && Date.now() - known.readAt < STOP_SIGNAL_READ_INTERVAL_MS) return known.raised;
    const raised = this.redis.exists(`${STOP_KEY_PREFIX}${broadcastId}`).then((count) => count === 1);
    void raised.catch(() => this.read.delete(broadcastId));
    if (this.read.size >= MAX_REMEMBERED_SIGNALS) this.read.delete(this.read.keys().next().value!);
    this.read.set(broadcastId, { raised, readAt: Date.now() });
    return raised;
  }
}
