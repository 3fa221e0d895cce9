import { Process, Processor } from '@nestjs/bull';
import { Inject, Logger, Optional } from '@nestjs/common';
import type { Job } from 'bull';
import { LEDGER_EVENTS, LedgerEvents } from '../message-log/ledger-events';
import { BroadcastAudiences } from './broadcast-audience';
import { BroadcastPauseSignal } from './broadcast-pause.signal';
import { BroadcastSendJobs } from './broadcast-send-jobs';
import { BroadcastStopSignal } from './broadcast-stop.signal';
import { BROADCAST_QUEUE, FAN_OUT_JOB, FanOutJobData } from './broadcast.jobs';
import { BroadcastRepository } from './broadcast.repository';

/** Worker side of the broadcast queue: fans new broadcasts out into send jobs. */
@Processor(BROADCAST_QUEUE)
export class BroadcastProcessor {
  private readonly logger = new Logger(BroadcastProcessor.name);

  constructor(
    private readonly broadcasts: BroadcastRepository,
    private readonly sendJobs: BroadcastSendJobs,
    private readonly stopSignal: BroadcastStopSignal,
    private readonly pauseSignal: BroadcastPauseSignal,
    private readonly audiences: BroadcastAudiences,
    @Optional() @Inject(LEDGER_EVENTS) private readonly events?: LedgerEvents,
  ) {}

  /**
   * Starts a scheduled broadcast whose time has come (resolving its audience, if it has one), then adds the send jobs of its pending
   * recipients (a job per group of them), in bulk chunks, until it is stopped or paused; safe to
   * re-run (job ids are derived from the recipients and the activation). A resumed or retried
   * broadcast with nothing left pending is finished here.
   */
  @Process(FAN_OUT_JOB)
  async fanOut(job: Job<FanOutJobData>): Promise<{ enqueued: number }> {
    const { broadcastId } = job.data;
    await this.broadcasts.startIfDue(broadcastId);
    // A scheduled broadcast to an audience gets its recipients now: the audience as it is at send_at.
    await this.audiences.resolveAtStart(broadcastId);
    const found = await this.broadcasts.findPendingRecipients(broadcastId);
    if (!found) return { enqueued: 0 };
    if (found.pending.length === 0) {
      const completion = await this.broadcasts.finishIfDone(found.clientId, broadcastId);
      if (completion) this.events?.broadcastFinished(broadcastId, completion);
      return { enqueued: 0 };
    }
    const stoppedOrPaused = async () => (await this.stopSignal.isRaised(broadcastId)) || (await this.pauseSignal.isPaused(broadcastId));
    const enqueued = await this.sendJobs.enqueueRecipients(found, found.pending, stoppedOrPaused);
    return { enqueued };
  }
}
