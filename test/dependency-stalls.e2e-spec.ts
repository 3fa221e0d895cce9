import { setTimeout as sleep } from 'node:timers/promises';
import { ProviderRegistry } from '../src/sending/provider-registry';
import { SendQueueShards } from '../src/sending/send-queue-shards';
import { BroadcastBody, mobileNumbers } from './support/broadcasts';
import { createTenant, TestTenant } from './support/factories';
import { FaultProxy } from './support/fault-proxy';
import { describeWithMongo, isolatedMongoUri } from './support/mongo';
import { eventually, pollUntil } from './support/polling';
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

  it('answers an API request 503 naming MongoDB at the request deadline while MongoDB stalls, in the path\'s envelope', async () => {
    expect((await timed('/contacts', alice.auth)).status).toBe(200);
    mongo.stall();
    try {
      // GET /contacts: the API key's look-up already waits on MongoDB, in the guard.
      const read = await timed('/contacts', alice.auth);
      expect(read.status).toBe(503);
      expect(read.body).toMatchObject({
        status: false,
        message: 'MongoDB did not answer within 1000 ms; the request was stopped after 5000 ms. Try again shortly.',
      });
      expect(read.ms).toBeGreaterThanOrEqual(4900);
      expect(read.ms).toBeLessThan(7000);
      // A write is told that it may still take effect; the external API answers in its own envelope.
      const started = Date.now();
      const write = await t.http.post('/v1/messages').set(alice.auth).set(alice.session).send({ to: '2348179803743', message: { text: 'Hello' } });
      expect(write.status).toBe(503);
      expect(write.headers['retry-after']).toBe('5');
      expect(JSON.stringify(write.body)).toContain('MongoDB did not answer within 1000 ms');
      expect(JSON.stringify(write.body)).toContain('It may still take effect: check before sending it again.');
      expect(Date.now() - started).toBeLessThan(7000);
    } finally {
      mongo.pass();
    }
    // Once MongoDB answers again, so do the routes; the held requests' late answers went nowhere.
    await eventually(async () => (await timed('/contacts', alice.auth)).status === 200, 'GET /contacts to answer 200 again');
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

  it('stops the worker taking send jobs while MongoDB stalls mid-broadcast, takes them again after, and sends every recipient once', async () => {
    const queue = t.app.get(SendQueueShards).queues[0];
    const sandbox = t.app.get(ProviderRegistry).sandbox;
    const recipients = mobileNumbers(400, '8091');
    const created = await t.http
      .post('/broadcast')
      .set(alice.auth)
      .set(alice.session)
      .send({ send_type: 'individual', to: recipients.join(','), message: { text: 'through a stall' } })
      .expect(201);
    const id = (created.body as { data: { _id: string } }).data._id;
    const sentSoFar = async (): Promise<number> => ((await t.http.get(`/broadcast/${id}`).set(alice.auth)).body as { data: BroadcastBody }).data.sent.length;
    await pollUntil(sentSoFar, (sent) => sent >= 40, 30_000, 20);
    mongo.stall();
    try {
      // The heartbeat's ping (every 2 s, 2 s deadline) sees MongoDB silent and pauses the send queues here only.
      await eventually(() => queue.isPaused(true), 'the send queue to be paused locally');
      expect(await queue.isPaused(false)).toBe(false);
      await sleep(6000);
    } finally {
      mongo.pass();
    }
    await eventually(async () => !(await queue.isPaused(true)), 'the send queue to take jobs again');
    const finished = await pollUntil(
      async () => ((await t.http.get(`/broadcast/${id}`).set(alice.auth)).body as { data: BroadcastBody }).data,
      (broadcast) => broadcast.status !== 'sending',
      60_000,
      200,
    );
    expect(finished.status).toBe('completed');
    expect([...finished.sent].sort()).toEqual([...recipients].sort());
    const sends = [...sandbox.sendCounts()].filter(([key]) => key.startsWith(`${id}:`));
    expect(sends).toHaveLength(recipients.length);
    expect(sandbox.duplicateSends().filter((key) => key.startsWith(`${id}:`))).toEqual([]);
  }, 120_000);
});
