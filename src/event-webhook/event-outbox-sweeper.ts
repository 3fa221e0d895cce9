import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { SessionRepository } from '../auth/session.repository';
import { BroadcastRepository } from '../broadcast/broadcast.repository';
import { AppConfig } from '../config';
import { ExclusiveInterval } from '../core/exclusive-interval';
import { RedisClient } from '../core/redis-connection';
import { REDIS } from '../core/redis.module';
import { MessageLogRepository } from '../message-log/message-log.repository';
import { RedisLossMarker } from '../recovery/redis-loss-marker';
import { TemplateRepository } from '../template/template.repository';
import { DocumentOutbox } from './document-outbox';
import { EventPublisher } from './event-publisher';
import { EventWebhookQueue } from './event-webhook.queue';
import { WebhookDeliveryRepository } from './webhook-delivery.repository';

/**
 * Events older than this in an outbox are the sweep's: the fast path publishes within milliseconds
 * of its write, so one this old was left by a publish that failed or a process that died. A fast
 * path still under way meanwhile is harmless (publishing twice makes one delivery per endpoint).
 */
export const OUTBOX_SWEEP_AGE_MS = 5000;
/** Entries published per round; a run goes on while rounds come back full, up to MAX_ROUNDS. */
const SWEEP_BATCH_SIZE = 500;
const MAX_ROUNDS = 20;
const LOCK_KEY = 'event-outbox:sweep:lock';

/**
 * The outbox sweep: every SWEEP_INTERVAL_MS one worker publishes the client events recorded on
 * ledger entries (`pending_events`), broadcasts (`pending_completions`, and `client_events` for
 * their pauses and resumes), templates and sessions (`client_events`) that nobody published:
 * the process that wrote them died between the write and the publish, or the publish failed
 * (MongoDB or Redis away). Reads only documents in the outboxes' partial indexes, so nothing
 * pending costs two empty queries.
 *
 * Published events whose jobs Redis lost are not in an outbox any more: when a worker notices
 * that Redis lost its data (RedisLossMarker), it queues every unfinished delivery made before
 * that moment again (under its own job id, so a job that is still there is not doubled; a
 * delivery that succeeded meanwhile is skipped by the processor).
 */
@Injectable()
export class EventOutboxSweeper implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(EventOutboxSweeper.name);
  private readonly schedule: ExclusiveInterval;
  /** The outboxes of events kept whole on the documents whose change caused them. */
  private readonly outboxes: DocumentOutbox[];

  constructor(
    private readonly messageLogs: MessageLogRepository,
    private readonly broadcasts: BroadcastRepository,
    templates: TemplateRepository,
    sessions: SessionRepository,
    private readonly publisher: EventPublisher,
    private readonly deliveries: WebhookDeliveryRepository,
    private readonly queue: EventWebhookQueue,
    config: AppConfig,
    @Inject(REDIS) redis: RedisClient,
    lossMarker: RedisLossMarker,
  ) {
    this.outboxes = [broadcasts.outbox, templates.outbox, sessions.outbox];
    this.schedule = new ExclusiveInterval(redis, { name: 'Event outbox sweep', lockKey: LOCK_KEY, intervalMs: config.sweep.intervalMs }, async () => {
      await this.sweep();
    });
    lossMarker.onLoss((noticedAt) => {
      this.requeueUnfinished(noticedAt).catch((error: unknown) =>
        this.logger.error({ err: error }, 'Could not queue the unfinished event deliveries again after Redis lost its data'),
      );
    });
  }

  onApplicationBootstrap(): void {
    this.schedule.start();
  }

  onApplicationShutdown(): Promise<void> {
    return this.schedule.stop();
  }

  /** Publishes what was left behind; answers how many events. */
  async sweep(now: Date = new Date()): Promise<number> {
    const updatedBefore = new Date(now.getTime() - OUTBOX_SWEEP_AGE_MS);
    let published = 0;
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const entries = await this.messageLogs.findWithPendingEvents(updatedBefore, SWEEP_BATCH_SIZE);
      published += await this.publisher.publishPending(entries);
      if (entries.length < SWEEP_BATCH_SIZE) break;
    }
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const finished = await this.broadcasts.findWithPendingCompletions(updatedBefore, SWEEP_BATCH_SIZE);
      for (const { id, completions } of finished) published += await this.publisher.publishCompletions(id, completions);
      if (finished.length < SWEEP_BATCH_SIZE) break;
    }
    for (const outbox of this.outboxes) {
      for (let round = 0; round < MAX_ROUNDS; round++) {
        const left = await outbox.findLeftovers(updatedBefore, SWEEP_BATCH_SIZE);
        published += await this.publisher.publishOutboxed(left);
        if (left.length < SWEEP_BATCH_SIZE) break;
      }
    }
    if (published > 0) this.logger.warn({ events: published }, 'Client events left unpublished (a failed publish or a dead process): published now');
    return published;
  }

  /** Queues again every delivery still pending or retrying that was made before Redis lost its data; answers how many. */
  async requeueUnfinished(before: Date): Promise<number> {
    let queued = 0;
    for (let afterId: string | null = null; ; ) {
      const ids = await this.deliveries.findUnfinishedIds(before, afterId, SWEEP_BATCH_SIZE);
      await this.queue.deliver(ids);
      queued += ids.length;
      if (ids.length < SWEEP_BATCH_SIZE) break;
      afterId = ids[ids.length - 1];
    }
    if (queued > 0) this.logger.warn({ deliveries: queued }, 'Redis lost its data: unfinished event deliveries queued again');
    return queued;
  }
}
