import Redis from 'ioredis';
import { Types } from 'mongoose';
import { randomBytes } from 'node:crypto';
import type { AppConfig } from '../config';
import { redisOptionsFromUrl } from '../core/redis-options';
import type { SessionCache } from '../sending/session-cache';
import { BroadcastFanOut } from './broadcast-fan-out';
import type { BroadcastPauseSignal } from './broadcast-pause.signal';
import type { BroadcastSendJobs } from './broadcast-send-jobs';
import type { BroadcastStopSignal } from './broadcast-stop.signal';
import type { BroadcastRepository, FanOutSlice } from './broadcast.repository';

/** One top-up per broadcast at a time, with the turn kept in a real Redis (the window's relative $inc is exact only so). */
describe('BroadcastFanOut turn (real Redis)', () => {
  let redis: Redis;
  const broadcastId = new Types.ObjectId().toHexString();
  const sessionId = new Types.ObjectId().toHexString();
  const next: FanOutSlice = { broadcastId, clientId: sessionId, sessionId, activatedAt: new Date(), window: 0, pending: 10, recipients: ['2348030000001', '2348030000002'] };

  beforeAll(() => {
    redis = new Redis({ ...redisOptionsFromUrl(process.env.REDIS_URL ?? ''), keyPrefix: `t${randomBytes(4).toString('hex')}:` });
  });
  afterAll(() => redis.quit());

  /** A fan-out whose adding of jobs takes `addMs`, counting the top-ups that added. */
  function fanOutTaking(addMs: number): { fanOut: BroadcastFanOut; advances: number[] } {
    const advances: number[] = [];
    const broadcasts = {
      findFanOutNext: async () => next,
      advanceFanOut: async (_id: string, _activatedAt: Date | null, count: number) => void advances.push(count),
    };
    const sendJobs = {
      enqueueRecipients: async (_broadcast: FanOutSlice, recipients: string[]) => {
        await new Promise((resolve) => setTimeout(resolve, addMs));
        return recipients.length;
      },
    };
    const signal = { isRaised: async () => false, isPaused: async () => false };
    const sessions = { get: async () => null };
    const config = { sending: { sessionRateLimitPerSecond: 80, fanOutWindow: { seconds: 60, min: 500, max: 20_000 } } } as AppConfig;
    const fanOut = new BroadcastFanOut(
      broadcasts as unknown as BroadcastRepository,
      sendJobs as unknown as BroadcastSendJobs,
      sessions as unknown as SessionCache,
      signal as unknown as BroadcastStopSignal,
      signal as unknown as BroadcastPauseSignal,
      config,
      redis,
    );
    return { fanOut, advances };
  }

  it('lets one of two concurrent top-ups of a broadcast add, the other leaving it to the first', async () => {
    const { fanOut, advances } = fanOutTaking(200);
    const results = await Promise.all([fanOut.topUp(broadcastId, sessionId), fanOut.topUp(broadcastId, sessionId)]);
    expect(results.filter((result) => result !== null)).toEqual([{ enqueued: 2, settled: 0, pending: 10 }]);
    expect(advances).toEqual([2]);
    // The turn is given back: the next top-up takes it.
    expect(await fanOut.topUp(broadcastId, sessionId)).toMatchObject({ enqueued: 2 });
  });

  it("waits for the turn when asked (a new activation's first fan-out), then tops up after the holder", async () => {
    const { fanOut, advances } = fanOutTaking(200);
    const holder = fanOut.topUp(broadcastId, sessionId);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const waiting = await fanOut.topUp(broadcastId, sessionId, { waitForTurn: true });
    expect(waiting).toMatchObject({ enqueued: 2 });
    await holder;
    expect(advances).toEqual([2, 2]);
  });
});
