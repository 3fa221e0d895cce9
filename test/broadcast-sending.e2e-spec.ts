import { getQueueToken } from '@nestjs/bull';
import { getModelToken } from '@nestjs/mongoose';
import type { Queue } from 'bull';
import { Model, Types } from 'mongoose';
import { setTimeout as sleep } from 'node:timers/promises';
import { SessionRepository } from '../src/auth/session.repository';
import { TenancyService } from '../src/auth/tenancy.service';
import { MessageLogRepository } from '../src/message-log/message-log.repository';
import { MessageLog, MessageLogRecord } from '../src/message-log/message-log.schema';
import { ProviderRegistry } from '../src/sending/provider-registry';
import { ATTEMPT_WRITE_TRIES } from '../src/sending/send-ledger';
import { BroadcastSendJobs } from '../src/broadcast/broadcast-send-jobs';
import { SEND_QUEUE } from '../src/sending/sending.jobs';
import { WhatsappLog, WhatsappLogRecord } from '../src/whatsapp-log/whatsapp-log.schema';
import { createTenant, TestTenant } from './support/factories';
import * as samples from './support/media-samples';
import { describeWithMongo } from './support/mongo';
import { createTestApp, TestApp } from './support/test-app';
import { BroadcastBody } from './support/broadcasts';
import { pollUntil } from './support/polling';

const oid = (id: string): Types.ObjectId => new Types.ObjectId(id);
const ALWAYS_FAILS = ['2348031239999', '2348035559999'];
const FAILS_ONCE = '2348031237777';
/** Valid Nigerian mobile prefixes; each test uses its own, so that numbers never collide. */
const MOBILE_PREFIXES = ['803', '806', '813', '816', '703', '706', '810', '814'];
/** Distinct valid numbers that are not magic. */
const regularNumbers = (count: number, block = 1): string[] =>
  Array.from({ length: count }, (_, index) => `234${MOBILE_PREFIXES[block]}${String(10000000 + index).slice(1)}`);

