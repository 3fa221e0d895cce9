import { Inject, Injectable } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { RedisClient } from '../core/redis-connection';
import { REDIS } from '../core/redis.module';

const RATE_KEY_PREFIX = 'rate:session:';

/**
 * GCRA (a token bucket kept as one "theoretical arrival time" per session, in Redis),
 * reserving ARGV[3] consecutive slots at once. Returns, in ms, when the first slot may be
 * used relative to now (negative: already), so that slot i may be used at that + i * interval;
 * a second's worth of messages may go at once. ARGV[1]: ms between messages; ARGV[2]: burst
 * tolerance in ms.
 */
const RESERVE_SLOTS_SCRIPT = `
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local interval, burst, count = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < now then tat = now end
local next = tat + interval * count
redis.call('SET', KEYS[1], string.format('%.3f', next), 'PX', math.ceil(next - now) + 1000)
return math.ceil(tat - burst - now)
`;

/**
 * Moves the session's next slot to no sooner than ARGV[1] ms from now (a limit of the sender was
 * hit): its arrival time goes a second further, past any burst tolerance (which is under a second).
 */
const HOLD_OFF_SCRIPT = `
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local until_ = now + tonumber(ARGV[1]) + 1000
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < until_ then redis.call('SET', KEYS[1], string.format('%.3f', until_), 'PX', tonumber(ARGV[1]) + 2000) end
return 1
`;

/** About a tenth of a second's worth of slots per reservation: ~10 Redis calls a second per busy session and process. */
export function slotsPerReservation(perSecond: number): number {
  return Math.max(1, Math.min(100, Math.floor(perSecond / 10)));
}

/** A reserved slot unused for this long is dropped: used late, beside other processes' slots used on time, it would exceed the rate. */
const SLOT_SHELF_LIFE_MS = 100;

/**
 * How far ahead a process reserves a session's slots. Sends beyond that wait here, not in
 * Redis, so that a stop or pause reaches them before they take a slot: reserved slots a
 * stopped broadcast never uses would delay the session's other messages.
 */
export const RESERVATION_LOOKAHEAD_MS = 1000;

interface SessionSlots {
  /** When each reserved slot may be used (local clock), in order. */
  slots: number[];
  /** When the last slot reserved so far may be used. */
  reservedUntil: number;
  reserving: Promise<void> | null;
}

/**
 * Per-session send rate shared by every worker. Bull 4's limiter is one rate per queue,
 * so a per-session, per-session-configurable rate is kept in Redis here; each process
 * reserves slots in blocks and hands them to its sends in order, and each send waits for
 * its slot (the wait holds a worker slot, which is why WORKER_CONCURRENCY should exceed the
 * number of sessions sending at once).
 */
@Injectable()
export class SessionRateLimiter {
  private readonly sessions = new Map<string, SessionSlots>();

  constructor(@Inject(REDIS) private readonly redis: RedisClient) {}

  /**
   * Resolves true when this session may make one more provider call at `perSecond` messages a
   * second, or false as soon as `giveUp` says so before a slot was taken (asked before each
   * reservation: at most a few times a second).
   */
  async acquire(sessionId: string, perSecond: number, giveUp?: () => Promise<boolean>): Promise<boolean> {
    const state = this.slotsOf(sessionId);
    for (;;) {
      const slot = state.slots.shift();
      if (slot !== undefined) {
        const now = Date.now();
        if (slot < now - SLOT_SHELF_LIFE_MS) continue;
        if (slot > now) await sleep(slot - now);
        return true;
      }
      if (giveUp && (await giveUp())) return false;
      state.reserving ??= this.reserve(sessionId, perSecond, state).finally(() => {
        state.reserving = null;
      });
      await state.reserving;
    }
  }

  /**
   * No send of the session goes for `ms`, from any process: its shared arrival time moves past the
   * pause, and the slots this process reserved ahead are dropped (another process uses at most a
   * second's worth of its own).
   */
  async holdOff(sessionId: string, ms: number): Promise<void> {
    await this.redis.eval(HOLD_OFF_SCRIPT, 1, `${RATE_KEY_PREFIX}${sessionId}`, Math.ceil(ms));
    const state = this.slotsOf(sessionId);
    state.slots.length = 0;
    state.reservedUntil = 0;
  }

  /** Reserves the next block of slots, once the slots reserved so far reach less than RESERVATION_LOOKAHEAD_MS ahead. */
  private async reserve(sessionId: string, perSecond: number, state: SessionSlots): Promise<void> {
    const ahead = state.reservedUntil - Date.now() - RESERVATION_LOOKAHEAD_MS;
    if (ahead > 0) {
      await sleep(ahead);
      // Waiting sends ask `giveUp` again before this reservation is made.
      return;
    }
    const interval = 1000 / perSecond;
    const count = slotsPerReservation(perSecond);
    const firstInMs = Number(await this.redis.eval(RESERVE_SLOTS_SCRIPT, 1, `${RATE_KEY_PREFIX}${sessionId}`, interval, 1000 - interval, count));
    const now = Date.now();
    for (let index = 0; index < count; index++) state.slots.push(now + Math.max(0, firstInMs + index * interval));
    state.reservedUntil = state.slots[state.slots.length - 1];
  }

  private slotsOf(sessionId: string): SessionSlots {
    let state = this.sessions.get(sessionId);
    if (!state) {
      state = { slots: [], reservedUntil: 0, reserving: null };
      this.sessions.set(sessionId, state);
    }
    return state;
  }
}
