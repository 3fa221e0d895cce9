import { createTenant, TestTenant } from './support/factories';
import { FaultProxy } from './support/fault-proxy';
import { describeWithMongo, isolatedMongoUri } from './support/mongo';
import { eventually } from './support/polling';
import { createTestApp, TestApp } from './support/test-app';

/** A server that stops answering with its connections open: /health and the routes that do not need it answer within their deadlines. */
describeWithMongo('MongoDB or Redis stalling (e2e, through a fault proxy)', () => {
  let t: TestApp;
  let alice: TestTenant;
  let mongo: FaultProxy;
  let redis: FaultProxy;

  beforeAll(async () => {
    const mongoUri = isolatedMongoUri();
    const redisUrl = process.env.REDIS_URL!;
    const hostOf = (url: string) => ({ host: new URL(url).hostname, port: Number(new URL(url).port) });
    mongo = await FaultProxy.start(hostOf(mongoUri));
    redis = await FaultProxy.start(hostOf(redisUrl));
    t = await createTestApp({ env: { MONGODB_URI: mongo.urlThrough(mongoUri), REDIS_URL: redis.urlThrough(redisUrl) } });
    alice = await createTenant(t.app, { name: 'Alice' });
  });
  afterAll(async () => {
    mongo.pass();
    redis.pass();
    await t.close();
    await Promise.all([mongo.close(), redis.close()]);
  });

  /** The answer and how long it took. */
  async function timed(path: string, headers: Record<string, string> = {}): Promise<{ status: number; body: Record<string, unknown>; ms: number }> {
    const started = Date.now();
    const response = await t.http.get(path).set(headers);
    return { status: response.status, body: response.body as Record<string, unknown>, ms: Date.now() - started };
  }

  it('answers /health 503 naming MongoDB within its deadline while MongoDB stalls, and 200 once it answers again', async () => {
    expect((await timed('/health')).status).toBe(200);
    mongo.stall();
    try {
      const stalled = await timed('/health');
      expect(stalled.status).toBe(503);
      expect(stalled.body.error).toMatchObject({ mongodb: { status: 'down', message: 'MongoDB did not answer within 2000 ms' } });
      expect(stalled.body.error).not.toHaveProperty('redis');
      expect(stalled.ms).toBeLessThan(4000);
    } finally {
      mongo.pass();
    }
    await eventually(async () => (await timed('/health')).status === 200, '/health to answer 200 again');
  });

  it('answers /health 503 naming Redis, and routes that need only MongoDB, within their deadlines while Redis stalls', async () => {
    expect((await timed('/contacts', alice.auth)).status).toBe(200);
    redis.stall();
    try {
      const stalled = await timed('/health');
      expect(stalled.status).toBe(503);
      expect(stalled.body.error).toMatchObject({ redis: { status: 'down', message: 'Redis did not answer within 2000 ms' } });
      expect(stalled.ms).toBeLessThan(4000);
      // The rate-limit and failed-authentication counters give up on Redis after half a second and let the request through.
      const contacts = await timed('/contacts', alice.auth);
      expect(contacts.status).toBe(200);
      expect(contacts.ms).toBeLessThan(2500);
    } finally {
      redis.pass();
    }
    await eventually(async () => (await timed('/health')).status === 200, '/health to answer 200 again');
  });
});
