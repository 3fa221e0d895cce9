import type { BroadcastEventOf } from '../template/template-broadcasts';

/** Why the service paused a broadcast: its number was FLAGGED by Meta for low quality (resuming is the client's decision). */
export const NUMBER_FLAGGED_REASON = 'number_flagged';

/**
 * Port through which a FLAGGED number pauses its running marketing broadcasts, through the same
 * pause as POST /broadcast/:id/pause (the broadcast module provides it, globally).
 */
export interface FlaggedNumberBroadcasts {
  /**
   * `sending` and `scheduled` broadcasts of the session sending a marketing template → `paused`
   * (number_flagged), each update recording `pausedEvent` (published right after); answers their ids.
   */
  pauseMarketingOf(clientId: string, sessionId: string, pausedEvent: BroadcastEventOf): Promise<string[]>;
}

export const FLAGGED_NUMBER_BROADCASTS = Symbol('FLAGGED_NUMBER_BROADCASTS');
