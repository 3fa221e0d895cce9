import Redis from 'ioredis';
import { randomBytes } from 'node:crypto';
import { redisOptionsFromUrl } from '../core/redis-options';
import { EARLY_STATUS_TTL_SECONDS, EarlyStatusUpdates } from './early-status-updates';

describe('EarlyStatusUpdates (real Redis)', () => {
  let redis: Redis;
  let early: EarlyStatusUpdates;

  beforeAll(() => {
    redis = new Redis({ ...redisOptionsFromUrl(process.env.REDIS_URL ?? ''), keyPrefix: `t${randomBytes(4).toString('hex')}:` });
    early = new EarlyStatusUpdates(redis);
  });
  afterAll(() => redis.quit());

  it('keeps parked reports in order, with their dates and session, and hands them out once', async () => {
    const delivered = { providerMessageId: 'wamid.A', status: 'delivered' as const, timestamp: new Date('2026-01-01T10:00:00Z'), costInUsdCents: 1 };
    const read = { providerMessageId: 'wamid.A', status: 'read' as const, timestamp: new Date('2026-01-01T10:00:05Z') };
    await early.park(delivered, 'session-1');
    await early.park(read, null);
    expect(await redis.ttl('status:early:wamid.A')).toBeGreaterThan(EARLY_STATUS_TTL_SECONDS - 5);

    expect(await early.take('wamid.A')).toEqual([
      { update: delivered, sessionId: 'session-1' },
      { update: read, sessionId: null },
    ]);
    expect(await early.take('wamid.A')).toEqual([]);
  });
});
