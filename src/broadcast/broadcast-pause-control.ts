import { Injectable, Logger } from '@nestjs/common';
import { BroadcastPauseSignal } from './broadcast-pause.signal';
import { BroadcastSendJobs } from './broadcast-send-jobs';
import { BroadcastQueue } from './broadcast.queue';
import { BroadcastRepository } from './broadcast.repository';

/**
 * What pausing and resuming a broadcast do in Redis once its record says so, whoever asks (its
 * client, the template lifecycle, a FLAGGED number): a pause raises the signal workers check and
 * removes the queued fan-out and send jobs (the recipients stay `pending`); a resume clears it and
 * fans out again. Each reads the record once more after changing the signal: a pause and a resume
 * that overlap leave the signal as the record ends, not as the slower of the two left it.
 */
@Injectable()
export class BroadcastPauseControl {
  private readonly logger = new Logger(BroadcastPauseControl.name);

  constructor(
    private readonly pauseSignal: BroadcastPauseSignal,
    private readonly broadcastQueue: BroadcastQueue,
    private readonly sendJobs: BroadcastSendJobs,
    private readonly broadcasts: BroadcastRepository,
  ) {}

  async hold(broadcastId: string, activatedAt: Date | null | undefined): Promise<void> {
    await this.pauseSignal.raise(broadcastId);
    await this.broadcastQueue.removeFanOut(broadcastId, activatedAt);
    const removed = await this.sendJobs.removeQueued(broadcastId);
    this.logger.log({ broadcastId, removedJobs: removed }, 'Broadcast paused; queued jobs removed');
    // Resumed meanwhile (its resume cleared the signal before this raised it): sending goes on, and the sweep refills what was removed.
    if ((await this.broadcasts.findStatus(broadcastId)) !== 'paused') await this.pauseSignal.clear(broadcastId);
  }

  /**
   * The hold ends without a new fan-out: for a broadcast whose pending recipients are all in the
   * hands of attempts under way (their outcomes, a retry, or the sweep should a worker die, finish it).
   */
  async endHold(broadcastId: string): Promise<void> {
    await this.pauseSignal.clear(broadcastId);
    // Paused by its client meanwhile: held it stays.
    if ((await this.broadcasts.findStatus(broadcastId)) === 'paused') await this.pauseSignal.raise(broadcastId);
  }

  /** Sending again: at once, or at `at` for a broadcast back to `scheduled`. */
  async release(broadcastId: string, activatedAt: Date | null | undefined, at?: Date | null): Promise<void> {
    await this.pauseSignal.clear(broadcastId);
    await this.broadcastQueue.scheduleFanOut(broadcastId, at ? { at } : { activatedAt });
    // Paused again meanwhile (its pause raised the signal before this cleared it): held it stays; the fan-out finds it paused.
    if ((await this.broadcasts.findStatus(broadcastId)) === 'paused') await this.pauseSignal.raise(broadcastId);
  }
}
