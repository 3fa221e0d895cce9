import { getConnectionToken } from '@nestjs/mongoose';
import type { Connection } from 'mongoose';
import { Types } from 'mongoose';
import { TenancyService } from '../src/auth/tenancy.service';
import { RedisMediaIdCache } from '../src/cloud-api/redis-media-id-cache';
import { ProviderRegistry } from '../src/sending/provider-registry';
import { SendQueueShards } from '../src/sending/send-queue-shards';
import { BroadcastBody, mobileNumbers } from './support/broadcasts';
import { createTenant, TestTenant } from './support/factories';
import { hasMongo } from './support/mongo';
import { pollUntil } from './support/polling';
import { LocalRedisCluster, redisClusterUnavailableReason } from './support/redis-cluster';
import { createTestApp, TestApp } from './support/test-app';

const unavailable = redisClusterUnavailableReason();
if (unavailable) process.stdout.write(`\nRedis Cluster suite skipped: ${unavailable}\n`);
const describeOnCluster = hasMongo() && !unavailable ? describe : describe.skip;

const SHARDS = 6;
const RECIPIENTS_PER_BROADCAST = 20;
/** Bull runs at least two scripts per job on its queue's master: adding it, and finishing it (which also takes the next). */
const SCRIPTS_PER_JOB = 2;

/** Distinct valid numbers, a block of up to 100,000 per `block`. */
const numbers = (block: number, count: number): string[] => mobileNumbers(count, `803${String(block).padStart(2, '0')}`);

