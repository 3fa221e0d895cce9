import { getQueueToken } from '@nestjs/bull';
import type { Queue } from 'bull';
import { TenancyService } from '../src/auth/tenancy.service';
import { ProviderRegistry } from '../src/sending/provider-registry';
import { SEND_QUEUE, SendJobData } from '../src/sending/sending.jobs';
import { BroadcastBody, mobileNumbers } from './support/broadcasts';
import { createTenant, TestTenant } from './support/factories';
import { describeWithMongo } from './support/mongo';
import { pollUntil } from './support/polling';
import { createTestApp, TestApp } from './support/test-app';

/** Small enough that every broadcast here is many windows long. */
const WINDOW = 50;
/** Generous: the suites share a loaded machine, and how fast a broadcast drains is not what these tests measure. */
const SETTLE_MS = 90_000;
const TEST_MS = 150_000;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The windowed fan-out with real Redis and MongoDB: a broadcast keeps at most a window of send
 * jobs in Redis (FAN_OUT_WINDOW_MIN = MAX = 50 here), topped up as they are sent, through pause,
 * resume, cancel and a Redis that loses its data, and shares its session with another broadcast.
 * The tests run one after another: the send queue's live jobs are the current test's.
 */
describeWithMongo('Broadcast fan-out window: Redis holds a window of send jobs, not the audience (e2e)', () => {
  let t: TestApp;
  let alice: TestTenant;
  let queue: Queue<SendJobData>;
  let registry: ProviderRegistry;

  beforeAll(async () => {
    t = await createTestApp({
      env: {
        FAN_OUT_WINDOW_MIN: String(WINDOW),
        FAN_OUT_WINDOW_MAX: String(WINDOW),
        BROADCAST_PROGRESS_FLUSH_MS: '50',
        SWEEP_INTERVAL_MS: '300',
        SWEEP_PENDING_AGE_MS: '1000',
        SANDBOX_STATUS_DELAY_MS: '0',
      },
    });
    alice = await createTenant(t.app, { name: 'Alice' });
    queue = t.app.get<Queue<SendJobData>>(getQueueToken(SEND_QUEUE));
    registry = t.app.get(ProviderRegistry);
  });
  afterAll(() => t.close());

  async function sessionWithRate(perSecond: number): Promise<Record<string, string>> {
    const session = await t.app.get(TenancyService).createSession({ clientId: alice.clientId, name: `rate ${perSecond}`, provider: 'sandbox', rateLimitPerSecond: perSecond });
    return { 'X-Session-Id': session.session_id, 'X-Access-Token': session.access_token };
  }

  async function createBroadcast(session: Record<string, string>, recipients: string[]): Promise<string> {
    const created = await t.http.post('/broadcast').set(alice.auth).set(session).send({ send_type: 'individual', to: recipients.join(','), message: { text: 'a window at a time' } }).expect(201);
    return created.body.data._id as string;
  }

  const countsOf = async (id: string): Promise<{ pending: number; sent: number; failed: number }> =>
    (await t.http.get(`/broadcast/${id}?fields=summary`).set(alice.auth).expect(200)).body.data.counts as { pending: number; sent: number; failed: number };

  /** How many messages of the broadcast the provider was asked to send. */
  const providerSends = (id: string): number => [...registry.sandbox.sendCounts()].filter(([key]) => key.startsWith(`${id}:`)).reduce((sum, [, count]) => sum + count, 0);

  const getBroadcast = async (id: string): Promise<BroadcastBody> => (await t.http.get(`/broadcast/${id}`).set(alice.auth).expect(200)).body.data as BroadcastBody;

  /** The counts once two reads half a second apart agree (outcomes of jobs that were running are written). */
  async function settledCounts(id: string): Promise<{ pending: number; sent: number; failed: number }> {
    let previous = await countsOf(id);
    for (;;) {
      await sleep(500);
      const current = await countsOf(id);
      if (JSON.stringify(current) === JSON.stringify(previous)) return current;
      previous = current;
    }
  }

  /** Send jobs waiting, delayed or running: the window(s) in Redis. */
  async function liveJobs(): Promise<number> {
    const counts = await queue.getJobCounts();
    return counts.waiting + counts.active + counts.delayed;
  }

  /** Reads the live jobs every 20 ms until stopped; answers the largest number seen. */
  function watchLiveJobs(): { stop: () => Promise<{ max: number; reads: number }> } {
    let running = true;
    const watching = (async () => {
      let max = 0;
      let reads = 0;
      while (running) {
        max = Math.max(max, await liveJobs());
        reads += 1;
        await sleep(20);
      }
      return { max, reads };
    })();
    return {
      stop: async () => {
        running = false;
        return watching;
      },
    };
  }

  function expectEachSentOnce(id: string, recipients: string[]): void {
    expect(registry.sandbox.duplicateSends()).toEqual([]);
    expect(recipients.filter((recipient) => registry.sandbox.sendCount(`${id}:${recipient}:0`) !== 1)).toEqual([]);
  }

  it('drains a broadcast eight windows long completely, never holding more than a window of jobs, while its counts show every waiting recipient as pending', async () => {
    const session = await sessionWithRate(200);
    const recipients = mobileNumbers(400, '80510');
    const watch = watchLiveJobs();
    const id = await createBroadcast(session, recipients);
    const early = await countsOf(id);
    // Recipients not yet added to Redis are pending all the same.
    expect(early.pending + early.sent + early.failed).toBe(400);
    expect(early.pending).toBeGreaterThan(WINDOW);
    const done = await pollUntil(() => getBroadcast(id), (broadcast) => broadcast.status !== 'sending', SETTLE_MS, 100);
    const { max, reads } = await watch.stop();
    expect(done.status).toBe('completed');
    expect(done.sent).toHaveLength(400);
    expect(reads).toBeGreaterThan(20);
    // The window was used, and never exceeded.
    expect(max).toBeGreaterThan(WINDOW / 2);
    expect(max).toBeLessThanOrEqual(WINDOW);
    expectEachSentOnce(id, recipients);
  }, TEST_MS);

  it('pauses mid-window (its queued jobs removed, nothing more sent), resumes with a fresh window, and finishes', async () => {
    const session = await sessionWithRate(100);
    const recipients = mobileNumbers(300, '80520');
    const id = await createBroadcast(session, recipients);
    await pollUntil(() => getBroadcast(id), (broadcast) => broadcast.sent.length >= WINDOW + 10);
    await t.http.post(`/broadcast/${id}/pause`).set(alice.auth).expect(200);
    await pollUntil(liveJobs, (live) => live === 0, SETTLE_MS);
    // Jobs already past their checks finish and are recorded; then nothing more goes out.
    const paused = await settledCounts(id);
    await sleep(600);
    expect(await countsOf(id)).toEqual(paused);
    expect(providerSends(id)).toBe(paused.sent);
    expect(paused.pending).toBeGreaterThan(WINDOW);
    expect(await liveJobs()).toBe(0);

    const watch = watchLiveJobs();
    await t.http.post(`/broadcast/${id}/resume`).set(alice.auth).expect(200);
    const done = await pollUntil(() => getBroadcast(id), (broadcast) => broadcast.status !== 'sending', SETTLE_MS, 100);
    const { max } = await watch.stop();
    expect(done.status).toBe('completed');
    expect(new Set(done.sent)).toEqual(new Set(recipients));
    expect(max).toBeLessThanOrEqual(WINDOW);
    // The resume is a new activation: its jobs' ids carry its own time, and none of the first activation's recipients went twice.
    expect(registry.sandbox.duplicateSends()).toEqual([]);
  }, TEST_MS);

  it('cancels mid-window: the queued window is removed and nothing more is sent', async () => {
    const session = await sessionWithRate(100);
    const recipients = mobileNumbers(300, '80530');
    const id = await createBroadcast(session, recipients);
    await pollUntil(() => getBroadcast(id), (broadcast) => broadcast.sent.length >= WINDOW + 10);
    await t.http.post(`/broadcast/${id}/cancel`).set(alice.auth).expect(200);
    await pollUntil(liveJobs, (live) => live === 0, SETTLE_MS);
    const cancelled = await settledCounts(id);
    await sleep(600);
    // No top-up after the cancel: Redis holds nothing of it, and nothing more goes out.
    expect(await liveJobs()).toBe(0);
    expect(await countsOf(id)).toEqual(cancelled);
    expect(providerSends(id)).toBe(cancelled.sent);
    expect(cancelled.pending).toBeGreaterThan(WINDOW);
    const later = await getBroadcast(id);
    expect(later.status).toBe('cancelled');
    expectEachSentOnce(id, later.sent);
  }, TEST_MS);

  it('refills the window from its position in MongoDB after Redis loses every key mid-broadcast, sending each recipient once', async () => {
    const session = await sessionWithRate(100);
    const recipients = mobileNumbers(400, '80540');
    const id = await createBroadcast(session, recipients);
    await pollUntil(() => getBroadcast(id), (broadcast) => broadcast.sent.length >= 2 * WINDOW);
    // What a FLUSHALL does to this app: every key under its prefix gone (the suite's Redis is shared).
    const client = queue.client;
    const keys = await client.keys(`${t.config.redis.queuePrefix}:*`);
    expect(await client.del(...keys)).toBeGreaterThan(0);

    const watch = watchLiveJobs();
    const done = await pollUntil(() => getBroadcast(id), (broadcast) => broadcast.status !== 'sending', SETTLE_MS, 100);
    const { max } = await watch.stop();
    expect(done.status).toBe('completed');
    expect(new Set(done.sent)).toEqual(new Set(recipients));
    expect(max).toBeLessThanOrEqual(WINDOW);
    expectEachSentOnce(id, recipients);
  }, TEST_MS);

  it('interleaves two broadcasts of one session by windows: the second progresses long before the first has finished', async () => {
    const session = await sessionWithRate(100);
    const first = mobileNumbers(300, '80550');
    const second = mobileNumbers(200, '80551');
    const firstId = await createBroadcast(session, first);
    const secondId = await createBroadcast(session, second);
    // When a third of the first is sent, the second has had its share (without windows it would wait for all 300).
    const [firstThird, secondMeanwhile] = await pollUntil(() => Promise.all([countsOf(firstId), countsOf(secondId)]), ([counts]) => counts.sent >= 100, SETTLE_MS, 50);
    expect(firstThird.pending).toBeGreaterThan(100);
    expect(secondMeanwhile.sent).toBeGreaterThanOrEqual(WINDOW / 2);
    const [firstDone, secondDone] = await Promise.all(
      [firstId, secondId].map((id) => pollUntil(() => getBroadcast(id), (broadcast) => broadcast.status !== 'sending', SETTLE_MS, 100)),
    );
    expect([firstDone.status, secondDone.status]).toEqual(['completed', 'completed']);
    expectEachSentOnce(firstId, first);
    expectEachSentOnce(secondId, second);
  }, TEST_MS);
});
