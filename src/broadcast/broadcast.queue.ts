import { InjectQueue } from '@nestjs/bull';
import { Injectable } from '@nestjs/common';
import type { Queue } from 'bull';
import { AppConfig } from '../config';
import { BROADCAST_QUEUE, FAN_OUT_JOB, fanOutJobId, FanOutJobData, SWEEP_JOB, SweepJobData } from './broadcast.jobs';

const SWEEP_JOB_ID = 'broadcast-sweep';
const FAN_OUT_ATTEMPTS = 10;
const FAN_OUT_BACKOFF_MS = 1000;

/** The producer of the broadcast queue: fan-out of new broadcasts and the repeatable sweep. */
@Injectable()
export class BroadcastQueue {
  constructor(
    @InjectQueue(BROADCAST_QUEUE) private readonly queue: Queue<FanOutJobData | SweepJobData>,
    private readonly config: AppConfig,
  ) {}

  /**
   * Durably schedules the fan-out of a stored broadcast into per-recipient send jobs.
   * One small job here keeps POST /broadcast fast whatever the number of recipients.
   * `at`: not before then (a scheduled broadcast; Bull keeps the job delayed until then).
   * `activatedAt`: a later fan-out (resume, retry), with an id of its own.
   */
  async scheduleFanOut(broadcastId: string, options: { at?: Date | null; activatedAt?: Date | null } = {}): Promise<void> {
    await this.queue.add(FAN_OUT_JOB, { broadcastId }, {
      jobId: fanOutJobId(broadcastId, options.activatedAt),
      ...(options.at ? { delay: Math.max(0, options.at.getTime() - Date.now()) } : {}),
      attempts: FAN_OUT_ATTEMPTS,
      backoff: { type: 'exponential', delay: FAN_OUT_BACKOFF_MS },
      removeOnComplete: true,
      removeOnFail: true,
    });
  }

  /** Removes the broadcast's fan-out jobs that have not started (a running one checks the stop and pause signals). */
  async removeFanOut(broadcastId: string, activatedAt?: Date | null): Promise<void> {
    const ids = [fanOutJobId(broadcastId), ...(activatedAt ? [fanOutJobId(broadcastId, activatedAt)] : [])];
    for (const id of ids) {
      const job = await this.queue.getJob(id);
      // A locked (running) job cannot be removed; it stops at its next chunk.
      await job?.remove().catch(() => undefined);
    }
  }

  /** Registers the repeatable sweep (idempotent: Bull keys repeatable jobs by name, id and interval). */
  async scheduleSweep(): Promise<void> {
    const every = this.config.sweep.intervalMs;
    const existing = await this.queue.getRepeatableJobs();
    // An interval changed by configuration replaces the old schedule instead of adding a second one.
    for (const job of existing) {
      if (job.name === SWEEP_JOB && Number(job.every) !== every) await this.queue.removeRepeatableByKey(job.key);
    }
    await this.queue.add(SWEEP_JOB, {}, { repeat: { every }, jobId: SWEEP_JOB_ID, removeOnComplete: true, removeOnFail: true });
  }
}