describeWithMongo('Broadcast sending through the worker and the sandbox (e2e)', () => {
  let t: TestApp;
  let alice: TestTenant;
  let messageLogs: Model<MessageLog>;
  let whatsappLogs: Model<WhatsappLog>;
  let registry: ProviderRegistry;

  beforeAll(async () => {
    t = await createTestApp({
      env: {
        // Few slots, so that a rate-limited broadcast keeps jobs waiting in Redis (the lost-jobs tests remove them).
        WORKER_CONCURRENCY: '10',
        SEND_ATTEMPTS: '4',
        SEND_BACKOFF_MS: '30',
        BROADCAST_PROGRESS_FLUSH_MS: '50',
        SWEEP_INTERVAL_MS: '300',
        SWEEP_PENDING_AGE_MS: '1500',
        SANDBOX_STATUS_DELAY_MS: '40',
      },
    });
    alice = await createTenant(t.app, { name: 'Alice' });
    messageLogs = t.app.get(getModelToken(MessageLog.name));
    whatsappLogs = t.app.get(getModelToken(WhatsappLog.name));
    registry = t.app.get(ProviderRegistry);
  });
  afterAll(() => t.close());

  /** A session of Alice's with its own rate limit, as header credentials. */
  async function sessionWithRate(rateLimitPerSecond: number | null): Promise<Record<string, string>> {
    const session = await t.app
      .get(TenancyService)
      .createSession({ clientId: alice.clientId, name: `rate ${rateLimitPerSecond}`, provider: 'sandbox', rateLimitPerSecond });
    return { 'X-Session-Id': session.session_id, 'X-Access-Token': session.access_token };
  }

  async function createBroadcast(session: Record<string, string>, to: string[], message: Record<string, unknown>): Promise<string> {
    const response = await t.http.post('/broadcast').set(alice.auth).set(session).send({ send_type: 'individual', to: to.join(','), message }).expect(201);
    return response.body.data._id as string;
  }

  async function getBroadcast(id: string): Promise<BroadcastBody> {
    return (await t.http.get(`/broadcast/${id}`).set(alice.auth).expect(200)).body.data as BroadcastBody;
  }

  const sendsOf = (broadcastId: string): number =>
    [...registry.sandbox.sendCounts()].filter(([key]) => key.startsWith(`${broadcastId}:`)).reduce((sum, [, count]) => sum + count, 0);

  /** The broadcast's send jobs waiting, delayed or running (finished ones stay a while for the dashboard). */
  async function jobKeysOf(broadcastId: string): Promise<string[]> {
    const queue = t.app.get<Queue>(getQueueToken(SEND_QUEUE));
    const jobs = await queue.getJobs(['waiting', 'delayed', 'active', 'paused']);
    return jobs.flatMap((job) => (job && String(job.id).startsWith(`${broadcastId}:`) ? [String(job.id)] : []));
  }

  function expectPartition(broadcast: BroadcastBody, recipients: string[]): void {
    const all = [...broadcast.sent, ...broadcast.pending, ...broadcast.failed];
    expect(all).toHaveLength(recipients.length);
    expect(new Set(all)).toEqual(new Set(recipients));
  }

  it('sends to ~50 numbers: magic numbers fail or retry, every recipient ends in exactly one array, logs agree', async () => {
    const contact = await t.http.post('/contacts').set(alice.auth).send({ name: 'Ada Obi', phone: '2348179803743' }).expect(201);
    const recipients = [...regularNumbers(47), ...ALWAYS_FAILS, FAILS_ONCE];
    const id = await createBroadcast(alice.session, recipients, { text: 'Hello from the sandbox', contactId: contact.body.data._id });

    const finished = await pollUntil(() => getBroadcast(id), (broadcast) => broadcast.status !== 'sending');
    expect(finished.status).toBe('completed_with_errors');
    expect(finished.pending).toEqual([]);
    expectPartition(finished, recipients);
    expect(new Set(finished.failed)).toEqual(new Set(ALWAYS_FAILS));
    expect(finished.failures).toEqual(
      expect.arrayContaining(
        ALWAYS_FAILS.map((recipient) => ({ recipient, code: '131026', message: expect.stringMatching(/never receive messages/) })),
      ),
    );
    expect(finished.failures).toHaveLength(ALWAYS_FAILS.length);

    // The message logs agree with the arrays: one per recipient, sent ones sent (or later), failed ones failed.
    const logs = await messageLogs.find({ broadcast_id: oid(id) }).lean<MessageLogRecord[]>();
    expect(logs).toHaveLength(recipients.length);
    for (const log of logs) {
      if (finished.failed.includes(log.recipient)) {
        expect(log).toMatchObject({ status: 'failed', error: { code: '131026' } });
      } else {
        expect(['sent', 'delivered', 'read']).toContain(log.status);
        expect(log.provider_message_ids).toHaveLength(2);
      }
    }
    // The magic "fails once" number needed a retry for each of its two wire messages, sending each once.
    const retried = logs.find((log) => log.recipient === FAILS_ONCE)!;
    expect(retried.attempts).toBe(3);
    expect(registry.sandbox.sendCount(`${id}:${FAILS_ONCE}:0`)).toBe(1);
    expect(registry.sandbox.sendCount(`${id}:${FAILS_ONCE}:1`)).toBe(1);
    const retriedCalls = await whatsappLogs.find({ messageLogId: retried._id }).lean<WhatsappLogRecord[]>();
    expect(retriedCalls.map((call) => call.status).filter((status) => status === 'failed')).toHaveLength(2);
    expect(retriedCalls.find((call) => call.status === 'failed')).toMatchObject({ errorCode: '130429', toNumber: FAILS_ONCE });

    // Nothing was sent twice: each of the 48 delivered recipients got exactly its two wire messages.
    expect(registry.sandbox.duplicateSends()).toEqual([]);
    expect(sendsOf(id)).toBe((recipients.length - ALWAYS_FAILS.length) * 2);

    // The sandbox's delivered/read updates reach the WhatsApp logs and roll up into the message logs.
    const read = await pollUntil(
      () => messageLogs.countDocuments({ broadcast_id: oid(id), status: 'read' }),
      (count) => count === recipients.length - ALWAYS_FAILS.length,
    );
    expect(read).toBe(recipients.length - ALWAYS_FAILS.length);
    const sample = await whatsappLogs.findOne({ broadcastId: oid(id), status: 'read' }).lean<WhatsappLogRecord>();
    expect(sample).toMatchObject({ projectId: expect.anything(), whatsAppCostInUSDCents: 1, whatsAppMessageId: expect.stringMatching(/^wamid\./) });
    const contactLog = logs.find((log) => log.recipient === '2348179803743');
    expect(contactLog).toBeUndefined();
  });

  it('finishes as failed when nothing could be sent, and fails at once through an unhealthy session', async () => {
    const session = await sessionWithRate(null);
    await t.app.get(SessionRepository).setHealth(session['X-Session-Id'], 'unhealthy', 'Access token expired');
    const recipients = regularNumbers(3, 2);
    const id = await createBroadcast(session, recipients, { text: 'never sent' });
    const finished = await pollUntil(() => getBroadcast(id), (broadcast) => broadcast.status !== 'sending');
    expect(finished).toMatchObject({ status: 'failed', sent: [], pending: [] });
    expect(finished.failures).toEqual(recipients.map(() => ({ recipient: expect.any(String), code: 'session_unhealthy', message: 'Access token expired' })));
    expect(sendsOf(id)).toBe(0);
  });

  it('sends attachments as media messages and a location', async () => {
    const upload = await t.http.post('/attachment').set(alice.auth).attach('file', samples.png(2), { filename: 'a.png' }).expect(201);
    const recipients = regularNumbers(2, 3);
    const id = await createBroadcast(alice.session, recipients, {
      attachments: [upload.body.data._id],
      location: { lat: '6.556452', lng: '3.2774487', name: 'Office' },
    });
    const finished = await pollUntil(() => getBroadcast(id), (broadcast) => broadcast.status !== 'sending');
    expect(finished.status).toBe('completed');
    const calls = await whatsappLogs.find({ broadcastId: oid(id), toNumber: recipients[0] }).sort({ createdAt: 1 }).lean<WhatsappLogRecord[]>();
    expect(calls.map((call) => call.messageText)).toEqual([expect.stringMatching(/^\[image\] /), '[location] 6.556452,3.2774487 Office']);
    // While a sending broadcast uses it, the attachment cannot be deleted; afterwards it can.
    await t.http.delete(`/attachment/${upload.body.data._id}`).set(alice.auth).expect(200);
  });

  it('sends a text with an image as one WhatsApp message (the captioned image), a location as another', async () => {
    const upload = await t.http.post('/attachment').set(alice.auth).attach('file', samples.png(3), { filename: 'menu.png' }).expect(201);
    const recipients = regularNumbers(2, 7);
    const id = await createBroadcast(alice.session, recipients, {
      text: 'Our new menu',
      attachments: [upload.body.data._id],
      location: { lat: 6.556452, lng: 3.2774487 },
    });
    const finished = await pollUntil(() => getBroadcast(id), (broadcast) => broadcast.status !== 'sending');
    expect(finished.status).toBe('completed');
    const calls = await whatsappLogs.find({ broadcastId: oid(id), toNumber: recipients[0] }).sort({ createdAt: 1 }).lean<WhatsappLogRecord[]>();
    expect(calls.map((call) => call.messageText)).toEqual([`[image] ${upload.body.data.name}.png Our new menu`, '[location] 6.556452,3.2774487']);
    expect(sendsOf(id)).toBe(2 * recipients.length);
    const entry = await messageLogs.findOne({ broadcast_id: oid(id), recipient: recipients[0] }).lean<MessageLogRecord>();
    expect(entry).toMatchObject({ status: expect.stringMatching(/^(sent|delivered|read)$/), message: { text: 'Our new menu' } });
    expect(entry!.provider_message_ids).toHaveLength(2);
  });

  it('cancels mid-way: sending stops, the record stays cancelled, every recipient still in exactly one array', async () => {
    const session = await sessionWithRate(5);
    // More recipients (one job each) than WORKER_CONCURRENCY (10): some jobs are still queued when it is cancelled.
    const recipients = regularNumbers(300, 4);
    const id = await createBroadcast(session, recipients, { text: 'slow' });
    await pollUntil(() => Promise.resolve(sendsOf(id)), (sends) => sends >= 2);
    const cancelled = await t.http.post(`/broadcast/${id}/cancel`).set(alice.auth).expect(200);
    expect(cancelled.body.data.status).toBe('cancelled');
    await sleep(600);
    const settled = sendsOf(id);
    await sleep(1000);
    expect(sendsOf(id)).toBe(settled);
    expect(settled).toBeLessThan(recipients.length);
    const after = await pollUntil(() => getBroadcast(id), (broadcast) => broadcast.sent.length === settled);
    expect(after.status).toBe('cancelled');
    expectPartition(after, recipients);
    expect(after.pending.length).toBeGreaterThan(0);
    expect(await pollUntil(() => jobKeysOf(id), (keys) => keys.length === 0, 5000)).toEqual([]);
    const conflict = await t.http.post(`/broadcast/${id}/cancel`).set(alice.auth).expect(200);
    expect(conflict.body.data.status).toBe('cancelled');
  });

  it('deletes a broadcast: its queued jobs leave Redis first, nothing more is sent, the logs stay', async () => {
    const session = await sessionWithRate(2);
    // More recipients (one job each) than WORKER_CONCURRENCY (10), so that some jobs are still waiting.
    const recipients = regularNumbers(300, 5);
    const id = await createBroadcast(session, recipients, { text: 'to be deleted' });
    await pollUntil(() => jobKeysOf(id), (keys) => keys.length >= 12);
    expect((await jobKeysOf(id)).length).toBeGreaterThanOrEqual(12);
    await t.http.delete(`/broadcast/${id}`).set(alice.auth).expect(200);
    await t.http.get(`/broadcast/${id}`).set(alice.auth).expect(404);
    // Only jobs already running (holding a lock) may remain, and they finish without sending more.
    const left = await pollUntil(() => jobKeysOf(id), (keys) => keys.length === 0, 5000);
    expect(left).toEqual([]);
    const sent = sendsOf(id);
    await sleep(1000);
    expect(sendsOf(id)).toBe(sent);
    expect(sent).toBeLessThan(recipients.length);
    expect(await messageLogs.countDocuments({ broadcast_id: oid(id), status: { $in: ['sent', 'delivered', 'read'] } })).toBe(sent);
  });

  it('the sweep enqueues again recipients whose jobs vanished from Redis', async () => {
    const session = await sessionWithRate(40);
    // More recipients (one job each) than WORKER_CONCURRENCY (10), so that some jobs are still waiting.
    const recipients = regularNumbers(300, 6);
    const id = await createBroadcast(session, recipients, { text: 'lost and found' });
    await pollUntil(() => jobKeysOf(id), (keys) => keys.length >= 12);
    // Simulate Redis losing the queued jobs (the broadcast is not stopped).
    expect(await t.app.get(BroadcastSendJobs).removeQueued(id)).toBeGreaterThan(0);
    const finished = await pollUntil(() => getBroadcast(id), (broadcast) => broadcast.status !== 'sending');
    expect(finished.status).toBe('completed');
    expect(new Set(finished.sent)).toEqual(new Set(recipients));
    expect(registry.sandbox.duplicateSends()).toEqual([]);
  });

  describe('a ledger write that fails', () => {
    afterEach(() => jest.restoreAllMocks());

    /** Waits for the broadcast to finish and checks the ledger is exact: one entry per recipient, its calls all recorded, none sent twice. */
    async function expectExactLedger(id: string, recipients: string[]): Promise<void> {
      const finished = await pollUntil(() => getBroadcast(id), (broadcast) => broadcast.status !== 'sending');
      expect(finished.status).toBe('completed');
      expect([...finished.sent].sort()).toEqual([...recipients].sort());
      expect(finished.pending).toEqual([]);
      const logs = await messageLogs.find({ broadcast_id: oid(id) }).lean<MessageLogRecord[]>();
      expect(logs.map((log) => log.recipient).sort()).toEqual([...recipients].sort());
      const calls = await whatsappLogs.find({ broadcastId: oid(id) }).lean<WhatsappLogRecord[]>();
      for (const log of logs) {
        expect(log.status).not.toBe('failed');
        const accepted = calls.filter((call) => call.messageLogId?.equals(log._id) && call.whatsAppMessageId !== null);
        // Two wire messages (text, location), each accepted once and listed once on the entry.
        expect(accepted).toHaveLength(2);
        expect([...log.provider_message_ids].sort()).toEqual(accepted.map((call) => call.whatsAppMessageId).sort());
      }
      expect(sendsOf(id)).toBe(recipients.length * 2);
      expect(registry.sandbox.duplicateSends()).toEqual([]);
    }

    it('fails exactly the jobs of its batch, which retry, and the ledger ends exact', async () => {
      const repository = t.app.get(MessageLogRepository);
      const claim = repository.claimForSending.bind(repository);
      let failures = 0;
      jest.spyOn(repository, 'claimForSending').mockImplementation(async (claims, at) => {
        if (failures++ === 0) throw new Error('injected: the claim batch failed');
        return claim(claims, at);
      });
      const recipients = regularNumbers(30, 2);
      const id = await createBroadcast(alice.session, recipients, { text: 'claim fails once', location: { lat: 6.5, lng: 3.3 } });
      await expectExactLedger(id, recipients);
      expect(failures).toBeGreaterThan(1);
    });

    it('after the provider accepted the calls, is retried; when it keeps failing the jobs retry without sending again', async () => {
      const repository = t.app.get(MessageLogRepository);
      const record = repository.recordSendAttempts.bind(repository);
      let failures = 0;
      // Every try of the first batch fails (the WhatsApp logs are written), so its jobs fail and run again.
      jest.spyOn(repository, 'recordSendAttempts').mockImplementation(async (records, at) => {
        if (failures < ATTEMPT_WRITE_TRIES) {
          failures += 1;
          throw new Error('injected: the message-log write failed');
        }
        return record(records, at);
      });
      const recipients = regularNumbers(30, 3);
      const id = await createBroadcast(alice.session, recipients, { text: 'record fails', location: { lat: 6.5, lng: 3.3 } });
      await expectExactLedger(id, recipients);
      expect(failures).toBe(ATTEMPT_WRITE_TRIES);
    });
  });
});
