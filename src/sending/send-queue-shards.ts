import { InjectQueue } from '@nestjs/bull';
import { Injectable, OnApplicationShutdown } from '@nestjs/common';
import Bull, { AdvancedSettings, Queue } from 'bull';
import { AppConfig } from '../config';
import { BullConnections } from '../core/bull-connections';
import { workerLockSettings } from '../core/queues';
import { stableBucketOf } from '../core/stable-bucket';
import { SEND_BACKOFF_STRATEGY, sendBackoff } from './send-backoff';
import { SEND_QUEUE, SendJobData } from './sending.jobs';

/**
 * Settings of every send queue: the worker's lock settings (workerLockSettings) and the send backoff. A
 * message's claim (see MessageSender) lasts as long as the lock, so a job taken back from a live but
 * stalled worker finds the claim and waits instead of sending the message a second time.
 */
export function sendQueueSettings(config: AppConfig): AdvancedSettings {
  return { ...workerLockSettings(config), backoffStrategies: { [SEND_BACKOFF_STRATEGY]: sendBackoff } };
}

/** Name of a send queue: the first keeps the historical name, so one shard (the default) is the queue of old. */
export function sendQueueName(shard: number): string {
  return shard === 0 ? SEND_QUEUE : `${SEND_QUEUE}-${shard}`;
}

/**
 * The send queue of a session: a stable hash of its id over the shards. All of a session's jobs
 * share one queue (its rate limit paces them anyway), and many sessions spread over the shards.
 */
export function sendQueueShardOf(sessionId: string, shards: number): number {
  return stableBucketOf(sessionId, shards);
}

/**
 * The send queues: SEND_QUEUE_SHARDS Bull queues, each in its own hash slot on a Redis Cluster,
 * so that several masters share the send work. The first is the Nest-registered `send` queue;
 * the others are opened here with the same options and closed at shutdown.
 */
@Injectable()
export class SendQueueShards implements OnApplicationShutdown {
  readonly queues: ReadonlyArray<Queue<SendJobData>>;

  constructor(@InjectQueue(SEND_QUEUE) first: Queue<SendJobData>, config: AppConfig, connections: BullConnections) {
    const others = Array.from({ length: config.redis.sendQueueShards - 1 }, (_unused, index) => {
      const name = sendQueueName(index + 1);
      return new Bull<SendJobData>(name, { ...connections.queueOptions(name), settings: sendQueueSettings(config) });
    });
    this.queues = [first, ...others];
  }

  /** The queue of a session's send jobs. */
  forSession(sessionId: string): Queue<SendJobData> {
    return this.queues[sendQueueShardOf(sessionId, this.queues.length)];
  }

  async onApplicationShutdown(): Promise<void> {
    // The first is closed by @nestjs/bull; closing twice is harmless (Bull returns the same promise).
    await Promise.all(this.queues.slice(1).map((queue) => queue.close()));
  }
}
