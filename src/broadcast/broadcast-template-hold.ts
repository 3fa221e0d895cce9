import { Inject, Injectable, Optional } from '@nestjs/common';
import { LEDGER_EVENTS, LedgerEvents } from '../message-log/ledger-events';
import { MessageFailure, MessageLogRepository } from '../message-log/message-log.repository';
import { BroadcastEventOf, TEMPLATE_PAUSED_REASON, TemplateBroadcasts, TemplateUse } from '../template/template-broadcasts';
import { BroadcastPauseControl } from './broadcast-pause-control';
import { BroadcastRepository } from './broadcast.repository';

/**
 * The template lifecycle's hold on broadcasts, through the same pause machinery as
 * POST /broadcast/:id/pause: the record says `paused` (with paused_reason template_paused) first,
 * then the workers' signal and the queued jobs follow; recipients stay `pending` until the
 * template is approved again. A disabled template's broadcasts fail what they have pending.
 */
@Injectable()
export class BroadcastTemplateHold implements TemplateBroadcasts {
  constructor(
    private readonly broadcasts: BroadcastRepository,
    private readonly pauseControl: BroadcastPauseControl,
    private readonly messageLogs: MessageLogRepository,
    @Optional() @Inject(LEDGER_EVENTS) private readonly events?: LedgerEvents,
  ) {}

  async pauseUsing(use: TemplateUse, pausedEvent: BroadcastEventOf): Promise<string[]> {
    const paused: string[] = [];
    for (const { _id } of await this.broadcasts.findUsingTemplate(use, ['sending', 'scheduled'])) {
      if (await this.pauseOne(use.clientId, _id.toHexString(), pausedEvent)) paused.push(_id.toHexString());
    }
    return paused;
  }

  async pauseOne(clientId: string, broadcastId: string, pausedEvent: BroadcastEventOf): Promise<boolean> {
    const at = new Date();
    const event = pausedEvent(broadcastId, at);
    const broadcast = await this.broadcasts.pauseFor(clientId, broadcastId, TEMPLATE_PAUSED_REASON, [event], at);
    if (!broadcast) return false;
    await this.pauseControl.hold(broadcastId, broadcast.activated_at);
    await this.events?.clientEventsRecorded([{ outbox: this.broadcasts.outbox, id: broadcast._id, events: [event] }]);
    return true;
  }

  async resumeUsing(use: TemplateUse, resumedEvent: BroadcastEventOf): Promise<string[]> {
    const resumed: string[] = [];
    for (const { _id } of await this.broadcasts.findUsingTemplate({ ...use, pausedReason: TEMPLATE_PAUSED_REASON }, ['paused'])) {
      const at = new Date();
      const event = resumedEvent(_id.toHexString(), at);
      const broadcast = await this.broadcasts.resumeFrom(use.clientId, _id.toHexString(), TEMPLATE_PAUSED_REASON, [event], at);
      if (!broadcast) continue;
      await this.pauseControl.release(_id.toHexString(), broadcast.activated_at, broadcast.status === 'scheduled' ? broadcast.send_at : null);
      await this.events?.clientEventsRecorded([{ outbox: this.broadcasts.outbox, id: broadcast._id, events: [event] }]);
      resumed.push(_id.toHexString());
    }
    return resumed;
  }

  /**
   * Holds each unfinished broadcast, then fails its pending recipients whose message has not
   * reached the provider (no ledger entry, or one no attempt holds), in the ledger first; a
   * recipient an attempt is sending right now is left to that attempt's outcome, so that none is
   * in two arrays.
   */
  async failPendingUsing(use: TemplateUse, failure: MessageFailure): Promise<string[]> {
    const ended: string[] = [];
    for (const { _id, status } of await this.broadcasts.findUsingTemplate(use, ['sending', 'scheduled', 'paused'])) {
      if (await this.failPending(use.clientId, _id.toHexString(), status === 'paused', failure)) ended.push(_id.toHexString());
    }
    return ended;
  }

  failPendingOf(clientId: string, broadcastId: string, failure: MessageFailure): Promise<boolean> {
    return this.failPending(clientId, broadcastId, false, failure);
  }

  private async failPending(clientId: string, id: string, alreadyPaused: boolean, failure: MessageFailure): Promise<boolean> {
    const held = alreadyPaused ? true : await this.broadcasts.pauseFor(clientId, id, TEMPLATE_PAUSED_REASON);
    if (!held) return false;
    if (!alreadyPaused) await this.pauseControl.hold(id, null);
    const paused = await this.broadcasts.findPendingOfPaused(clientId, id);
    if (!paused) return false;
    // The ledger first: a worker that has not seen the pause yet can no longer send one of these.
    const unsent = await this.messageLogs.failUnsentOfBroadcast(
      { clientId, sessionId: paused.session_id.toHexString(), broadcastId: id, message: paused.message },
      paused.pending,
      failure,
    );
    if (!(await this.broadcasts.failPendingOfPaused(clientId, id, unsent))) return false;
    const completion = await this.broadcasts.finishIfDone(clientId, id);
    if (completion) this.events?.broadcastFinished(id, completion);
    // Recipients still pending are being sent: their attempts decide. No fan-out: it would check the
    // template again at its start and come back here while they are under way.
    else await this.pauseControl.endHold(id);
    return true;
  }
}
