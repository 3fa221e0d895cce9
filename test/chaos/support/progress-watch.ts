import { getModelToken } from '@nestjs/mongoose';
import type { Model } from 'mongoose';
import Redis from 'ioredis';
import { setTimeout as sleep } from 'node:timers/promises';
import type { BroadcastRecord } from '../../../src/broadcast/broadcast.schema';
import { MessageLog } from '../../../src/message-log/message-log.schema';
import type { ChaosCluster } from './chaos-cluster';
import { oid, type Observer } from './observer';

/**
 * Watches a broadcast from before a fault to its end, in the background while the fault goes on:
 * every 200 ms it checks that each recipient is in exactly one of sent, pending and failed, and
 * notes how many have moved (sent or failed), so that the longest stretch without progress can be
 * measured from any moment (the fault's end).
 */
export class ProgressWatch {
  private readonly timeline: Array<{ at: number; moved: number }> = [];
  private readonly finished: Promise<BroadcastRecord>;
  polls = 0;

  constructor(
    private readonly cluster: ChaosCluster,
    private readonly observer: Observer,
    private readonly clientId: string,
    private readonly id: string,
    private readonly recipients: string[],
    timeoutMs: number,
  ) {
    this.finished = this.run(timeoutMs);
    // Read by done(); a failure meanwhile must not be an unhandled rejection.
    this.finished.catch(() => undefined);
  }

  /** The broadcast once it is no longer `sending`; rejects on a broken partition or after the timeout. */
  done(): Promise<BroadcastRecord> {
    return this.finished;
  }

  /** Seconds of the longest stretch from `since` to the end in which no recipient moved. */
  longestStillSince(since: number): number {
    let lastMoved = this.movedAt(since);
    let lastAt = since;
    let longest = 0;
    for (const point of this.timeline.filter((each) => each.at > since)) {
      if (point.moved > lastMoved) {
        longest = Math.max(longest, point.at - lastAt);
        lastAt = point.at;
        lastMoved = point.moved;
      }
    }
    return longest / 1000;
  }

  /** How many recipients moved (sent or failed) between the polls nearest to `from` and `to`. */
  movedBetween(from: number, to: number): number {
    return this.movedAt(to) - this.movedAt(from);
  }

  /** How many had moved at `moment`, as the last poll before it saw (the first poll, for a moment before any). */
  private movedAt(moment: number): number {
    return (this.timeline.filter((point) => point.at <= moment).pop() ?? this.timeline[0])?.moved ?? 0;
  }

  /** The broadcast's messages that more than one attempt claimed (a job run again after the fault). */
  async claimedAgain(): Promise<number> {
    const messageLogs = this.cluster.control.app.get<Model<MessageLog>>(getModelToken(MessageLog.name));
    return messageLogs.countDocuments({ broadcast_id: oid(this.id), attempts: { $gt: 1 } });
  }

  /**
   * The broadcast's send jobs that Bull's stalled-job check took back from a worker (and ran again):
   * their `stalledCounter` in Redis. Finished jobs are kept (SEND_JOBS_KEEP_COMPLETED), so this counts all.
   */
  async jobsTakenBack(): Promise<number> {
    const redis = new Redis({ port: this.cluster.redisPort, lazyConnect: true });
    try {
      await redis.connect();
      const keys: string[] = [];
      let cursor = '0';
      do {
        const [next, found] = await redis.scan(cursor, 'MATCH', `${this.cluster.queuePrefix}:send*:${this.id}:*`, 'COUNT', 1000);
        keys.push(...found.filter((key) => !key.endsWith(':lock') && !key.endsWith(':logs')));
        cursor = next;
      } while (cursor !== '0');
      const counters = await Promise.all(keys.map((key) => redis.hget(key, 'stalledCounter')));
      return counters.filter((counter) => Number(counter ?? 0) > 0).length;
    } finally {
      redis.disconnect();
    }
  }

  private async run(timeoutMs: number): Promise<BroadcastRecord> {
    const expected = [...this.recipients].sort();
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      this.polls += 1;
      const broadcast = await this.observer.broadcast(this.clientId, this.id);
      if (!broadcast) throw new Error(`Broadcast ${this.id} vanished`);
      const all = [...broadcast.sent, ...broadcast.pending, ...broadcast.failed].sort();
      if (all.length !== expected.length || all.some((recipient, index) => recipient !== expected[index])) {
        throw new Error(
          `Poll ${this.polls}: recipients not in exactly one array (sent ${broadcast.sent.length}, pending ${broadcast.pending.length}, failed ${broadcast.failed.length}, expected ${expected.length} in all)`,
        );
      }
      this.timeline.push({ at: Date.now(), moved: broadcast.sent.length + broadcast.failed.length });
      if (broadcast.status !== 'sending') return broadcast;
      if (Date.now() > deadline) {
        throw new Error(`Broadcast still sending after ${timeoutMs / 1000} s with ${broadcast.pending.length} pending\n${this.cluster.tails()}`);
      }
      await sleep(200);
    }
  }
}
