import { InjectQueue } from '@nestjs/bull';
import { Injectable } from '@nestjs/common';
import type { Queue } from 'bull';
import { BROADCAST_QUEUE, FAN_OUT_JOB, fanOutJobId, FanOutJobData } from './broadcast.jobs';

/** The repeatable job earlier versions ran the sweep as (it is now a timer in each worker). */
const REPEATABLE_SWEEP_JOB = 'sweep';
const FAN_OUT_ATTEMPTS = 10;
const FAN_OUT_BACKOFF_MS = 1000;

/** The producer of the broadcast queue: the fan-out that starts each activation. */
@Injectable()
export class BroadcastQueue {
  constructor(
    @InjectQueue(BROADCAST_QUEUE) private readonly queue: Queue<FanOutJobData>,
  ) {}

  /**
   * Durably schedules the fan-out of a stored broadcast into per-recipient send jobs.
   * One small job here keeps POST /broadcast fast whatever the number of recipients.
   * `at`: not before then (a scheduled broadcast; Bull keeps the job delayed until then).
   * `activatedAt`: a later fan-out (resume, retry), with an id of its own; a retry while sending
   * adds one again in the same activation (the first has ended), a top-up of the window whose
   * turn comes to the retried recipients at the end of `pending`.
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

  /** Removes the repeatable sweep job earlier versions registered; nothing processes it any more. */
  async removeRepeatableSweep(): Promise<void> {
    for (const job of await this.queue.getRepeatableJobs()) {
      if (job.name === REPEATABLE_SWEEP_JOB) await this.queue.removeRepeatableByKey(job.key);
    }
  }
}
