import { getQueueToken } from '@nestjs/bull';
import { getModelToken } from '@nestjs/mongoose';
import type { Queue } from 'bull';
import { Model, Types } from 'mongoose';
import { TenancyService } from '../src/auth/tenancy.service';
import { BroadcastRepository } from '../src/broadcast/broadcast.repository';
import { BroadcastSweeper } from '../src/broadcast/broadcast-sweeper';
import { MessageLogRepository, NewMessageLog } from '../src/message-log/message-log.repository';
import { MessageLog, MessageLogRecord } from '../src/message-log/message-log.schema';
import { MessageSender } from '../src/sending/message-sender';
import { ProviderRegistry } from '../src/sending/provider-registry';
import { SEND_QUEUE } from '../src/sending/sending.jobs';
import { createTenant, TestTenant } from './support/factories';
import { describeWithMongo } from './support/mongo';
import { BroadcastBody, mobileNumbers } from './support/broadcasts';
import { pollUntil } from './support/polling';
import { createTestApp, TestApp } from './support/test-app';

const oid = (id: string): Types.ObjectId => new Types.ObjectId(id);
/** Distinct valid Nigerian numbers per test block. */
const numbers = (count: number, block: string): string[] => mobileNumbers(count, block);

/**
 * What survives what, in-process (the chaos suite in test/chaos/ does the same with real
 * processes): a Redis that loses every key, two attempts at one message at once, a worker that
 * died after its messages were sent but before the broadcast's progress was written.
 */
