import { Inject, Injectable, Optional } from '@nestjs/common';
import { LEDGER_EVENTS, LedgerEvents } from '../message-log/ledger-events';
import { FlaggedNumberBroadcasts, NUMBER_FLAGGED_REASON } from '../messaging-limit/flagged-number-broadcasts';
import type { BroadcastEventOf } from '../template/template-broadcasts';
import { BroadcastPauseControl } from './broadcast-pause-control';
import { BroadcastRepository } from './broadcast.repository';

/** A FLAGGED number's hold on its marketing broadcasts: the record says `paused` (number_flagged) first, then the workers' signal and queued jobs follow. */
@Injectable()
export class BroadcastFlagHold implements FlaggedNumberBroadcasts {
  constructor(
    private readonly broadcasts: BroadcastRepository,
    private readonly pauseControl: BroadcastPauseControl,
    @Optional() @Inject(LEDGER_EVENTS) private readonly events?: LedgerEvents,
  ) {}

  async pauseMarketingOf(clientId: string, sessionId: string, pausedEvent: BroadcastEventOf): Promise<string[]> {
    const paused: string[] = [];
    for (const { _id } of await this.broadcasts.findRunningMarketingOfSession(clientId, sessionId)) {
      const at = new Date();
      const event = pausedEvent(_id.toHexString(), at);
      const broadcast = await this.broadcasts.pauseFor(clientId, _id.toHexString(), NUMBER_FLAGGED_REASON, [event], at);
      if (!broadcast) continue;
      await this.pauseControl.hold(_id.toHexString(), broadcast.activated_at);
      await this.events?.clientEventsRecorded([{ outbox: this.broadcasts.outbox, id: broadcast._id, events: [event] }]);
      paused.push(_id.toHexString());
    }
    return paused;
  }
}
