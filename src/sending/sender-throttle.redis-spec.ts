import Redis from 'ioredis';
import { randomBytes } from 'node:crypto';
import { ProviderError } from '@app/whatsapp';
import type { AppConfig } from '../config';
import { redisOptionsFromUrl } from '../core/redis-options';
import { SenderThrottle, spamRateBackoffMs } from './sender-throttle';
import { SessionRateLimiter } from './session-rate-limiter';

describe('spamRateBackoffMs', () => {
  it('doubles the pause for each spam rate limit in a row, up to the longest', () => {
    const backoff = { firstMs: 60_000, maxMs: 3_600_000 };
    expect([1, 2, 3, 4, 5, 6, 7, 100].map((level) => spamRateBackoffMs(level, backoff))).toEqual([60_000, 120_000, 240_000, 480_000, 960_000, 1_920_000, 3_600_000, 3_600_000]);
  });
});

describe('SenderThrottle (real Redis)', () => {
  let redis: Redis;
  let limiter: SessionRateLimiter;
  let throttle: SenderThrottle;
  const config = { sending: { spamRateBackoff: { firstMs: 400, maxMs: 1_000 } } } as AppConfig;
  const spam = () => new ProviderError('transient', '131048', 'Spam rate limit hit', { retryAfterMs: 60_000, throttled: 'spam_rate' });

  beforeAll(() => {
    redis = new Redis({ ...redisOptionsFromUrl(process.env.REDIS_URL ?? ''), keyPrefix: `t${randomBytes(4).toString('hex')}:` });
  });
  beforeEach(() => {
    limiter = new SessionRateLimiter(redis);
    throttle = new SenderThrottle(limiter, config, redis);
  });
  afterAll(() => redis.quit());

  it("pauses every send of the session after a spam rate limit, longer each time it repeats; the message retries when the pause ends", async () => {
    // Timed from before the refusal: the pause runs from then, however long this busy machine takes in between.
    const refusedAt = Date.now();
    const first = await throttle.onRefused(spam(), 'spammy');
    expect(first.options.retryAfterMs).toBe(400);
    await limiter.acquire('spammy', 100);
    expect(Date.now() - refusedAt).toBeGreaterThanOrEqual(350);

    // Repeated: the pause doubles (800 ms), then stops at the longest (1,000 ms).
    // The arrival time sits a second past the pause (beyond any burst tolerance), which runs from the
    // refusal: measured from just before it, and bounded by how long the refusal and the read took.
    const secondAt = Date.now();
    await throttle.onRefused(spam(), 'spammy');
    const pausedFor = Number(await redis.get('rate:session:spammy')) - 1000 - secondAt;
    expect(pausedFor).toBeGreaterThanOrEqual(799);
    expect(pausedFor).toBeLessThanOrEqual(800 + (Date.now() - secondAt));
    const thirdAt = Date.now();
    await throttle.onRefused(spam(), 'spammy');
    expect(Number(await redis.get('rate:session:spammy')) - 1000 - thirdAt).toBeGreaterThanOrEqual(999);
    // Another session is not held (the spammy one is, for a second).
    const other = Date.now();
    await limiter.acquire('quiet', 100);
    expect(Date.now() - other).toBeLessThan(500);
  });

  it('holds the session for the delay of a throughput limit (130429), and leaves other errors alone', async () => {
    const busy = new ProviderError('transient', '130429', 'Rate limit hit', { retryAfterMs: 300, throttled: 'throughput' });
    const refusedAt = Date.now();
    expect(await throttle.onRefused(busy, 'busy')).toBe(busy);
    await limiter.acquire('busy', 100);
    expect(Date.now() - refusedAt).toBeGreaterThanOrEqual(250);
    const plain = new ProviderError('permanent', '131026', 'Message undeliverable');
    expect(await throttle.onRefused(plain, 'plain')).toBe(plain);
    expect(await redis.get('rate:session:plain')).toBeNull();
  });
});
