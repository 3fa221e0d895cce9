import { getQueueToken } from '@nestjs/bull';
import type { Job, Queue } from 'bull';
import { BroadcastRepository } from '../src/broadcast/broadcast.repository';
import { BROADCAST_SEND_GROUP_JOB, BroadcastSendGroupJobData } from '../src/broadcast/broadcast.jobs';
import type { BroadcastCounts as Counts } from '../src/broadcast/broadcast.schema';
import { ProviderRegistry } from '../src/sending/provider-registry';
import { SendQueue } from '../src/sending/send.queue';
import { SEND_QUEUE, SendJobData } from '../src/sending/sending.jobs';
import { BroadcastBody, mobileNumbers } from './support/broadcasts';
import { createTenant, TestTenant } from './support/factories';
import { describeWithMongo } from './support/mongo';
import { pollUntil } from './support/polling';
import { createTestApp, TestApp } from './support/test-app';

/** The count rules that hold at every read: the arrays partition the recipients, and `read ≤ delivered ≤ sent`. */
function expectConsistent(counts: Counts, recipients: number, where: string): void {
  const problems: string[] = [];
  if (counts.recipients !== recipients) problems.push(`recipients ${counts.recipients} ≠ ${recipients}`);
  if (counts.pending + counts.sent + counts.failed !== counts.recipients) problems.push('pending + sent + failed ≠ recipients');
  if (counts.delivered > counts.sent) problems.push('delivered > sent');
  if (counts.read > counts.delivered) problems.push('read > delivered');
  expect({ where, counts, problems }).toEqual({ where, counts, problems: [] });
}