describeOnCluster('Sending through a three-master Redis Cluster (e2e)', () => {
  let cluster: LocalRedisCluster;
  let t: TestApp;
  let alice: TestTenant;

  beforeAll(async () => {
    cluster = await LocalRedisCluster.start(3);
    t = await createTestApp({
      env: { REDIS_URL: cluster.url, SEND_QUEUE_SHARDS: String(SHARDS), BROADCAST_PROGRESS_FLUSH_MS: '50', SANDBOX_STATUS_DELAY_MS: '40' },
    });
    alice = await createTenant(t.app, { name: 'Alice' });
  }, 90_000);
  afterAll(async () => {
    await t?.close();
    await cluster?.stop();
  });

  const messageLogs = () => t.app.get<Connection>(getConnectionToken()).collection('message_logs');

  async function newSession(name: string, rateLimitPerSecond: number | null = null): Promise<{ id: string; headers: Record<string, string> }> {
    const session = await t.app.get(TenancyService).createSession({ clientId: alice.clientId, name, provider: 'sandbox', rateLimitPerSecond });
    return { id: session.session_id, headers: { 'X-Session-Id': session.session_id, 'X-Access-Token': session.access_token } };
  }

  async function broadcast(session: Record<string, string>, to: string[]): Promise<string> {
    const response = await t.http.post('/broadcast').set(alice.auth).set(session).send({ send_type: 'individual', to: to.join(','), message: { text: 'Hello from the cluster' } }).expect(201);
    return response.body.data._id as string;
  }

  const getBroadcast = async (id: string): Promise<BroadcastBody> => (await t.http.get(`/broadcast/${id}`).set(alice.auth).expect(200)).body.data as BroadcastBody;

  it('spreads the send queues over the masters: broadcasts of sessions on different masters all finish, each master running its queues’ jobs', async () => {
    const shards = t.app.get(SendQueueShards);
    expect(shards.queues).toHaveLength(SHARDS);
    // Sessions until their send queues live on at least two masters (ids are random; a few suffice).
    const sessions: Array<{ id: string; headers: Record<string, string>; master: number }> = [];
    while (sessions.length < 3 || (new Set(sessions.map((session) => session.master)).size < 2 && sessions.length < 20)) {
      const session = await newSession(`sender ${sessions.length}`);
      sessions.push({ ...session, master: await cluster.masterOf(shards.forSession(session.id).toKey('wait')) });
    }
    const jobsPerMaster = new Map<number, number>();
    // One send job per recipient.
    for (const { master } of sessions) jobsPerMaster.set(master, (jobsPerMaster.get(master) ?? 0) + RECIPIENTS_PER_BROADCAST);
    expect(jobsPerMaster.size).toBeGreaterThanOrEqual(2);

    await cluster.resetStatistics();
    const ids = await Promise.all(sessions.map((session, index) => broadcast(session.headers, numbers(index, RECIPIENTS_PER_BROADCAST))));
    const finished = await Promise.all(ids.map((id) => pollUntil(() => getBroadcast(id), (body) => body.status !== 'sending', 60_000)));

    for (const body of finished) {
      expect(body).toMatchObject({ status: 'completed', pending: [], failed: [] });
      expect(body.sent).toHaveLength(RECIPIENTS_PER_BROADCAST);
    }
    const logs = await messageLogs()
      .find({ broadcast_id: { $in: ids.map((id) => new Types.ObjectId(id)) } })
      .toArray();
    expect(logs).toHaveLength(ids.length * RECIPIENTS_PER_BROADCAST);
    expect(logs.every((log) => ['sent', 'delivered', 'read'].includes(log.status as string))).toBe(true);
    expect(t.app.get(ProviderRegistry).sandbox.duplicateSends()).toEqual([]);

    // Every master that serves a used send queue ran that queue's jobs: Bull's scripts ran there.
    for (const [master, jobs] of jobsPerMaster) {
      const calls = await cluster.commandCalls(master);
      // EVALSHA, or EVAL where the master did not have the script cached yet; and the move of each job from wait to active.
      expect((calls.get('evalsha') ?? 0) + (calls.get('eval') ?? 0)).toBeGreaterThanOrEqual(jobs * SCRIPTS_PER_JOB);
      expect((calls.get('brpoplpush') ?? 0) + (calls.get('rpoplpush') ?? 0)).toBeGreaterThanOrEqual(jobs);
    }
  });

  it('cancels a broadcast on the cluster: its queued jobs are removed from its send queue and nothing more is sent', async () => {
    const slow = await newSession('slow sender', 2);
    const recipients = numbers(40, 30);
    const id = await broadcast(slow.headers, recipients);
    await pollUntil(() => getBroadcast(id), (body) => body.sent.length >= 1, 20_000);
    await t.http.post(`/broadcast/${id}/cancel`).set(alice.auth).expect(200);
    const queue = t.app.get(SendQueueShards).forSession(slow.id);
    const waiting = await queue.getWaiting();
    expect(waiting.filter((job) => job.id.toString().startsWith(`${id}:`))).toEqual([]);
    const cancelled = await getBroadcast(id);
    expect(cancelled.status).toBe('cancelled');
    expect(cancelled.sent.length).toBeLessThan(recipients.length);
  });

  it('runs campaigns on the cluster: a scheduled broadcast and a scheduled message wait as delayed jobs, pause holds and resume finishes', async () => {
    const scheduledAt = new Date(Date.now() + 2500);
    const scheduled = await t.http
      .post('/broadcast')
      .set(alice.auth)
      .set(alice.session)
      .send({ send_type: 'individual', to: numbers(50, 3).join(','), message: { text: 'Later, on a cluster' }, send_at: scheduledAt.toISOString() })
      .expect(201);
    expect(scheduled.body.data.status).toBe('scheduled');
    const single = await t.http
      .post('/v1/messages')
      .set(alice.auth)
      .set(alice.session)
      .send({ to: '2348179803744', message: { text: 'A scheduled message, on a cluster' }, send_at: scheduledAt.toISOString() })
      .expect(202);
    expect(single.body.data.status).toBe('scheduled');

    const slow = await newSession('paused sender', 4);
    const recipients = numbers(51, 12);
    const paused = await broadcast(slow.headers, recipients);
    await pollUntil(() => getBroadcast(paused), (body) => body.sent.length >= 2, 20_000);
    await t.http.post(`/broadcast/${paused}/pause`).set(alice.auth).expect(200);
    // Its queued jobs were removed from the session's send queue (one slot), and nothing more moves.
    const queue = t.app.get(SendQueueShards).forSession(slow.id);
    expect((await queue.getWaiting()).filter((job) => job.id.toString().startsWith(`${paused}:`))).toEqual([]);
    await new Promise((resolve) => setTimeout(resolve, 800));
    const held = await getBroadcast(paused);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(await getBroadcast(paused)).toMatchObject({ status: 'paused', sent: held.sent });
    expect(held.pending.length).toBeGreaterThan(0);

    await t.http.post(`/broadcast/${paused}/resume`).set(alice.auth).expect(200);
    const resumed = await pollUntil(() => getBroadcast(paused), (body) => body.status !== 'sending', 30_000);
    expect(resumed).toMatchObject({ status: 'completed', pending: [], failed: [] });
    expect(resumed.sent).toHaveLength(recipients.length);

    const started = await pollUntil(() => getBroadcast(scheduled.body.data._id as string), (body) => body.status === 'completed', 30_000);
    expect(started.sent).toHaveLength(3);
    const sentAt = await pollUntil(
      async () => messageLogs().findOne({ 'message.text': 'A scheduled message, on a cluster', status: { $in: ['sent', 'delivered', 'read'] } }),
      (log) => log !== null,
      30_000,
    );
    expect((sentAt!.createdAt as Date).getTime()).toBeLessThan(scheduledAt.getTime());
    expect((sentAt!.status_times as { sentAt: Date }).sentAt.getTime()).toBeGreaterThanOrEqual(scheduledAt.getTime());
    expect(t.app.get(ProviderRegistry).sandbox.duplicateSends()).toEqual([]);
  });

  it('replays an Idempotency-Key answer, counts the worker’s heartbeat and reports Redis up', async () => {
    const body = { to: '2348179803743', message: { text: 'Once, on a cluster' } };
    const post = () => t.http.post('/v1/messages').set(alice.auth).set(alice.session).set('Idempotency-Key', 'cluster-order-1').send(body).expect(202);
    const first = await post();
    const again = await post();
    expect(again.body).toEqual(first.body);
    expect(await messageLogs().countDocuments({ 'message.text': 'Once, on a cluster' })).toBe(1);

    const health = await pollUntil(
      async () => (await t.http.get('/health').expect(200)).body,
      (answer) => answer.details.workers.count === 1,
      20_000,
    );
    expect(health.details).toMatchObject({ redis: { status: 'up' }, mongodb: { status: 'up' }, workers: { count: 1, healthy: 1 } });
  });
});

describeOnCluster('Keys that are read together share a hash slot on a Redis Cluster (e2e)', () => {
  let cluster: LocalRedisCluster;
  let t: TestApp;

  beforeAll(async () => {
    cluster = await LocalRedisCluster.start(3);
    t = await createTestApp({ worker: false, env: { REDIS_URL: cluster.url } });
  }, 90_000);
  afterAll(async () => {
    await t?.close();
    await cluster?.stop();
  });

  it('shares one Cloud API media upload between two concurrent senders (the waiter reads the id and the lock in one MULTI)', async () => {
    const cache = t.app.get(RedisMediaIdCache);
    let uploads = 0;
    const upload = async (): Promise<string> => {
      uploads++;
      await new Promise((resolve) => setTimeout(resolve, 300));
      return 'media-on-cluster';
    };
    const [first, second] = await Promise.all([cache.resolve('pn-1:attachment-1', 60_000, upload), cache.resolve('pn-1:attachment-1', 60_000, upload)]);
    expect(uploads).toBe(1);
    expect([first, second]).toEqual(expect.arrayContaining([{ mediaId: 'media-on-cluster', uploaded: true }, { mediaId: 'media-on-cluster', uploaded: false }]));
  });
});