describeWithMongo('Crash and Redis-loss recovery (e2e)', () => {
  let t: TestApp;
  let alice: TestTenant;
  let registry: ProviderRegistry;
  let messageLogs: Model<MessageLog>;

  beforeAll(async () => {
    t = await createTestApp({
      env: {
        SEND_ATTEMPTS: '4',
        BROADCAST_PROGRESS_FLUSH_MS: '50',
        SWEEP_INTERVAL_MS: '300',
        SWEEP_PENDING_AGE_MS: '1000',
        SANDBOX_STATUS_DELAY_MS: '0',
      },
    });
    alice = await createTenant(t.app, { name: 'Alice' });
    registry = t.app.get(ProviderRegistry);
    messageLogs = t.app.get(getModelToken(MessageLog.name));
  });
  afterAll(() => t.close());

  /** Every key of this app in Redis deleted: what a FLUSHALL or an empty replacement Redis does to it. */
  async function loseRedisData(): Promise<number> {
    const client = t.app.get<Queue>(getQueueToken(SEND_QUEUE)).client;
    const keys = await client.keys(`${t.config.redis.queuePrefix}:*`);
    if (keys.length > 0) await client.del(...keys);
    return keys.length;
  }

  async function sessionWithRate(perSecond: number): Promise<Record<string, string>> {
    const session = await t.app.get(TenancyService).createSession({ clientId: alice.clientId, name: `rate ${perSecond}`, provider: 'sandbox', rateLimitPerSecond: perSecond });
    return { 'X-Session-Id': session.session_id, 'X-Access-Token': session.access_token };
  }

  const getBroadcast = async (id: string): Promise<BroadcastBody> => (await t.http.get(`/broadcast/${id}`).set(alice.auth).expect(200)).body.data as BroadcastBody;

  function expectPartition(broadcast: BroadcastBody, recipients: string[]): void {
    const all = [...broadcast.sent, ...broadcast.pending, ...broadcast.failed];
    expect(all).toHaveLength(recipients.length);
    expect(new Set(all)).toEqual(new Set(recipients));
  }

  it('finishes a broadcast whose Redis lost every key mid-way, sending each recipient once', async () => {
    const session = await sessionWithRate(20);
    const recipients = numbers(60, '803');
    const created = await t.http.post('/broadcast').set(alice.auth).set(session).send({ send_type: 'individual', to: recipients.join(','), message: { text: 'survives a flush' } }).expect(201);
    const id = created.body.data._id as string;
    await pollUntil(() => getBroadcast(id), (broadcast) => broadcast.sent.length >= 10);
    expect(await loseRedisData()).toBeGreaterThan(0);

    // Every poll sees each recipient in exactly one array, until none is pending.
    const finished = await pollUntil(
      async () => {
        const broadcast = await getBroadcast(id);
        expectPartition(broadcast, recipients);
        return broadcast;
      },
      (broadcast) => broadcast.status !== 'sending',
      30_000,
      100,
    );
    expect(finished.status).toBe('completed');
    expect(new Set(finished.sent)).toEqual(new Set(recipients));
    expect(registry.sandbox.duplicateSends()).toEqual([]);
    for (const recipient of recipients) expect(registry.sandbox.sendCount(`${id}:${recipient}:0`)).toBe(1);
  });

  it('sends a single message whose job vanished with Redis data', async () => {
    const session = await sessionWithRate(1);
    // The session's one send per second keeps the later messages queued when Redis loses its data.
    const sent = await Promise.all(
      numbers(4, '806').map(async (to) => {
        const response = await t.http.post('/v1/messages').set(alice.auth).set(session).send({ to, message: { text: 'still sent' } }).expect(202);
        return response.body.data.message_uid as string;
      }),
    );
    await loseRedisData();
    const logs = await pollUntil(
      () => messageLogs.find({ message_uid: { $in: sent } }).lean<MessageLogRecord[]>(),
      (found) => found.every((log) => ['sent', 'delivered', 'read'].includes(log.status)),
      // An attempt that was under way when the keys went may hold its message's lease until it lapses
      // (WORKER_LOCK_DURATION_MS, 20 s) before the sweep takes the message again.
      45_000,
      100,
    );
    expect(logs.map((log) => log.status).every((status) => ['sent', 'delivered', 'read'].includes(status))).toBe(true);
    for (const log of logs) expect(registry.sandbox.sendCount(`${log.message_uid}:0`)).toBe(1);
  });

  it('lets only one of two attempts at the same message call the provider', async () => {
    const entry: NewMessageLog = {
      clientId: alice.clientId,
      sessionId: alice.sessionId,
      source: 'api',
      broadcastId: null,
      recipient: numbers(1, '813')[0],
      contact: { contactId: null, name: null },
      message: { text: 'once', attachments: [], location: null, contactId: null },
    };
    const queued = await t.app.get(MessageLogRepository).createQueued(entry);
    const sender = t.app.get(MessageSender);
    const target = { kind: 'entry' as const, id: queued._id.toHexString() };
    const results = await Promise.allSettled([sender.send(target, { lastAttempt: false }), sender.send(target, { lastAttempt: false })]);
    expect(results.map((result) => result.status).sort()).toEqual(['fulfilled', 'rejected']);
    const busy = results.find((result): result is PromiseRejectedResult => result.status === 'rejected')!;
    expect(busy.reason).toMatchObject({ name: 'LeaseBusyError' });
    expect(registry.sandbox.sendCount(`${queued.message_uid}:0`)).toBe(1);
    // The retry of the second finds the message sent and sends nothing.
    expect(await sender.send(target, { lastAttempt: false })).toEqual({ status: 'sent' });
    expect(registry.sandbox.sendCount(`${queued.message_uid}:0`)).toBe(1);
    expect((await messageLogs.collection.findOne({ _id: queued._id }))!.claim).toBeNull();
  });

  it('settles recipients whose message was sent but whose progress died with its worker, without sending again', async () => {
    const broadcasts = t.app.get(BroadcastRepository);
    const recipients = numbers(3, '816');
    const [done, failed, lost] = recipients;
    const broadcast = await broadcasts.create({
      clientId: alice.clientId,
      sessionId: alice.sessionId,
      sendType: 'individual',
      to: recipients.join(','),
      message: { text: 'progress lost', attachments: [], location: null, contactId: null },
      pending: recipients,
      failed: [],
      failures: [],
    });
    const broadcastId = broadcast._id.toHexString();
    // The worker sent `done`, failed `failed` for good, and died before writing either to the broadcast; `lost` never ran.
    const repository = t.app.get(MessageLogRepository);
    const claims = await repository.claimForSending(
      [done, failed].map((recipient, index) => ({
        kind: 'broadcast-recipient' as const,
        entry: { clientId: alice.clientId, sessionId: alice.sessionId, source: 'broadcast' as const, broadcastId, recipient, contact: { contactId: null, name: null }, message: { text: 'progress lost', attachments: [], location: null, contactId: null } },
        lease: { token: `dead-${index}`, expiresAt: new Date(Date.now() + 60_000), holder: 'dead-worker' },
      })),
    );
    await repository.recordSendAttempts([
      { id: claims[0]!.entry._id.toHexString(), clientId: alice.clientId, leaseToken: 'dead-0', providerMessageIds: ['wamid.before-the-crash'], costInUsdCents: 0, outcome: { status: 'sent' } },
      { id: claims[1]!.entry._id.toHexString(), clientId: alice.clientId, leaseToken: 'dead-1', providerMessageIds: [], costInUsdCents: 0, outcome: { status: 'failed', failure: { code: '131026', message: 'undeliverable' } } },
    ]);

    const result = await t.app.get(BroadcastSweeper).sweep(new Date(Date.now() + 5_000));
    expect(result).toMatchObject({ settled: 2 });
    const finished = await pollUntil(() => getBroadcast(broadcastId), (found) => found.status !== 'sending');
    expect(finished).toMatchObject({ status: 'completed_with_errors', sent: expect.arrayContaining([done, lost]), failed: [failed], pending: [] });
    expect(registry.sandbox.sendCount(`${broadcastId}:${done}:0`)).toBe(0);
    expect(registry.sandbox.sendCount(`${broadcastId}:${lost}:0`)).toBe(1);
    expect(await messageLogs.countDocuments({ broadcast_id: oid(broadcastId) })).toBe(3);
  });
});
