import { Injectable } from '@nestjs/common';
import { SessionRecord, SessionRepository } from '../auth';

/** Long enough to spare a read per message, short enough that a session marked unhealthy elsewhere stops soon. */
export const SESSION_CACHE_TTL_MS = 5000;
const MAX_CACHED_SESSIONS = 1000;

/** The sending sessions of this worker, read once per session every few seconds instead of once per message. */
@Injectable()
export class SessionCache {
  private readonly sessions = new Map<string, { loading: Promise<SessionRecord | null>; loadedAt: number }>();

  constructor(private readonly repository: SessionRepository) {}

  get(sessionId: string): Promise<SessionRecord | null> {
    const cached = this.sessions.get(sessionId);
    if (cached && Date.now() - cached.loadedAt < SESSION_CACHE_TTL_MS) return cached.loading;
    const loading = this.repository.findById(sessionId);
    // A failed read is not remembered.
    void loading.catch(() => this.sessions.delete(sessionId));
    if (this.sessions.size >= MAX_CACHED_SESSIONS) this.sessions.delete(this.sessions.keys().next().value!);
    this.sessions.set(sessionId, { loading, loadedAt: Date.now() });
    return loading;
  }

  /** This worker changed the session (marked it unhealthy): the next message reads it again. */
  forget(sessionId: string): void {
    this.sessions.delete(sessionId);
  }
}
