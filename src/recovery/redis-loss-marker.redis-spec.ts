import Redis from 'ioredis';
import { randomBytes } from 'node:crypto';
import { REDIS_GENERATION_KEY, RedisLossMarker } from './redis-loss-marker';

describe('RedisLossMarker (real Redis)', () => {
  let redis: Redis;

  beforeEach(() => {
    // A prefix per test: a fresh "Redis" that only these markers share.
    redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', { keyPrefix: `spec${randomBytes(4).toString('hex')}:` });
  });
  afterEach(() => redis.quit());

  function markerWithLosses(): { marker: RedisLossMarker; losses: Date[] } {
    const marker = new RedisLossMarker(redis);
    const losses: Date[] = [];
    marker.onLoss((at) => losses.push(at));
    return { marker, losses };
  }

  it('learns the generation on its first check, and reports no loss while the generation stays', async () => {
    const { marker, losses } = markerWithLosses();
    expect(await marker.check()).toBe(false);
    const generation = await redis.get(REDIS_GENERATION_KEY);
    expect(generation).toEqual(expect.any(String));

    expect(await marker.check()).toBe(false);
    expect(await redis.get(REDIS_GENERATION_KEY)).toBe(generation);
    expect(losses).toEqual([]);
  });

  it('reports a loss at once when the data is gone, and tells every listener when', async () => {
    const { marker, losses } = markerWithLosses();
    await marker.check();
    const before = await redis.get(REDIS_GENERATION_KEY);

    await redis.del(REDIS_GENERATION_KEY);
    const noticedAt = new Date('2026-01-01T10:00:00Z');
    expect(await marker.check(noticedAt)).toBe(true);
    expect(losses).toEqual([noticedAt]);
    // A new generation is written, so the next check is quiet again.
    expect(await redis.get(REDIS_GENERATION_KEY)).not.toBe(before);
    expect(await marker.check()).toBe(false);
    expect(losses).toHaveLength(1);
  });

  it('lets a worker that checks after another one noticed the loss notice it too', async () => {
    const first = markerWithLosses();
    const second = markerWithLosses();
    await first.marker.check();
    await second.marker.check();

    await redis.del(REDIS_GENERATION_KEY);
    expect(await first.marker.check()).toBe(true);
    // The key exists again (the first worker wrote a new id), but it is not the one the second saw.
    expect(await second.marker.check()).toBe(true);
    expect(await second.marker.check()).toBe(false);
    expect([first.losses.length, second.losses.length]).toEqual([1, 1]);
  });

  it('gives every marker of a fresh Redis the same generation, so none takes another for a loss', async () => {
    const markers = Array.from({ length: 5 }, () => markerWithLosses());
    await Promise.all(markers.map(({ marker }) => marker.check()));
    await Promise.all(markers.map(({ marker }) => marker.check()));
    expect(markers.flatMap(({ losses }) => losses)).toEqual([]);
  });
});
