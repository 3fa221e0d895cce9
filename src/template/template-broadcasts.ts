import type { PublishedEvent } from '../event-webhook/client-events';
import type { MessageFailure } from '../message-log/message-log.repository';

/** The broadcasts of one client's sessions that send one template (a name in a language). */
export interface TemplateUse {
  clientId: string;
  sessionIds: string[];
  name: string;
  language: string;
}

/** Why a broadcast was paused by the service rather than by its client. */
export const TEMPLATE_PAUSED_REASON = 'template_paused';

/** The event that tells a client one of its broadcasts was paused or resumed by the service (`at`: when it is written). */
export type BroadcastEventOf = (broadcastId: string, at: Date) => PublishedEvent;

/**
 * Port through which the template lifecycle holds, releases and ends the broadcasts that send a
 * template that stopped (or started again) being sendable. The broadcast module provides it (from a
 * @Global() module) with its own pause machinery; without one, broadcasts are left alone.
 */
export interface TemplateBroadcasts {
  /**
   * `sending` and `scheduled` broadcasts sending the template → `paused` with paused_reason
   * template_paused, each update recording `pausedEvent` (published right after); answers their ids.
   */
  pauseUsing(use: TemplateUse, pausedEvent: BroadcastEventOf): Promise<string[]>;
  /** Broadcasts paused for the template go on (or back to `scheduled` when their time has not come), recording and publishing `resumedEvent`; answers their ids. */
  resumeUsing(use: TemplateUse, resumedEvent: BroadcastEventOf): Promise<string[]>;
  /** The pending recipients of unfinished broadcasts sending the template fail with this reason; answers the broadcasts' ids. */
  failPendingUsing(use: TemplateUse, failure: MessageFailure): Promise<string[]>;
  /** One `sending` or `scheduled` broadcast → `paused` with paused_reason template_paused, recording and publishing `pausedEvent`; false when it was in neither. */
  pauseOne(clientId: string, broadcastId: string, pausedEvent: BroadcastEventOf): Promise<boolean>;
  /** One `sending` or `scheduled` broadcast's pending recipients fail with this reason; false when it was in neither. */
  failPendingOf(clientId: string, broadcastId: string, failure: MessageFailure): Promise<boolean>;
}

export const TEMPLATE_BROADCASTS = Symbol('TEMPLATE_BROADCASTS');
