import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown, Optional } from '@nestjs/common';
import { AppConfig } from '../config';
import { ExclusiveInterval } from '../core/exclusive-interval';
import { RedisClient } from '../core/redis-connection';
import { REDIS } from '../core/redis.module';
import { LEDGER_EVENTS, LedgerEvents } from '../message-log/ledger-events';
import { isLeaseLive, MessageLogRepository } from '../message-log/message-log.repository';
import { outcomeOfFinished } from '../sending/message-sender';
import { BroadcastSendJobs } from './broadcast-send-jobs';
import { BroadcastStopSignal } from './broadcast-stop.signal';
import { BroadcastQueue } from './broadcast.queue';
import { BroadcastRepository, RecipientMoves } from './broadcast.repository';

/** Broadcasts examined per run; the rest wait for the next run. */
const SWEEP_BATCH_SIZE = 200;
const LOCK_KEY = 'broadcast:sweep:lock';

/** What one run did. */
export interface BroadcastSweepResult {
  broadcasts: number;
  /** Recipients whose message had ended but whose outcome was not on the broadcast yet. */
  settled: number;
  requeued: number;
  /** Scheduled broadcasts past their time whose fan-out was added again. */
  started: number;
}

/**
 * MongoDB is the truth, Redis the transport. Every SWEEP_INTERVAL_MS one worker looks at the
 * broadcasts still sending that are older than SWEEP_PENDING_AGE_MS, and at each pending
 * recipient whose send job is not in Redis (Redis lost its data, a fan-out died):
 * - its message ended (the ledger says so, the worker that sent it died before writing the
 *   broadcast's progress): the recipient moves to `sent` or `failed`, not sent again;
 * - an attempt holds its message (a live lease): left to that attempt;
 * - otherwise: its job is added again (the claim keeps a message from being sent twice).
 * Broadcasts with nothing pending left are finished. Scheduled broadcasts past their time
 * whose fan-out job was lost are started.
 */
@Injectable()
export class BroadcastSweeper implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(BroadcastSweeper.name);
  private readonly schedule: ExclusiveInterval;

  constructor(
    private readonly broadcasts: BroadcastRepository,
    private readonly messageLogs: MessageLogRepository,
    private readonly sendJobs: BroadcastSendJobs,
    private readonly stopSignal: BroadcastStopSignal,
    private readonly queue: BroadcastQueue,
    private readonly config: AppConfig,
    @Inject(REDIS) redis: RedisClient,
    @Optional() @Inject(LEDGER_EVENTS) private readonly events?: LedgerEvents,
  ) {
    this.schedule = new ExclusiveInterval(redis, { name: 'Broadcast sweep', lockKey: LOCK_KEY, intervalMs: config.sweep.intervalMs }, async () => {
      await this.sweep();
    });
  }

  onApplicationBootstrap(): void {
    this.schedule.start();
    // Earlier versions kept the sweep as a repeatable job in Redis; nothing handles it now.
    this.queue.removeRepeatableSweep().catch((error: unknown) => this.logger.warn({ err: error }, 'Could not remove the old repeatable sweep job'));
  }

  onApplicationShutdown(): Promise<void> {
    return this.schedule.stop();
  }

  async sweep(now: Date = new Date()): Promise<BroadcastSweepResult> {
    const started = await this.startDueScheduled(now);
    const ids = await this.broadcasts.findSendingCreatedBefore(new Date(now.getTime() - this.config.sweep.pendingAgeMs), SWEEP_BATCH_SIZE);
    const result: BroadcastSweepResult = { broadcasts: ids.length, settled: 0, requeued: 0, started };
    for (const broadcastId of ids) {
      if (await this.stopSignal.isRaised(broadcastId)) continue;
      const { settled, requeued } = await this.sweepBroadcast(broadcastId, now);
      result.settled += settled;
      result.requeued += requeued;
    }
    return result;
  }

  /**
   * Scheduled broadcasts whose time has passed get their fan-out added again: normally Bull's
   * delayed job starts them (also after every worker was down: it waits in Redis); this covers
   * a job lost with Redis's data. While the delayed job exists, adding it adds nothing (same id).
   */
  private async startDueScheduled(now: Date): Promise<number> {
    const due = await this.broadcasts.findDueScheduled(now, SWEEP_BATCH_SIZE);
    for (const broadcastId of due) await this.queue.scheduleFanOut(broadcastId);
    return due.length;
  }

  private async sweepBroadcast(broadcastId: string, now: Date): Promise<{ settled: number; requeued: number }> {
    const found = await this.broadcasts.findPendingRecipients(broadcastId);
    if (!found) return { settled: 0, requeued: 0 };
    const { clientId, pending } = found;
    const missing = pending.length > 0 ? await this.sendJobs.recipientsWithoutJob(found, pending) : [];
    const states = await this.messageLogs.sendStatesOfBroadcastRecipients(clientId, broadcastId, missing);
    const moves: RecipientMoves = { sent: [], failed: [] };
    const requeue: string[] = [];
    for (const recipient of missing) {
      const state = states.get(recipient);
      const finished = state && outcomeOfFinished(state);
      if (finished) moves[finished.status].push(recipient);
      else if (!state || !isLeaseLive(state, now)) requeue.push(recipient);
    }
    await this.broadcasts.moveRecipients(clientId, broadcastId, moves);
    const completion = pending.length === moves.sent.length + moves.failed.length ? await this.broadcasts.finishIfDone(clientId, broadcastId) : null;
    if (completion) this.events?.broadcastFinished(broadcastId, completion);
    if (requeue.length > 0) {
      this.logger.warn({ broadcastId, recipients: requeue.length }, 'Pending recipients without a job: enqueued again');
      await this.sendJobs.enqueueRecipients(found, requeue, { replaceFinished: true });
    }
    const settled = moves.sent.length + moves.failed.length;
    if (settled > 0) this.logger.warn({ broadcastId, recipients: settled }, 'Recipients whose message ended but whose progress was lost: recorded');
    return { settled, requeued: requeue.length };
  }
}
