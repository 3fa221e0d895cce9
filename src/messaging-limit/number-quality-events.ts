import { eventId, PublishedEvent } from '../event-webhook/client-events';
import type { SessionRecord } from '../auth';
import { portfolioOf } from '../auth';
import { NUMBER_FLAGGED_REASON } from './flagged-number-broadcasts';

/** What Meta said of a number, as the receiver applied it to one session. */
export interface QualityChange {
  session: Pick<SessionRecord, '_id' | 'client_id' | 'name' | 'phone_number' | 'portfolio_id'>;
  /** FLAGGED, UNFLAGGED, UPGRADE, DOWNGRADE...; null for a capability update (a limit only). */
  quality: string | null;
  /** The portfolio's messaging limit it gave (undefined: none given; null: unlimited). */
  messagingLimit?: number | null;
  /** Broadcasts a FLAGGED number paused. */
  pausedBroadcasts: string[];
  /** Meta's `entry[].time` (seconds), which a redelivered webhook repeats: part of the event's id. */
  metaTime: number | null;
  at: Date;
}

/** Meta's time when it gave one (a redelivered webhook repeats it), else ours: part of the events' ids. */
const whenOf = ({ metaTime, at }: Pick<QualityChange, 'metaTime' | 'at'>): string => (metaTime === null ? at.toISOString() : String(metaTime));

/**
 * `session.quality_changed` for the session's client, naming the broadcasts its FLAGGED number
 * paused. Its id follows from the session, what Meta said and Meta's time, so a webhook Meta
 * delivers twice makes no second delivery.
 */
export function qualityChangedEvent(change: QualityChange): PublishedEvent {
  const { session, quality, messagingLimit, pausedBroadcasts, at } = change;
  const sessionId = session._id.toHexString();
  return {
    clientId: session.client_id.toHexString(),
    event: {
      id: eventId(sessionId, 'session.quality_changed', String(quality), String(messagingLimit), whenOf(change)),
      type: 'session.quality_changed',
      created_at: at.toISOString(),
      data: {
        session: { id: sessionId, name: session.name, phone_number: session.phone_number, portfolio_id: portfolioOf(session) },
        quality,
        ...(messagingLimit !== undefined ? { messaging_limit: messagingLimit } : {}),
        paused_broadcasts: pausedBroadcasts,
      },
    },
    orderKey: null,
    rank: 0,
  };
}

/** `broadcast.paused` for a broadcast the session's FLAGGED number paused (`paused_reason: number_flagged`); its id follows like the session's event's. */
export function flaggedPauseEvent(change: Omit<QualityChange, 'pausedBroadcasts'>, broadcastId: string): PublishedEvent {
  const { session, quality, at } = change;
  return {
    clientId: session.client_id.toHexString(),
    event: {
      id: eventId(broadcastId, 'broadcast.paused', NUMBER_FLAGGED_REASON, whenOf(change)),
      type: 'broadcast.paused',
      created_at: at.toISOString(),
      data: { broadcast: { id: broadcastId, status: 'paused', paused_reason: NUMBER_FLAGGED_REASON }, session: { id: session._id.toHexString(), quality } },
    },
    orderKey: null,
    rank: 0,
  };
}
