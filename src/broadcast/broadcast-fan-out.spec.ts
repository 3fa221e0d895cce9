import { Types } from 'mongoose';
import type { AppConfig } from '../config';
import type { RedisClient } from '../core/redis-connection';
import type { SessionCache } from '../sending/session-cache';
import { BroadcastFanOut, fanOutWindowSize } from './broadcast-fan-out';
import type { BroadcastPauseSignal } from './broadcast-pause.signal';
import type { BroadcastSendJobs } from './broadcast-send-jobs';
import type { BroadcastStopSignal } from './broadcast-stop.signal';
import type { BroadcastRepository, FanOutSlice } from './broadcast.repository';

const WINDOW = { seconds: 60, min: 500, max: 20_000 };

describe('fanOutWindowSize', () => {
  it("holds a minute of the session's rate, within the floor and the ceiling", () => {
    expect(fanOutWindowSize(80, WINDOW)).toBe(4800);
    expect(fanOutWindowSize(1, WINDOW)).toBe(500);
    expect(fanOutWindowSize(1000, WINDOW)).toBe(20_000);
  });
});

describe('BroadcastFanOut', () => {
  const id = () => new Types.ObjectId().toHexString();
  const broadcastId = id();
  const sessionId = id();
  let next: FanOutSlice;
  let broadcasts: jest.Mocked<Pick<BroadcastRepository, 'findFanOutNext' | 'advanceFanOut'>>;
  let sendJobs: jest.Mocked<Pick<BroadcastSendJobs, 'enqueueRecipients'>>;
  let turnTaken: boolean;
  let fanOut: BroadcastFanOut;

  beforeEach(() => {
    next = { broadcastId, clientId: id(), sessionId, activatedAt: new Date('2026-12-07T10:00:00Z'), window: 100, pending: 3000, recipients: ['2348030000001', '2348030000002', '2348030000003'] };
    broadcasts = {
      findFanOutNext: jest.fn<Promise<FanOutSlice | null>, [string, number]>(async () => next),
      advanceFanOut: jest.fn<Promise<void>, [string, Date | null, number]>(async () => undefined),
    };
    sendJobs = { enqueueRecipients: jest.fn(async (_broadcast, recipients: string[]) => recipients.length) };
    turnTaken = false;
    const redis = {
      set: jest.fn(async () => (turnTaken ? null : 'OK')),
      eval: jest.fn(async () => 1),
    };
    const sessions: Pick<SessionCache, 'get'> = { get: jest.fn(async () => null) };
    const signal = { isRaised: jest.fn(async () => false), isPaused: jest.fn(async () => false) };
    const config = { sending: { sessionRateLimitPerSecond: 5, fanOutWindow: WINDOW } } as AppConfig;
    fanOut = new BroadcastFanOut(
      broadcasts as unknown as BroadcastRepository,
      sendJobs as unknown as BroadcastSendJobs,
      sessions as SessionCache,
      signal as unknown as BroadcastStopSignal,
      signal as unknown as BroadcastPauseSignal,
      config,
      redis as unknown as RedisClient,
    );
  });

  it('adds the recipients after the window, replacing finished jobs of theirs, and counts them in for the activation it read', async () => {
    expect(await fanOut.topUp(broadcastId, sessionId)).toEqual({ enqueued: 3, settled: 0, pending: 3000 });
    // 5/s for a minute is under the floor: a window of 500.
    expect(broadcasts.findFanOutNext).toHaveBeenCalledWith(broadcastId, 500);
    expect(sendJobs.enqueueRecipients).toHaveBeenCalledWith(next, next.recipients, expect.objectContaining({ replaceFinished: true }));
    expect(broadcasts.advanceFanOut).toHaveBeenCalledWith(broadcastId, next.activatedAt, 3);
  });

  it('tops up only a window below half', async () => {
    expect(await fanOut.topUpIfLow({ ...next, window: 250 })).toBeNull();
    expect(broadcasts.findFanOutNext).not.toHaveBeenCalled();
    expect(await fanOut.topUpIfLow({ ...next, window: 249 })).toMatchObject({ enqueued: 3 });
  });

  it('leaves the work to a top-up already under way', async () => {
    turnTaken = true;
    expect(await fanOut.topUp(broadcastId, sessionId)).toBeNull();
    expect(sendJobs.enqueueRecipients).not.toHaveBeenCalled();
  });

  it('settles recipients whose message ended instead of adding them, and counts them back into the window their move took them off', async () => {
    const topUp = await fanOut.topUp(broadcastId, sessionId, { settleEnded: async () => ['2348030000002'] });
    expect(topUp).toEqual({ enqueued: 2, settled: 1, pending: 3000 });
    expect(sendJobs.enqueueRecipients).toHaveBeenCalledWith(next, ['2348030000001', '2348030000003'], expect.anything());
    expect(broadcasts.advanceFanOut).toHaveBeenCalledWith(broadcastId, next.activatedAt, 3);
  });

  it('counts in only the recipients added before a stop or pause cut the top-up short', async () => {
    sendJobs.enqueueRecipients.mockResolvedValueOnce(1);
    expect(await fanOut.topUp(broadcastId, sessionId)).toMatchObject({ enqueued: 1 });
    expect(broadcasts.advanceFanOut).toHaveBeenCalledWith(broadcastId, next.activatedAt, 1);
  });
});
