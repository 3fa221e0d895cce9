import { Inject, Injectable } from '@nestjs/common';
import Redis from 'ioredis';
import type { StatusUpdate } from '@app/whatsapp';
import { REDIS } from '../core/redis.module';

/** How long a report for a not-yet-recorded provider id is kept waiting for its WhatsApp log. */
export const EARLY_STATUS_TTL_SECONDS = 3600;
const KEY_PREFIX = 'status:early:';

interface ParkedUpdate {
  update: Omit<StatusUpdate, 'timestamp'> & { timestamp: string };
  /** Set for webhook reports: only this session's WhatsApp log may take them. */
  sessionId: string | null;
}

/**
 * Delivery reports that arrive before the sender has written the WhatsApp log they are
 * about (the provider's webhook can beat our insert). They wait in Redis, shared by every
 * process, until the sender records the call and takes them.
 */
@Injectable()
export class EarlyStatusUpdates {
  constructor(@Inject(REDIS) private readonly redis: Redis) {}

  async park(update: StatusUpdate, sessionId: string | null): Promise<void> {
    const key = `${KEY_PREFIX}${update.providerMessageId}`;
    const parked: ParkedUpdate = { update: { ...update, timestamp: update.timestamp.toISOString() }, sessionId };
    await this.redis.multi().rpush(key, JSON.stringify(parked)).expire(key, EARLY_STATUS_TTL_SECONDS).exec();
  }

  /** Removes and returns the reports parked for this provider id, oldest first. */
  async take(providerMessageId: string): Promise<Array<{ update: StatusUpdate; sessionId: string | null }>> {
    const key = `${KEY_PREFIX}${providerMessageId}`;
    const result = await this.redis.multi().lrange(key, 0, -1).del(key).exec();
    const entries = (result?.[0]?.[1] as string[] | undefined) ?? [];
    return entries.map((text) => {
      const parked = JSON.parse(text) as ParkedUpdate;
      return { update: { ...parked.update, timestamp: new Date(parked.update.timestamp) }, sessionId: parked.sessionId };
    });
  }
}
