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

export interface ParkedReport {
  update: StatusUpdate;
  sessionId: string | null;
}

function parsedReport(text: string): ParkedReport {
  const parked = JSON.parse(text) as ParkedUpdate;
  return { update: { ...parked.update, timestamp: new Date(parked.update.timestamp) }, sessionId: parked.sessionId };
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
  async take(providerMessageId: string): Promise<ParkedReport[]> {
    return (await this.takeMany([providerMessageId])).get(providerMessageId) ?? [];
  }

  /** The same for many provider ids, in one round trip; ids with nothing parked are absent. */
  async takeMany(providerMessageIds: string[]): Promise<Map<string, ParkedReport[]>> {
    const taken = new Map<string, ParkedReport[]>();
    if (providerMessageIds.length === 0) return taken;
    const transaction = this.redis.multi();
    for (const id of providerMessageIds) transaction.lrange(`${KEY_PREFIX}${id}`, 0, -1).del(`${KEY_PREFIX}${id}`);
    const results = (await transaction.exec()) ?? [];
    providerMessageIds.forEach((id, index) => {
      const entries = (results[index * 2]?.[1] as string[] | undefined) ?? [];
      if (entries.length > 0) taken.set(id, entries.map(parsedReport));
    });
    return taken;
  }
}
