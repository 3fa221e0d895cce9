import Redis from 'ioredis';
import { randomBytes } from 'node:crypto';
import { AppConfig } from '../config';
import { RedisMediaIdCache } from './redis-media-id-cache';

describe('RedisMediaIdCache (real Redis)', () => {
  let redis: Redis;
  let cache: RedisMediaIdCache;
  let other: RedisMediaIdCache;

  beforeAll(() => {
    redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', { keyPrefix: `spec${randomBytes(4).toString('hex')}:` });
    const config = { cloudApi: { uploadTimeoutMs: 1_000 } } as AppConfig;
    cache = new RedisMediaIdCache(redis, config);
    // A second instance stands for another worker sharing the same Redis.
    other = new RedisMediaIdCache(redis, config);
  });
  afterAll(() => redis.quit());

  it('uploads once and answers the stored id afterwards, to any worker', async () => {
    const upload = jest.fn().mockResolvedValue('media-1');
    expect(await cache.resolve('pn:att-1', 60_000, upload)).toEqual({ mediaId: 'media-1', uploaded: true });
    expect(await other.resolve('pn:att-1', 60_000, upload)).toEqual({ mediaId: 'media-1', uploaded: false });
    expect(upload).toHaveBeenCalledTimes(1);
  });

  it('lets concurrent workers share one upload', async () => {
    let finish: (id: string) => void = () => undefined;
    const upload = jest.fn(() => new Promise<string>((resolve) => (finish = resolve)));
    const first = cache.resolve('pn:att-2', 60_000, upload);
    await new Promise((resolve) => setTimeout(resolve, 20));
    const second = other.resolve('pn:att-2', 60_000, upload);
    await new Promise((resolve) => setTimeout(resolve, 150));
    finish('media-2');
    expect(await first).toEqual({ mediaId: 'media-2', uploaded: true });
    expect(await second).toEqual({ mediaId: 'media-2', uploaded: false });
    expect(upload).toHaveBeenCalledTimes(1);
  });

  it('uploads again after the entry expires or is invalidated, and after another worker’s upload failed', async () => {
    await cache.resolve('pn:att-3', 50, async () => 'media-3');
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect(await cache.resolve('pn:att-3', 60_000, async () => 'media-4')).toEqual({ mediaId: 'media-4', uploaded: true });
    await cache.invalidate('pn:att-3');
    expect(await cache.resolve('pn:att-3', 60_000, async () => 'media-5')).toEqual({ mediaId: 'media-5', uploaded: true });

    const failing = cache.resolve('pn:att-4', 60_000, () => new Promise<string>((_resolve, reject) => setTimeout(() => reject(new Error('boom')), 50)));
    const waiting = other.resolve('pn:att-4', 60_000, async () => 'media-6');
    await expect(failing).rejects.toThrow('boom');
    expect(await waiting).toEqual({ mediaId: 'media-6', uploaded: true });
  });
});
