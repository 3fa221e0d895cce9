import { Injectable, Logger } from '@nestjs/common';
import { BroadcastPauseSignal } from './broadcast-pause.signal';
import { BroadcastSendJobs } from './broadcast-send-jobs';
import { BroadcastQueue } from './broadcast.queue';

/**
 * What pausing and resuming a broadcast do in Redis once its record says so, whoever asks (its
 * client, or the template lifecycle): a pause raises the signal workers check and removes the
 * queued fan-out and send jobs (the recipients stay `pending`); a resume clears it and fans out again.
 */
@Injectable()
export class BroadcastPauseControl {
  private readonly logger = new Logger(BroadcastPauseControl.name);

  constructor(
    private readonly pauseSignal: BroadcastPauseSignal,
    private readonly broadcastQueue: BroadcastQueue,
    private readonly sendJobs: BroadcastSendJobs,
  ) {}

  async hold(broadcastId: string, activatedAt: Date | null | undefined): Promise<void> {
    await this.pauseSignal.raise(broadcastId);
    await this.broadcastQueue.removeFanOut(broadcastId, activatedAt);
    const removed = await this.sendJobs.removeQueued(broadcastId);
    this.logger.log({ broadcastId, removedJobs: removed }, 'Broadcast paused; queued jobs removed');
  }

  /**
   * The hold ends without a new fan-out: for a broadcast whose pending recipients are all in the
   * hands of attempts under way (their outcomes, a retry, or the sweep should a worker die, finish it).
   */
  async endHold(broadcastId: string): Promise<void> {
    await this.pauseSignal.clear(broadcastId);
  }

  /** Sending again: at once, or at `at` for a broadcast back to `scheduled`. */
  async release(broadcastId: string, activatedAt: Date | null | undefined, at?: Date | null): Promise<void> {
    await this.pauseSignal.clear(broadcastId);
    await this.broadcastQueue.scheduleFanOut(broadcastId, at ? { at } : { activatedAt });
  }
}
