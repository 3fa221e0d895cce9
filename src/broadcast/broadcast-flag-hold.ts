import { Injectable } from '@nestjs/common';
import { FlaggedNumberBroadcasts, NUMBER_FLAGGED_REASON } from '../messaging-limit/flagged-number-broadcasts';
import { BroadcastPauseControl } from './broadcast-pause-control';
import { BroadcastRepository } from './broadcast.repository';

/** A FLAGGED number's hold on its marketing broadcasts: the record says `paused` (number_flagged) first, then the workers' signal and queued jobs follow. */
@Injectable()
export class BroadcastFlagHold implements FlaggedNumberBroadcasts {
  constructor(
    private readonly broadcasts: BroadcastRepository,
    private readonly pauseControl: BroadcastPauseControl,
  ) {}

  async pauseMarketingOf(clientId: string, sessionId: string): Promise<string[]> {
    const paused: string[] = [];
    for (const { _id } of await this.broadcasts.findRunningMarketingOfSession(clientId, sessionId)) {
      const broadcast = await this.broadcasts.pauseFor(clientId, _id.toHexString(), NUMBER_FLAGGED_REASON);
      if (!broadcast) continue;
      await this.pauseControl.hold(_id.toHexString(), broadcast.activated_at);
      paused.push(_id.toHexString());
    }
    return paused;
  }
}