describeWithMongo('Broadcast send jobs: one Bull job per recipient (e2e)', () => {
  let t: TestApp;
  let alice: TestTenant;
  let queue: Queue<SendJobData>;

  beforeAll(async () => {
    t = await createTestApp({
      env: {
        WORKER_CONCURRENCY: '50',
        BROADCAST_PROGRESS_FLUSH_MS: '100',
        // Delivered and read reports right after each send: they race the progress writes.
        SANDBOX_STATUS_DELAY_MS: '1',
        SESSION_RATE_LIMIT_PER_SECOND: '1000',
      },
    });
    alice = await createTenant(t.app, { name: 'Alice' });
    queue = t.app.get<Queue<SendJobData>>(getQueueToken(SEND_QUEUE));
  });
  afterAll(() => t.close());

  async function createBroadcast(to: string[]): Promise<string> {
    const response = await t.http.post('/broadcast').set(alice.auth).set(alice.session).send({ send_type: 'individual', to: to.join(','), message: { text: 'One job each' } }).expect(201);
    return response.body.data._id as string;
  }

  async function jobsOf(broadcastId: string, states: Array<'completed' | 'failed' | 'waiting' | 'active' | 'delayed'>): Promise<Array<Job<SendJobData>>> {
    return (await queue.getJobs(states)).filter((job) => job && String(job.id).startsWith(`${broadcastId}:`));
  }

  it('sends a broadcast of N recipients through exactly N send jobs, with ids <broadcast>:<activation>:<number>', async () => {
    const recipients = mobileNumbers(400, '8031');
    const id = await createBroadcast(recipients);
    const done = await pollUntil(async () => (await t.http.get(`/broadcast/${id}`).set(alice.auth).expect(200)).body.data as BroadcastBody, (body) => body.status !== 'sending');
    expect(done.status).toBe('completed');
    // Finished jobs stay for the dashboard: each recipient's one job is there.
    const jobs = await jobsOf(id, ['completed', 'failed', 'waiting', 'active', 'delayed']);
    expect(jobs).toHaveLength(recipients.length);
    const ids = jobs.map((job) => String(job.id).match(/^([0-9a-f]{24}):(\d+):(\d+)$/));
    expect(ids.every(Boolean)).toBe(true);
    expect(new Set(ids.map((match) => match![2])).size).toBe(1);
    expect(ids.map((match) => match![3]).sort()).toEqual([...recipients].sort());
    expect(jobs.every((job) => job.data.kind === 'broadcast-recipient' && job.attemptsMade === 0 && job.finishedOn)).toBe(true);
    expect(t.app.get(ProviderRegistry).sandbox.duplicateSends()).toEqual([]);
  });

  it('keeps its counts consistent at every read while delivery reports race the sends (polled every 100 ms)', async () => {
    const recipients = mobileNumbers(1500, '8032');
    const id = await createBroadcast(recipients);
    let reads = 0;
    for (let status = 'sending'; status === 'sending'; reads++) {
      const [full, summary, listed] = await Promise.all([
        t.http.get(`/broadcast/${id}`).set(alice.auth).expect(200),
        t.http.get(`/broadcast/${id}?fields=summary`).set(alice.auth).expect(200),
        t.http.get('/broadcast?fields=summary&limit=5').set(alice.auth).set(alice.session).expect(200),
      ]);
      const body = full.body.data as BroadcastBody & { counts: Counts };
      expectConsistent(body.counts, recipients.length, 'GET /broadcast/:id');
      expect(body.counts).toMatchObject({ pending: body.pending.length, sent: body.sent.length, failed: body.failed.length });
      expectConsistent(summary.body.data.counts as Counts, recipients.length, 'fields=summary');
      const inList = (listed.body.data as Array<{ _id: string; counts: Counts }>).find((item) => item._id === id);
      expectConsistent(inList!.counts, recipients.length, 'GET /broadcast?fields=summary');
      status = body.status;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(reads).toBeGreaterThan(2);
    // Once every report is in, all were delivered and read.
    const settled = await pollUntil(
      async () => (await t.http.get(`/broadcast/${id}?fields=summary`).set(alice.auth).expect(200)).body.data.counts as Counts,
      (counts) => counts.read === recipients.length,
      20_000,
      100,
    );
    expect(settled).toEqual({ recipients: 1500, pending: 0, sent: 1500, failed: 0, delivered: 1500, read: 1500, waiting_for_limit: 0, next_waiting_at: null });
  }, 120_000);

  it('still sends the group jobs an earlier version left in Redis, each recipient once', async () => {
    const recipients = mobileNumbers(30, '8033');
    // A broadcast as the earlier version stored it, and the group job it added (no fan-out of this version runs).
    const broadcast = await t.app.get(BroadcastRepository).create({
      clientId: alice.clientId,
      sessionId: alice.sessionId,
      sendType: 'individual',
      to: recipients.join(','),
      message: { text: 'Left over from an upgrade', attachments: [], location: null, contactId: null, template: null },
      pending: recipients,
      failed: [],
      failures: [],
    });
    const id = broadcast._id.toHexString();
    const group = (members: string[]): BroadcastSendGroupJobData => ({
      kind: BROADCAST_SEND_GROUP_JOB,
      broadcastId: id,
      recipients: members.map((recipient) => ({ recipient, contact: null })),
    });
    const activation = broadcast.activated_at!.getTime();
    await t.app.get(SendQueue).enqueue(alice.sessionId, [
      { id: `${id}:g${activation}-0`, data: group(recipients.slice(0, 20)) },
      { id: `${id}:g${activation}-1`, data: group(recipients.slice(20)) },
    ]);
    const done = await pollUntil(async () => (await t.http.get(`/broadcast/${id}`).set(alice.auth).expect(200)).body.data as BroadcastBody, (body) => body.status !== 'sending');
    expect(done.status).toBe('completed');
    expect([...done.sent].sort()).toEqual([...recipients].sort());
    const sendCounts = t.app.get(ProviderRegistry).sandbox.sendCounts();
    expect(recipients.map((recipient) => sendCounts.get(`${id}:${recipient}:0`))).toEqual(recipients.map(() => 1));
  });
});
