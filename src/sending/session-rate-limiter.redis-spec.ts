import Redis from 'ioredis';
import { randomBytes } from 'node:crypto';
import { redisOptionsFromUrl } from '../core/redis-options';
import { RESERVATION_LOOKAHEAD_MS, SessionRateLimiter } from './session-rate-limiter';

describe('SessionRateLimiter (real Redis)', () => {
  let redis: Redis;
  let limiter: SessionRateLimiter;

  beforeAll(() => {
    redis = new Redis({ ...redisOptionsFromUrl(process.env.REDIS_URL ?? ''), keyPrefix: `t${randomBytes(4).toString('hex')}:` });
  });
  beforeEach(() => {
    limiter = new SessionRateLimiter(redis);
  });
  afterAll(() => redis.quit());

  it("spaces a session's sends at its rate", async () => {
    const started = Date.now();
    const times: number[] = [];
    await Promise.all(Array.from({ length: 6 }, () => limiter.acquire('steady', 5).then(() => times.push(Date.now() - started))));
    // A second's worth may go at once (5), the sixth waits for the next slot.
    expect(times.sort((a, b) => a - b)[5]).toBeGreaterThanOrEqual(150);
  });

  it('lets waiting sends give up before they take a slot, and never reserves more than about a second ahead', async () => {
    let stopped = false;
    const giveUp = async () => stopped;
    // Forty sends at 4 a second: ten seconds of slots, were they all reserved at once.
    const waits = Array.from({ length: 40 }, () => limiter.acquire('stopped', 4, giveUp));
    await new Promise((resolve) => setTimeout(resolve, 300));
    // The session's theoretical arrival time in Redis: the look-ahead, the burst of a second's worth, one more block.
    const reservedAhead = Number(await redis.get('rate:session:stopped')) - Date.now();
    expect(reservedAhead).toBeLessThanOrEqual(RESERVATION_LOOKAHEAD_MS + 1000 + 250);
    stopped = true;
    const stoppedAt = Date.now();
    const results = await Promise.all(waits);
    expect(Date.now() - stoppedAt).toBeLessThan(2 * RESERVATION_LOOKAHEAD_MS + 500);
    // Those holding a slot when the stop came used it; the rest gave up.
    expect(results.filter(Boolean).length).toBeLessThanOrEqual(12);
    expect(results.filter((slot) => !slot).length).toBeGreaterThanOrEqual(28);
  });
});
