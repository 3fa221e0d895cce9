import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { AppConfig } from '../config';
import { ExclusiveInterval } from '../core/exclusive-interval';
import { RedisClient } from '../core/redis-connection';
import { REDIS } from '../core/redis.module';
import { MessageLogRepository, UnsentApiMessage } from '../message-log/message-log.repository';
import { RedisLossMarker } from '../recovery/redis-loss-marker';
import { SweepCutoff } from '../recovery/sweep-cutoff';
import { SendQueue } from '../sending/send.queue';
import { MESSAGE_JOB, MessageJobData, messageJobId } from './message.jobs';

/** Messages examined per run; the rest wait for the next run. */
const SWEEP_BATCH_SIZE = 1000;
const LOCK_KEY = 'message:sweep:lock';

/**
 * The sweep of POST /v1/messages: every SWEEP_INTERVAL_MS one worker looks for messages
 * accepted more than SWEEP_PENDING_AGE_MS ago that are still unsent, held by no attempt, and
 * have no job in Redis (Redis lost its data, or the API died between storing the message and
 * queueing it), and adds their jobs again. A scheduled message is looked at once its send_at
 * has passed, whatever its age (its delayed job may be the one lost), as a scheduled broadcast
 * is; and once a worker notices that Redis lost its data (RedisLossMarker), a sweep runs at once
 * and takes every message accepted before that moment.
 */
@Injectable()
export class MessageSweeper implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(MessageSweeper.name);
  private readonly schedule: ExclusiveInterval;
  private readonly cutoff: SweepCutoff;

  constructor(
    private readonly messageLogs: MessageLogRepository,
    private readonly sendQueue: SendQueue,
    config: AppConfig,
    @Inject(REDIS) redis: RedisClient,
    lossMarker: RedisLossMarker,
  ) {
    this.cutoff = new SweepCutoff(config.sweep.pendingAgeMs, config.worker.lockDurationMs);
    this.schedule = new ExclusiveInterval(redis, { name: 'Message sweep', lockKey: LOCK_KEY, intervalMs: config.sweep.intervalMs }, async () => {
      await this.sweep();
    });
    lossMarker.onLoss((noticedAt) => {
      this.cutoff.noticeLoss(noticedAt);
      void this.schedule.tick();
    });
  }

  onApplicationBootstrap(): void {
    this.schedule.start();
  }

  onApplicationShutdown(): Promise<void> {
    return this.schedule.stop();
  }

  /** Adds the lost jobs again; answers how many. */
  async sweep(now: Date = new Date()): Promise<number> {
    const createdBefore = this.cutoff.createdBefore(now);
    const lost = await this.lostMessages(createdBefore, now);
    if (lost.length > 0) this.logger.warn({ messages: lost.length }, 'Unsent messages without a job: enqueued again');
    for (const { id, sessionId } of lost) {
      // A finished job kept for the dashboard under the id gives way to the new one.
      await this.sendQueue.enqueue<MessageJobData>(sessionId, [{ id: messageJobId(id), data: { kind: MESSAGE_JOB, messageLogId: id } }], { replaceFinished: true });
    }
    this.cutoff.swept(createdBefore, now);
    return lost.length;
  }

  private async lostMessages(createdBefore: Date, now: Date): Promise<UnsentApiMessage[]> {
    const unsent = await this.messageLogs.findUnsentApiMessages(createdBefore, SWEEP_BATCH_SIZE, now);
    if (unsent.length === 0) return [];
    const missing = new Set(await this.sendQueue.idsWithoutJob(unsent.map(({ id }) => messageJobId(id))));
    return unsent.filter(({ id }) => missing.has(messageJobId(id)));
  }
}
