import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown, Optional } from '@nestjs/common';
import { AppConfig } from '../config';
import { ExclusiveInterval } from '../core/exclusive-interval';
import { RedisClient } from '../core/redis-connection';
import { REDIS } from '../core/redis.module';
import { LEDGER_EVENTS, LedgerEvents } from '../message-log/ledger-events';
import { isLeaseLive, MessageLogRepository } from '../message-log/message-log.repository';
import { RedisLossMarker } from '../recovery/redis-loss-marker';
import { SweepCutoff } from '../recovery/sweep-cutoff';
import { outcomeOfFinished } from '../sending/message-sender';
import { BroadcastFanOut } from './broadcast-fan-out';
import { BroadcastSendJobs } from './broadcast-send-jobs';
import { BroadcastStopSignal } from './broadcast-stop.signal';
import type { EnqueuedBroadcast } from './broadcast.jobs';
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
  /** Recipients after the window whose jobs were added (a top-up the worker had not made). */
  added: number;
  /** Scheduled broadcasts past their time whose fan-out was added again. */
  started: number;
}

/**
 * MongoDB is the truth, Redis the transport. Every SWEEP_INTERVAL_MS one worker looks at the
 * broadcasts still sending that are older than SWEEP_PENDING_AGE_MS, and at each recipient of
 * their fan-out's window (see BroadcastFanOut) whose send job is not in Redis (Redis lost its data):
 * - its message ended (the ledger says so, the worker that sent it died before writing the
 *   broadcast's progress): the recipient moves to `sent` or `failed`, not sent again;
 * - an attempt holds its message (a live lease): left to that attempt;
 * - otherwise: its job is added again (the claim keeps a message from being sent twice).
 * Recipients after the window have had no job yet and are not lost: a window below half is
 * topped up from its position, as the worker would. Broadcasts with nothing pending left are
 * finished. Scheduled broadcasts past their time whose fan-out job was lost are started.
 * When a worker notices that Redis lost its data (RedisLossMarker), a sweep runs at once and
 * takes every broadcast created before that moment, whatever its age.
 */
@Injectable()
export class BroadcastSweeper implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(BroadcastSweeper.name);
  private readonly schedule: ExclusiveInterval;
  private readonly cutoff: SweepCutoff;

  constructor(
    private readonly broadcasts: BroadcastRepository,
    private readonly messageLogs: MessageLogRepository,
    private readonly sendJobs: BroadcastSendJobs,
    private readonly fanOut: BroadcastFanOut,
    private readonly stopSignal: BroadcastStopSignal,
    private readonly queue: BroadcastQueue,
    config: AppConfig,
    @Inject(REDIS) redis: RedisClient,
    lossMarker: RedisLossMarker,
    @Optional() @Inject(LEDGER_EVENTS) private readonly events?: LedgerEvents,
  ) {
    this.cutoff = new SweepCutoff(config.sweep.pendingAgeMs, config.worker.lockDurationMs);
    this.schedule = new ExclusiveInterval(redis, { name: 'Broadcast sweep', lockKey: LOCK_KEY, intervalMs: config.sweep.intervalMs }, async () => {
      await this.sweep();
    });
    lossMarker.onLoss((noticedAt) => {
      this.cutoff.noticeLoss(noticedAt);
      void this.schedule.tick();
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
    const createdBefore = this.cutoff.createdBefore(now);
    const ids = await this.broadcasts.findSendingCreatedBefore(createdBefore, SWEEP_BATCH_SIZE);
    const result: BroadcastSweepResult = { broadcasts: ids.length, settled: 0, requeued: 0, added: 0, started };
    for (const broadcastId of ids) {
      if (await this.stopSignal.isRaised(broadcastId)) continue;
      const { settled, requeued, added } = await this.sweepBroadcast(broadcastId, now);
      result.settled += settled;
      result.requeued += requeued;
      result.added += added;
    }
    this.cutoff.swept(createdBefore, now);
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

  private async sweepBroadcast(broadcastId: string, now: Date): Promise<{ settled: number; requeued: number; added: number }> {
    // Only the window's recipients have had a job in this activation; those after it are not lost, just not added yet.
    const window = await this.broadcasts.findFanOutWindow(broadcastId);
    if (!window) return { settled: 0, requeued: 0, added: 0 };
    const missing = window.recipients.length > 0 ? await this.sendJobs.recipientsWithoutJob(window, window.recipients) : [];
    const { settled, unclaimed } = await this.settleEnded(window, missing, now);
    const completion = window.pending === settled.length ? await this.broadcasts.finishIfDone(window.clientId, broadcastId) : null;
    if (completion) this.events?.broadcastFinished(broadcastId, completion);
    if (unclaimed.length > 0) {
      this.logger.warn({ broadcastId, recipients: unclaimed.length }, 'Pending recipients without a job: enqueued again');
      await this.sendJobs.enqueueRecipients(window, unclaimed, { replaceFinished: true });
    }
    // A window whose top-up was lost (Redis flushed, a worker died) is refilled from its position.
    const topUp = completion
      ? null
      : await this.fanOut.topUpIfLow(window, { settleEnded: async (next) => (await this.settleEnded(next, next.recipients, now)).settled });
    const settledCount = settled.length + (topUp?.settled ?? 0);
    if (settledCount > 0) this.logger.warn({ broadcastId, recipients: settledCount }, 'Recipients whose message ended but whose progress was lost: recorded');
    return { settled: settledCount, requeued: unclaimed.length, added: topUp?.enqueued ?? 0 };
  }

  /**
   * Of these recipients, those whose message ended (the ledger says so; the worker that sent it
   * died before writing the broadcast's progress) move to `sent` or `failed`, not sent again;
   * answers them, and those no live attempt holds (to enqueue).
   */
  private async settleEnded(broadcast: EnqueuedBroadcast, recipients: string[], now: Date): Promise<{ settled: string[]; unclaimed: string[] }> {
    const { clientId, broadcastId } = broadcast;
    const states = await this.messageLogs.sendStatesOfBroadcastRecipients(clientId, broadcastId, recipients);
    const moves: RecipientMoves = { sent: [], failed: [] };
    const unclaimed: string[] = [];
    for (const recipient of recipients) {
      const state = states.get(recipient);
      const finished = state && outcomeOfFinished(state);
      if (finished) moves[finished.status].push(recipient);
      else if (!state || !isLeaseLive(state, now)) unclaimed.push(recipient);
    }
    await this.broadcasts.moveRecipients(clientId, broadcastId, moves);
    return { settled: [...moves.sent, ...moves.failed], unclaimed };
  }
}
