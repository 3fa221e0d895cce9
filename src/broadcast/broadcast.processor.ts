import { Process, Processor } from '@nestjs/bull';
import { Logger } from '@nestjs/common';
import type { Job } from 'bull';
import { AppConfig } from '../config';
import { BroadcastSendJobs } from './broadcast-send-jobs';
import { BroadcastStopSignal } from './broadcast-stop.signal';
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
    private readonly config: AppConfig,
  ) {}

  /** One send job per pending recipient, in bulk chunks; safe to re-run (job ids are derived from the recipient). */
  @Process(FAN_OUT_JOB)
  async fanOut(job: Job<FanOutJobData>): Promise<{ enqueued: number }> {
    const { broadcastId } = job.data;
    const pending = await this.broadcasts.findPendingRecipients(broadcastId);
    const context = pending && (await this.broadcasts.findSendContext(broadcastId));
    if (!pending || !context) return { enqueued: 0 };
    let enqueued = 0;
    for (let start = 0; start < pending.length; start += FAN_OUT_CHUNK_SIZE) {
      if (await this.stopSignal.isRaised(broadcastId)) break;
      const chunk = pending.slice(start, start + FAN_OUT_CHUNK_SIZE);
      await this.sendJobs.enqueueRecipients(context, chunk);
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
  async sweep(): Promise<{ broadcasts: number; requeued: number }> {
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
      await this.sendJobs.enqueueRecipients(context, missing);
      requeued += missing.length;
    }
    return { broadcasts: ids.length, requeued };
  }
}
