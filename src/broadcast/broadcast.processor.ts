import { Process, Processor } from '@nestjs/bull';
import { Inject, Optional } from '@nestjs/common';
import type { Job } from 'bull';
import { LEDGER_EVENTS, LedgerEvents } from '../message-log/ledger-events';
import { BroadcastAudiences } from './broadcast-audience';
import { BroadcastFanOut } from './broadcast-fan-out';
import { BROADCAST_QUEUE, FAN_OUT_JOB, FanOutJobData } from './broadcast.jobs';
import { BroadcastRepository } from './broadcast.repository';
import { TemplateValidator } from '../template/template-validator';

/** Worker side of the broadcast queue: starts each activation's fan-out into send jobs. */
@Processor(BROADCAST_QUEUE)
export class BroadcastProcessor {
  constructor(
    private readonly broadcasts: BroadcastRepository,
    private readonly windows: BroadcastFanOut,
    private readonly audiences: BroadcastAudiences,
    private readonly templates: TemplateValidator,
    @Optional() @Inject(LEDGER_EVENTS) private readonly events?: LedgerEvents,
  ) {}

  /**
   * Starts a scheduled broadcast whose time has come (resolving its audience, if it has one, and
   * checking its template against the catalogue again), then
   * adds the send jobs of its first window of pending recipients (the worker tops it up as they are
   * sent; see BroadcastFanOut); safe to re-run (job ids are derived from the recipients and the
   * activation). A resumed or retried broadcast with nothing left pending is finished here.
   */
  @Process(FAN_OUT_JOB)
  async fanOut(job: Job<FanOutJobData>): Promise<{ enqueued: number }> {
    const { broadcastId } = job.data;
    await this.broadcasts.startIfDue(broadcastId);
    // A scheduled broadcast to an audience gets its recipients now: the audience as it is at send_at.
    await this.audiences.resolveAtStart(broadcastId);
    const broadcast = await this.broadcasts.findSendContext(broadcastId);
    if (broadcast?.status !== 'sending') return { enqueued: 0 };
    const { template } = broadcast.message;
    // A template paused, disabled or deleted since the broadcast was accepted holds it or fails its recipients instead.
    if (template && !(await this.templates.admitBroadcastStart(broadcast.client_id.toHexString(), broadcast.session_id.toHexString(), broadcastId, template))) return { enqueued: 0 };
    const topUp = await this.windows.topUp(broadcastId, broadcast.session_id.toHexString(), { waitForTurn: true });
    if (!topUp) return { enqueued: 0 };
    if (topUp.pending === 0) {
      const completion = await this.broadcasts.finishIfDone(broadcast.client_id.toHexString(), broadcastId);
      if (completion) this.events?.broadcastFinished(broadcastId, completion);
    }
    return { enqueued: topUp.enqueued };
  }
}
