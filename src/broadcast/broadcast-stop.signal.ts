import { Inject, Injectable } from '@nestjs/common';
import Redis from 'ioredis';
import { REDIS } from '../core/redis.module';

const STOP_KEY_PREFIX = 'broadcast:stopped:';
/** Long enough for any queued job to have run or been swept; MongoDB stays the source of truth. */
const STOP_SIGNAL_TTL_SECONDS = 7 * 24 * 3600;

/**
 * Tells every worker at once that a broadcast was cancelled or deleted. Checked by each
 * send job right before the provider call: one Redis round trip instead of reading a
 * document that may hold 100,000 recipients.
 */
@Injectable()
export class BroadcastStopSignal {
  constructor(@Inject(REDIS) private readonly redis: Redis) {}

  async raise(broadcastId: string): Promise<void> {
    await this.redis.set(`${STOP_KEY_PREFIX}${broadcastId}`, '1', 'EX', STOP_SIGNAL_TTL_SECONDS);
  }

  async isRaised(broadcastId: string): Promise<boolean> {
    return (await this.redis.exists(`${STOP_KEY_PREFIX}${broadcastId}`)) === 1;
  }
}
