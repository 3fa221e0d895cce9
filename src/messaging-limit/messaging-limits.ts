import { Injectable, Logger } from '@nestjs/common';
import { portfolioOf, SessionRecord, SessionRepository } from '../auth';
import { Clock } from '../core/clock';
import { MessageLogRepository } from '../message-log/message-log.repository';
import { LIMIT_WINDOW_MS, LimitStanding, MessagingLimitCounter } from './messaging-limit-counter';
import { PortfolioRepository } from './portfolio.repository';
import type { LimitSource } from './portfolio.schema';

/** A portfolio's limit is read again after this long: a change made elsewhere reaches every worker soon. */
export const LIMIT_CACHE_TTL_MS = 5000;

/** Why a recipient's message waits: sending it now would exceed the portfolio's messaging limit. */
export interface LimitWait {
  waitUntil: Date;
}

/** A portfolio's limit and its count now. */
export interface PortfolioLimitView {
  portfolio_id: string;
  /** People a portfolio may start conversations with in a moving 24 hours; null: none enforced. */
  messaging_limit: number | null;
  /** Unique people reached by business-initiated messages in the last 24 hours. */
  reached_in_window: number;
  /** When the window next frees room (the oldest of them leaves it); null while it has room or none is counted. */
  next_room_at: Date | null;
}

/**
 * The business portfolio's messaging limit, kept (Meta: unique people reached outside their
 * customer-service window in a moving 24 hours, shared by every number of the portfolio):
 * business-initiated messages are admitted one by one against an exact count in Redis (see
 * MessagingLimitCounter), rebuilt from the ledger when Redis lost it.
 */
@Injectable()
export class MessagingLimits {
  private readonly logger = new Logger(MessagingLimits.name);
  private readonly limits = new Map<string, { loading: Promise<number | null>; loadedAt: number }>();

  constructor(
    private readonly portfolios: PortfolioRepository,
    private readonly counter: MessagingLimitCounter,
    private readonly sessions: SessionRepository,
    private readonly messageLogs: MessageLogRepository,
    private readonly clock: Clock,
  ) {}

  /** The time the moving window is measured at (the injected clock). */
  now(): number {
    return this.clock.now().getTime();
  }

  /** Null when the session may send a business-initiated message to the recipient now (it is then counted), else until when it waits. */
  async admit(session: SessionRecord, recipient: string): Promise<LimitWait | null> {
    const clientId = session.client_id.toHexString();
    const portfolioId = portfolioOf(session);
    const limit = await this.limitOf(clientId, portfolioId);
    if (limit === null) return null;
    const key = `${clientId}:${portfolioId}`;
    const now = this.clock.now().getTime();
    let admission = await this.counter.admit(key, recipient, limit, now);
    if (!admission.admitted && 'rebuild' in admission) {
      await this.rebuild(clientId, portfolioId, now);
      admission = await this.counter.admit(key, recipient, limit, now);
    }
    if (admission.admitted) return null;
    // A second loss between the rebuild and the admission: wait a moment rather than count blind.
    return { waitUntil: new Date('roomAt' in admission ? admission.roomAt : now + 1000) };
  }

  /** The portfolio's limit and count (GET /portfolios/:id, the delivery plan). */
  async standing(clientId: string, portfolioId: string): Promise<{ limit: number | null; standing: LimitStanding }> {
    const limit = await this.limitOf(clientId, portfolioId);
    const key = `${clientId}:${portfolioId}`;
    const now = this.clock.now().getTime();
    let standing = await this.counter.standing(key, now);
    if (!standing) {
      await this.rebuild(clientId, portfolioId, now);
      standing = (await this.counter.standing(key, now)) ?? { reached: new Map(), times: [] };
    }
    return { limit, standing };
  }

  async view(clientId: string, portfolioId: string): Promise<PortfolioLimitView> {
    const { limit, standing } = await this.standing(clientId, portfolioId);
    const full = limit !== null && standing.times.length >= limit;
    return {
      portfolio_id: portfolioId,
      messaging_limit: limit,
      reached_in_window: standing.times.length,
      next_room_at: full && standing.times.length > 0 ? new Date(standing.times[0] + LIMIT_WINDOW_MS) : null,
    };
  }

  /** Sets the portfolio's limit (null: none enforced); every worker reads it within LIMIT_CACHE_TTL_MS. */
  async setLimit(clientId: string, portfolioId: string, limit: number | null, source: LimitSource): Promise<PortfolioLimitView> {
    await this.portfolios.setLimit(clientId, portfolioId, limit, source);
    this.limits.delete(`${clientId}:${portfolioId}`);
    return this.view(clientId, portfolioId);
  }

  private limitOf(clientId: string, portfolioId: string): Promise<number | null> {
    const key = `${clientId}:${portfolioId}`;
    const cached = this.limits.get(key);
    if (cached && Date.now() - cached.loadedAt < LIMIT_CACHE_TTL_MS) return cached.loading;
    const loading = this.portfolios.find(clientId, portfolioId).then((found) => found?.messaging_limit ?? null);
    void loading.catch(() => this.limits.delete(key));
    this.limits.set(key, { loading, loadedAt: Date.now() });
    return loading;
  }

  /**
   * Redis lost the count: every recipient the portfolio's sessions got a message accepted for in
   * the window counts again (in-window ones too: the rebuild errs on the side of waiting).
   */
  private async rebuild(clientId: string, portfolioId: string, now: number): Promise<void> {
    const sessionIds = (await this.sessions.listByClient(clientId)).filter((session) => portfolioOf(session) === portfolioId).map(({ _id }) => _id.toHexString());
    const sent = await this.messageLogs.recipientsSentSince(clientId, sessionIds, new Date(now - LIMIT_WINDOW_MS));
    await this.counter.rebuild(
      `${clientId}:${portfolioId}`,
      sent.map(({ recipient, at }) => ({ recipient, at: at.getTime() })),
    );
    this.logger.log({ clientId, portfolioId, recipients: sent.length }, 'Messaging-limit count rebuilt from the ledger');
  }
}
