import { Process, Processor } from '@nestjs/bull';
import { Logger } from '@nestjs/common';
import type { Job } from 'bull';
import { AppConfig } from '../config';
import { BroadcastPauseSignal } from './broadcast-pause.signal';
import { BroadcastSendJobs } from './broadcast-send-jobs';
import { BroadcastStopSignal } from './broadcast-stop.signal';
import { BroadcastQueue } from './broadcast.queue';
import { BROADCAST_QUEUE, FAN_OUT_JOB, FanOutJobData, SWEEP_JOB } from './broadcast.jobs';
import { BroadcastRepository } from './broadcast.repository';

/** Recipients enqueued between two checks of the stop signal. */
const FAN_OUT_CHUNK_SIZE = 5000;
/** Broadcasts examined per sweep run; the rest wait for the next run. */
const SWEEP_BATCH_SIZE = 200;

/** Worker side of the broadcast queue: fans new broadcasts out into send jobs, and sweeps for lost ones. */
@Processor(BROADCAST_QUEUE)
export class BroadcastProcessor {
  private readonly logger = new Logger(BroadcastProcessor.name);

  constructor(
    private readonly broadcasts: BroadcastRepository,
    private readonly sendJobs: BroadcastSendJobs,
    private readonly stopSignal: BroadcastStopSignal,
    private readonly pauseSignal: BroadcastPauseSignal,
    private readonly broadcastQueue: BroadcastQueue,
    private readonly config: AppConfig,
  ) {}

  /**
   * Starts a scheduled broadcast whose time has come, then adds one send job per pending
   * recipient, in bulk chunks; safe to re-run (job ids are derived from the recipient). A
   * resumed or retried broadcast with nothing left pending is finished here.
   */
  @Process(FAN_OUT_JOB)
  async fanOut(job: Job<FanOutJobData>): Promise<{ enqueued: number }> {
    const { broadcastId } = job.data;
    await this.broadcasts.startIfDue(broadcastId);
    const pending = await this.broadcasts.findPendingRecipients(broadcastId);
    const context = pending && (await this.broadcasts.findSendContext(broadcastId));
    if (!pending || !context) return { enqueued: 0 };
    if (pending.length === 0) {
      await this.broadcasts.finishIfDone(broadcastId);
      return { enqueued: 0 };
    }
    let enqueued = 0;
    for (let start = 0; start < pending.length; start += FAN_OUT_CHUNK_SIZE) {
      if ((await this.stopSignal.isRaised(broadcastId)) || (await this.pauseSignal.isPaused(broadcastId))) break;
      const chunk = pending.slice(start, start + FAN_OUT_CHUNK_SIZE);
      await this.sendJobs.enqueueRecipients(broadcastId, context.client_id.toHexString(), chunk);
      enqueued += chunk.length;
    }
    return { enqueued };
  }

  /**
   * MongoDB is the source of truth, Redis the transport: recipients pending for longer than
   * the threshold whose job is no longer in Redis (Redis lost its data, a fan-out died) are
   * enqueued again, and broadcasts with nothing pending left are finished.
   */
  @Process(SWEEP_JOB)
  async sweep(): Promise<{ broadcasts: number; requeued: number; started: number }> {
    const started = await this.startDueScheduled();
    const createdBefore = new Date(Date.now() - this.config.sweep.pendingThresholdMs);
    const ids = await this.broadcasts.findSendingCreatedBefore(createdBefore, SWEEP_BATCH_SIZE);
    let requeued = 0;
    for (const broadcastId of ids) {
      if (await this.stopSignal.isRaised(broadcastId)) continue;
      const pending = await this.broadcasts.findPendingRecipients(broadcastId);
      if (!pending) continue;
      if (pending.length === 0) {
        await this.broadcasts.finishIfDone(broadcastId);
        continue;
      }
      const missing = await this.sendJobs.recipientsWithoutJob(broadcastId, pending);
      const context = missing.length > 0 ? await this.broadcasts.findSendContext(broadcastId) : null;
      if (!context) continue;
      this.logger.warn({ broadcastId, recipients: missing.length }, 'Pending recipients without a job: enqueued again');
      await this.sendJobs.enqueueRecipients(broadcastId, context.client_id.toHexString(), missing);
      requeued += missing.length;
    }
    return { broadcasts: ids.length, requeued, started };
  }

  /**
   * Scheduled broadcasts whose time has passed get their fan-out again: normally Bull's delayed
   * job starts them (also after every worker was down: it waits in Redis), this covers a job
   * lost with Redis's data. Adding it while the delayed job still exists adds nothing (same id).
   */
  private async startDueScheduled(): Promise<number> {
    const due = await this.broadcasts.findDueScheduled(new Date(), SWEEP_BATCH_SIZE);
    for (const broadcastId of due) await this.broadcastQueue.scheduleFanOut(broadcastId);
    if (due.length > 0) this.logger.log({ broadcasts: due.length }, 'Scheduled broadcasts past their time: fan-out scheduled');
    return due.length;
  }
}
