import { getQueueToken } from '@nestjs/bull';
import { getModelToken } from '@nestjs/mongoose';
import type { Queue } from 'bull';
import { Model } from 'mongoose';
import { TenancyService } from '../src/auth/tenancy.service';
import { MessageLog, MessageLogRecord } from '../src/message-log/message-log.schema';
import { ProviderRegistry } from '../src/sending/provider-registry';
import { SEND_QUEUE } from '../src/sending/sending.jobs';
import { mobileNumbers } from './support/broadcasts';
import { createTenant, TestTenant } from './support/factories';
import { describeWithMongo } from './support/mongo';
import { pollUntil } from './support/polling';
import { createTestApp, TestApp } from './support/test-app';

const numbers = (count: number, block: string): string[] => mobileNumbers(count, block);

/**
 * A Redis that lost its data is noticed at once (RedisLossMarker), not by age: with a sweep age of
 * ten minutes, work whose job vanished is enqueued again within seconds.
 */
describeWithMongo('Redis loss noticed at once (e2e)', () => {
  let t: TestApp;
  let alice: TestTenant;
  let registry: ProviderRegistry;
  let messageLogs: Model<MessageLog>;

  beforeAll(async () => {
    t = await createTestApp({ env: { SWEEP_INTERVAL_MS: '300', SWEEP_PENDING_AGE_MS: '600000', SANDBOX_STATUS_DELAY_MS: '0', WORKER_CONCURRENCY: '1' } });
    alice = await createTenant(t.app, { name: 'Alice' });
    registry = t.app.get(ProviderRegistry);
    messageLogs = t.app.get(getModelToken(MessageLog.name));
  });
  afterAll(() => t.close());

  async function loseRedisData(): Promise<void> {
    const client = t.app.get<Queue>(getQueueToken(SEND_QUEUE)).client;
    const keys = await client.keys(`${t.config.redis.queuePrefix}:*`);
    if (keys.length > 0) await client.del(...keys);
  }

  const isSent = (log: MessageLogRecord): boolean => ['sent', 'delivered', 'read'].includes(log.status);

  it('sends queued and scheduled single messages whose jobs vanished, long before the sweep age', async () => {
    const session = await t.app.get(TenancyService).createSession({ clientId: alice.clientId, name: 'slow', provider: 'sandbox', rateLimitPerSecond: 1 });
    const headers = { 'X-Session-Id': session.session_id, 'X-Access-Token': session.access_token };
    // One job at a time and one send per second keep most of them waiting in Redis when its data goes.
    const queued = await Promise.all(
      numbers(4, '816').map(async (to) => (await t.http.post('/v1/messages').set(alice.auth).set(headers).send({ to, message: { text: 'queued' } }).expect(202)).body.data.message_uid as string),
    );
    const fast = await t.app.get(TenancyService).createSession({ clientId: alice.clientId, name: 'fast', provider: 'sandbox', rateLimitPerSecond: 20 });
    const sendAt = new Date(Math.ceil((Date.now() + 4_000) / 1000) * 1000);
    const scheduled = (
      await t.http
        .post('/v1/messages')
        .set(alice.auth)
        .set({ 'X-Session-Id': fast.session_id, 'X-Access-Token': fast.access_token })
        .send({ to: numbers(1, '817')[0], message: { text: 'scheduled' }, send_at: sendAt.toISOString() })
        .expect(202)
    ).body.data.message_uid as string;
    await loseRedisData();
    const lostAt = Date.now();

    const logs = await pollUntil(
      () => messageLogs.find({ message_uid: { $in: [...queued, scheduled] } }).lean<MessageLogRecord[]>(),
      (found) => found.length === 5 && found.every(isSent),
      // Noticed within 2 s; the slow session then sends the four one a second, the scheduled one at its time.
      20_000,
      100,
    );
    expect(logs.filter((log) => !isSent(log)).map((log) => `${log.message_uid} ${log.status}`)).toEqual([]);
    expect(Date.now() - lostAt).toBeLessThan(20_000);
    const scheduledLog = logs.find((log) => log.message_uid === scheduled)!;
    expect(scheduledLog.status_times?.sentAt?.getTime()).toBeGreaterThanOrEqual(sendAt.getTime());
    for (const log of logs) expect(registry.sandbox.sendCount(`${log.message_uid}:0`)).toBe(1);
  });
});
