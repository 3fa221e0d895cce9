import Redis from 'ioredis';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { redisOptionsFromUrl } from './redis-options';
import { RedisLocks } from './redis-lock';

describe('RedisLocks (real Redis)', () => {
  let redis: Redis;
  let locks: RedisLocks;

  beforeAll(() => {
    redis = new Redis({ ...redisOptionsFromUrl(process.env.REDIS_URL ?? ''), keyPrefix: `t${randomBytes(4).toString('hex')}:` });
    locks = new RedisLocks(redis);
  });
  afterAll(() => redis.quit());

  it('runs one of two pieces of work asked at once, and the next once the first has ended', async () => {
    const order: string[] = [];
    const work = (name: string) => async () => {
      order.push(`${name} starts`);
      await sleep(100);
      order.push(`${name} ends`);
      return name;
    };
    const [first, second] = await Promise.all([locks.runExclusive('retry:b1', 5_000, work('a')), locks.runExclusive('retry:b1', 5_000, work('b'))]);
    expect([first, second]).toEqual([{ ran: true, result: 'a' }, { ran: false }]);
    expect(order).toEqual(['a starts', 'a ends']);
    // Released: the next one runs; another key was never held.
    expect(await locks.runExclusive('retry:b1', 5_000, work('c'))).toEqual({ ran: true, result: 'c' });
    expect(await locks.runExclusive('retry:b2', 5_000, work('d'))).toEqual({ ran: true, result: 'd' });
  });

  it('frees the lock when the work fails, and a holder whose lock lapsed does not free the next holder’s', async () => {
    await expect(locks.runExclusive('retry:b3', 5_000, () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(await locks.runExclusive('retry:b3', 5_000, async () => 'after a failure')).toEqual({ ran: true, result: 'after a failure' });

    // The first holder outlives its 100 ms: a second takes the lock, and the first's release leaves it to the second.
    const slow = locks.runExclusive('retry:b4', 100, () => sleep(300).then(() => 'slow'));
    await sleep(150);
    let releaseSecond!: () => void;
    const second = locks.runExclusive('retry:b4', 5_000, () => new Promise<string>((resolve) => (releaseSecond = () => resolve('second'))));
    await sleep(20);
    expect(await slow).toEqual({ ran: true, result: 'slow' });
    expect(await locks.runExclusive('retry:b4', 5_000, async () => 'third')).toEqual({ ran: false });
    releaseSecond();
    expect(await second).toEqual({ ran: true, result: 'second' });
  });
});
