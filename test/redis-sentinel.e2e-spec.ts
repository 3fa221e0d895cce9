import { getConnectionToken } from '@nestjs/mongoose';
import type { Connection } from 'mongoose';
import { BroadcastBody, mobileNumbers } from './support/broadcasts';
import { createTenant, TestTenant } from './support/factories';
import { hasMongo } from './support/mongo';
import { pollUntil } from './support/polling';
import { LocalRedisSentinel, redisSentinelUnavailableReason } from './support/redis-cluster';
import { createTestApp, TestApp } from './support/test-app';

const unavailable = redisSentinelUnavailableReason();
if (unavailable) process.stdout.write(`\nRedis Sentinel suite skipped: ${unavailable}\n`);
const describeWithSentinel = hasMongo() && !unavailable ? describe : describe.skip;

const numbers = (block: number, count: number): string[] => mobileNumbers(count, `806${String(block).padStart(2, '0')}`);

describeWithSentinel('Redis through Sentinel, across a failover (e2e)', () => {
  let redis: LocalRedisSentinel;
  let t: TestApp;
  let alice: TestTenant;

  beforeAll(async () => {
    redis = await LocalRedisSentinel.start();
    t = await createTestApp({
      env: {
        REDIS_URL: '',
        REDIS_SENTINELS: redis.sentinels,
        REDIS_SENTINEL_NAME: LocalRedisSentinel.MASTER_NAME,
        BROADCAST_PROGRESS_FLUSH_MS: '50',
        SANDBOX_STATUS_DELAY_MS: '40',
      },
    });
    alice = await createTenant(t.app, { name: 'Alice' });
  }, 60_000);
  afterAll(async () => {
    await t?.close();
    await redis?.stop();
  });

  async function sendBroadcast(to: string[]): Promise<BroadcastBody> {
    const created = await t.http.post('/broadcast').set(alice.auth).set(alice.session).send({ send_type: 'individual', to: to.join(','), message: { text: 'Hello via sentinel' } }).expect(201);
    const id = created.body.data._id as string;
    return pollUntil(async () => (await t.http.get(`/broadcast/${id}`).set(alice.auth).expect(200)).body.data as BroadcastBody, (body) => body.status !== 'sending', 60_000);
  }

  it('finds the master through the sentinel, and after the master dies keeps sending through the promoted replica', async () => {
    expect(await redis.currentMasterPort()).toBe(redis.master.port);
    const before = await sendBroadcast(numbers(1, 10));
    expect(before).toMatchObject({ status: 'completed', pending: [], failed: [] });

    await redis.master.stop();
    const promoted = await pollUntil(() => redis.currentMasterPort(), (port) => port === redis.replica.port, 30_000, 200);
    expect(promoted).toBe(redis.replica.port);

    // The app reconnects to the master the sentinel now names: API, queues and worker alike.
    const after = await pollUntil(
      async () => (await t.http.get('/health')).status,
      (status) => status === 200,
      30_000,
      200,
    );
    expect(after).toBe(200);
    const sentAfter = await sendBroadcast(numbers(2, 10));
    expect(sentAfter).toMatchObject({ status: 'completed', pending: [], failed: [] });
    const logs = t.app.get<Connection>(getConnectionToken()).collection('message_logs');
    expect(await logs.countDocuments({ status: { $in: ['sent', 'delivered', 'read'] } })).toBe(20);
  }, 120_000);
});
