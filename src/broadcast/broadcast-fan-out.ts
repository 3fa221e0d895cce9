import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Inject, Injectable } from '@nestjs/common';
import { AppConfig } from '../config';
import { RedisClient } from '../core/redis-connection';
import { REDIS } from '../core/redis.module';
import { SessionCache } from '../sending/session-cache';
import { BroadcastPauseSignal } from './broadcast-pause.signal';
import { BroadcastSendJobs } from './broadcast-send-jobs';
import { BroadcastStopSignal } from './broadcast-stop.signal';
import { BroadcastRepository, FanOutPosition, FanOutSlice } from './broadcast.repository';
import { RELEASE_IF_HELD } from '../core/redis-lock';

/** Not under `broadcast:`, where the broadcast queue's jobs (`broadcast:fan-out:<id>`) live. */
const TURN_KEY_PREFIX = 'fan-out-turn:';
/** Longer than a top-up of the largest window takes; a worker that dies holding the turn frees it after this. */
const TURN_HOLD_MS = 30_000;
const TURN_POLL_MS = 100;

/** What a top-up did: the recipients it added (or settled), and how many were pending in all (0: nothing left to send). */
export interface TopUp {
  enqueued: number;
  settled: number;
  pending: number;
}

export interface TopUpOptions {
  /** Wait for another top-up of the broadcast to end rather than leave the work to it (a new activation's first fan-out). */
  waitForTurn?: boolean;
  /**
   * Asked before the next recipients are added: moves those whose message already ended out of
   * `pending` (the sweep, after a worker died before writing their progress) and answers them.
   */
  settleEnded?: (next: FanOutSlice) => Promise<string[]>;
}

/** Thrown when a top-up that must happen (a fan-out job) could not take the broadcast's turn in time: Bull retries the job. */
export class FanOutBusyError extends Error {}

/**
 * The send jobs a broadcast keeps in Redis: `seconds` of its session's rate, never fewer than
 * `min` nor more than `max` (FAN_OUT_WINDOW_*).
 */
export function fanOutWindowSize(perSecond: number, { seconds, min, max }: AppConfig['sending']['fanOutWindow']): number {
  return Math.min(max, Math.max(min, Math.ceil(perSecond * seconds)));
}

/**
 * The windowed fan-out: a sending broadcast has send jobs in Redis for the first `window`
 * recipients of `pending` (its position, kept in MongoDB), and a top-up adds the next ones, in
 * order, until the window holds about a minute of the session's sending. Outcomes take
 * recipients out of the window; the worker tops it up once it falls below half, so that Redis
 * holds a broadcast by its session's rate, never by its size. One top-up per broadcast at a
 * time (a short turn in Redis): the window's `$inc` is relative, and exact only so.
 */
@Injectable()
export class BroadcastFanOut {
  constructor(
    private readonly broadcasts: BroadcastRepository,
    private readonly sendJobs: BroadcastSendJobs,
    private readonly sessions: SessionCache,
    private readonly stopSignal: BroadcastStopSignal,
    private readonly pauseSignal: BroadcastPauseSignal,
    private readonly config: AppConfig,
    @Inject(REDIS) private readonly redis: RedisClient,
  ) {}

  /** How many send jobs a broadcast of this session keeps in Redis. */
  async windowSize(sessionId: string): Promise<number> {
    const session = await this.sessions.get(sessionId);
    return fanOutWindowSize(session?.rate_limit_per_second ?? this.config.sending.sessionRateLimitPerSecond, this.config.sending.fanOutWindow);
  }

  /** Tops the window up if it has fallen below half (outcomes took recipients out of it); null when it had not, or see topUp. */
  async topUpIfLow(position: FanOutPosition, options: TopUpOptions = {}): Promise<TopUp | null> {
    const size = await this.windowSize(position.sessionId);
    return position.window * 2 < size ? this.topUp(position.broadcastId, position.sessionId, options) : null;
  }

  /**
   * Adds the send jobs of the recipients after the window, in order, until it holds a full
   * window, then counts them in. Null when the broadcast is not sending, or when another
   * top-up of it is under way (that one fills the window); with `waitForTurn`, waits for that
   * one to end and then tops up (a new activation's first fan-out must not be skipped).
   */
  async topUp(broadcastId: string, sessionId: string, { waitForTurn = false, settleEnded }: TopUpOptions = {}): Promise<TopUp | null> {
    const turnKey = `${TURN_KEY_PREFIX}${broadcastId}`;
    const token = randomUUID();
    const giveUpAt = Date.now() + TURN_HOLD_MS;
    while ((await this.redis.set(turnKey, token, 'PX', TURN_HOLD_MS, 'NX')) !== 'OK') {
      if (!waitForTurn) return null;
      if (Date.now() > giveUpAt) throw new FanOutBusyError(`Another fan-out of broadcast ${broadcastId} is still under way`);
      await sleep(TURN_POLL_MS);
    }
    try {
      const next = await this.broadcasts.findFanOutNext(broadcastId, await this.windowSize(sessionId));
      if (!next) return null;
      const settled = settleEnded && next.recipients.length > 0 ? new Set(await settleEnded(next)) : new Set<string>();
      const recipients = settled.size > 0 ? next.recipients.filter((recipient) => !settled.has(recipient)) : next.recipients;
      const stoppedOrPaused = async () => (await this.stopSignal.isRaised(broadcastId)) || (await this.pauseSignal.isPaused(broadcastId));
      // Beyond the window no job of this activation waits or runs; a finished one there is a retried recipient's, to send again.
      const enqueued = await this.sendJobs.enqueueRecipients(next, recipients, { shouldStop: stoppedOrPaused, replaceFinished: true });
      // Moving the settled ones out of `pending` took them off the window, which they were never in: given back here.
      await this.broadcasts.advanceFanOut(broadcastId, next.activatedAt, enqueued + settled.size);
      return { enqueued, settled: settled.size, pending: next.pending };
    } finally {
      await this.redis.eval(RELEASE_IF_HELD, 1, turnKey, token);
    }
  }
}
