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

  it('looks with a single command while nothing was parked or marked, whatever the number of calls', async () => {
    const fresh = new Redis({ ...redisOptionsFromUrl(process.env.REDIS_URL ?? ''), keyPrefix: `t${randomBytes(4).toString('hex')}:` });
    try {
      await fresh.ping();
      const sent: string[] = [];
      const original = fresh.sendCommand.bind(fresh);
      fresh.sendCommand = ((command: { name: string }) => {
        sent.push(command.name);
        return original(command as Parameters<typeof original>[0]);
      });
      const quiet = new EarlyStatusUpdates(fresh);
      const taken = await quiet.takeForRecordedCalls(['wamid.1', 'wamid.2', 'wamid.3'], ['message-1']);
      expect(taken).toEqual({ parked: new Map(), unrolled: new Set() });
      expect(sent).toEqual(['exists']);

      // Once something is parked, the calls are looked up one by one again.
      await quiet.park({ providerMessageId: 'wamid.2', status: 'delivered', timestamp: new Date('2026-01-01T10:00:00Z') }, null);
      expect([...(await quiet.takeForRecordedCalls(['wamid.1', 'wamid.2'], [])).parked.keys()]).toEqual(['wamid.2']);
    } finally {
      await fresh.quit();
    }
  });

  it('keeps parked reports in order, with their dates and session, and hands them out once', async () => {
    const delivered = { providerMessageId: 'wamid.A', status: 'delivered' as const, timestamp: new Date('2026-01-01T10:00:00Z'), costInUsdCents: 1 };
    const read = { providerMessageId: 'wamid.A', status: 'read' as const, timestamp: new Date('2026-01-01T10:00:05Z') };
    await early.park(delivered, 'session-1');
    await early.park(read, null);
    expect(await redis.ttl('status:early:wamid.A')).toBeGreaterThan(EARLY_STATUS_TTL_SECONDS - 5);

    const taken = await early.takeForRecordedCalls(['wamid.A', 'wamid.none'], []);
    expect(taken.parked).toEqual(
      new Map([
        [
          'wamid.A',
          [
            { update: delivered, sessionId: 'session-1' },
            { update: read, sessionId: null },
          ],
        ],
      ]),
    );
    expect((await early.takeForRecordedCalls(['wamid.A'], [])).parked.size).toBe(0);
  });

  it('keeps the mark of a message a report reached while it was being sent, and hands it out once', async () => {
    await early.markUnrolled('message-1');
    expect((await early.takeForRecordedCalls([], ['message-1', 'message-2'])).unrolled).toEqual(new Set(['message-1']));
    expect((await early.takeForRecordedCalls([], ['message-1'])).unrolled.size).toBe(0);
  });
});
