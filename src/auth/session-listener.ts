import type { SessionRecord } from './session.schema';

/**
 * Port through which features hear of a session created over the API (the template module reads
 * its catalogue). Provided from a @Global() module; without one, nothing listens.
 */
export interface SessionListener {
  /** Called once the session is stored; returns at once (work it starts runs in the background). */
  sessionCreated(session: SessionRecord): void;
}

export const SESSION_LISTENER = Symbol('SESSION_LISTENER');
