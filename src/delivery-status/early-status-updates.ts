import { Inject, Injectable } from '@nestjs/common';
import type { StatusUpdate } from '@app/whatsapp';
import { RedisClient } from '../core/redis-connection';
import { REDIS } from '../core/redis.module';

/** How long a report for a not-yet-recorded provider id (or a mark for a message being sent) is kept. */
export const EARLY_STATUS_TTL_SECONDS = 3600;
const PARKED_PREFIX = 'status:early:';
const UNROLLED_PREFIX = 'status:unrolled:';
/** Parked reports are appended to one string per provider id (APPEND), one JSON line each, and taken with GETDEL. */
const LINE_END = '\n';
/**
 * Set (before it) whenever a report is parked or a message marked, and kept a minute longer than
 * they are: while it is absent nothing can be waiting, and the sender's look costs one command
 * per batch instead of one per call.
 */
const RECENT_KEY = 'status:early:recent';
const RECENT_TTL_SECONDS = EARLY_STATUS_TTL_SECONDS + 60;

interface ParkedUpdate {
  update: Omit<StatusUpdate, 'timestamp'> & { timestamp: string };
  /** Set for webhook reports: only this session's WhatsApp log may take them. */
  sessionId: string | null;
}

export interface ParkedReport {
  update: StatusUpdate;
  sessionId: string | null;
}

export interface TakenForRecordedCalls {
  /** Reports parked for these provider ids, oldest first; ids with nothing parked are absent. */
  parked: Map<string, ParkedReport[]>;
  /** The messages a report reached while they were still being sent. */
  unrolled: Set<string>;
}

function parsedReports(text: string): ParkedReport[] {
  return text
    .split(LINE_END)
    .filter((line) => line !== '')
    .map((line) => {
      const parked = JSON.parse(line) as ParkedUpdate;
      return { update: { ...parked.update, timestamp: new Date(parked.update.timestamp) }, sessionId: parked.sessionId };
    });
}

/**
 * What the sender must pick up once it has recorded a message, because delivery reports
 * can beat its writes: reports for a call whose WhatsApp log is not written yet (the
 * provider's webhook beat our insert), and marks for messages a report reached while they
 * were still `sending` (the report could not move them). Both wait in Redis, shared by
 * every process, and the sender takes them for a whole batch in one round trip.
 */
@Injectable()
export class EarlyStatusUpdates {
  constructor(@Inject(REDIS) private readonly redis: RedisClient) {}

  async park(update: StatusUpdate, sessionId: string | null): Promise<void> {
    const key = `${PARKED_PREFIX}${update.providerMessageId}`;
    const parked: ParkedUpdate = { update: { ...update, timestamp: update.timestamp.toISOString() }, sessionId };
    await this.noteRecent();
    await this.redis.multi().append(key, `${JSON.stringify(parked)}${LINE_END}`).expire(key, EARLY_STATUS_TTL_SECONDS).exec();
  }

  /** A report reached this message while it was still being sent. */
  async markUnrolled(messageLogId: string): Promise<void> {
    await this.noteRecent();
    await this.redis.set(`${UNROLLED_PREFIX}${messageLogId}`, '1', 'EX', EARLY_STATUS_TTL_SECONDS);
  }

  /** Awaited before a report is parked or a message marked, so that a sender looking later sees it (see takeForRecordedCalls). */
  private async noteRecent(): Promise<void> {
    await this.redis.set(RECENT_KEY, '1', 'EX', RECENT_TTL_SECONDS);
  }

  /**
   * Takes the reports parked for these calls and the marks of these messages. The GETDELs are issued
   * together and go out as one pipeline (the client pipelines a tick's commands): one round trip, or
   * one per master on a Redis Cluster, where the keys are spread over hash slots.
   */
  async takeForRecordedCalls(providerMessageIds: string[], messageLogIds: string[]): Promise<TakenForRecordedCalls> {
    const taken: TakenForRecordedCalls = { parked: new Map(), unrolled: new Set() };
    if (providerMessageIds.length === 0 && messageLogIds.length === 0) return taken;
    // Nothing parked or marked within the TTL: nothing to take. A report parked after this look finds
    // the calls recorded when it looks again (the parker sets the key first, then parks, then looks).
    if ((await this.redis.exists(RECENT_KEY)) === 0) return taken;
    const [parked, unrolled] = await Promise.all([
      Promise.all(providerMessageIds.map((id) => this.redis.getdel(`${PARKED_PREFIX}${id}`))),
      Promise.all(messageLogIds.map((id) => this.redis.getdel(`${UNROLLED_PREFIX}${id}`))),
    ]);
    providerMessageIds.forEach((id, index) => {
      const text = parked[index];
      if (typeof text === 'string') taken.parked.set(id, parsedReports(text));
    });
    messageLogIds.forEach((id, index) => {
      if (typeof unrolled[index] === 'string') taken.unrolled.add(id);
    });
    return taken;
  }
}
