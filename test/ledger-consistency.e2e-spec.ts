import { setTimeout as sleep } from 'node:timers/promises';
import { createTenant, TestTenant } from './support/factories';
import { describeWithMongo } from './support/mongo';
import { createTestApp, TestApp } from './support/test-app';
import { BroadcastBody } from './support/broadcasts';

/** A message still in these is on its way; the views are compared once none is. */
const IN_FLIGHT = new Set(['queued', 'sending']);
const SETTLE_TIMEOUT_MS = 40_000;
const POLL_MS = 100;
/** Longer than the sandbox's delivered + read delays (2 × SANDBOX_STATUS_DELAY_MS = 100 ms in tests). */
const QUIET_MS = 600;

interface LedgerEntry {
  _id: string;
  source: 'broadcast' | 'api';
  broadcast_id: string | null;
  recipient: string;
  message_uid: string;
  status: string;
  error: { code: string; message: string } | null;
}

interface ContactMessage {
  id: string;
  messageUid: string;
  status: string;
  source: string;
  broadcastId: string | null;
  contact: { id: string | null; phoneNumber: string };
}

interface ApiRequestsData {
  totalMessages: number;
  sentCount: number;
  deliveredCount: number;
  readCount: number;
  failedCount: number;
  logs: Array<{ message_uid: string; contact_number: string; sent: boolean | null; read: boolean | null; failed: boolean | null }>;
}

/**
 * The ledger's three read views (seeds 000, 003, 004) and the broadcast's own arrays are
 * different windows on the same messages: after real sends through the worker and the
 * sandbox provider (with its delivered/read updates), they must tell the same story.
 */
describeWithMongo('Ledger consistency: broadcast arrays and the three message-log views (e2e)', () => {
  let t: TestApp;
  let alice: TestTenant;
  let bob: TestTenant;
  let adaContactId: string;

  const ADA = '2348179803743';
  // Sandbox magic numbers: ...9999 always fails permanently, ...7777 fails once and then succeeds.
  const recipients = [ADA, '2349048988056', '2348031230001', '2348031239999', '2348031237777'];
  // Single messages (POST /v1/messages): to Ada with a template, to a new number, to a failing one.
  const singles = [
    { to: `+${ADA}`, message: { text: 'Your order shipped' }, template: { name: 'hello_world', language: 'en_US' } },
    { to: '2348031230002', message: { text: 'One more' } },
    { to: '2348031249999', message: { text: 'Never arrives' } },
  ];
  const messageCount = recipients.length + singles.length;

  beforeAll(async () => {
    t = await createTestApp({ worker: true });
    alice = await createTenant(t.app, { name: 'Alice' });
    bob = await createTenant(t.app, { name: 'Bob' });
    const ada = await t.http.post('/contacts').set(alice.auth).send({ name: 'Ada Obi', phone: ADA }).expect(201);
    adaContactId = ada.body.data._id;
  });
  afterAll(() => t.close());

  async function ledger(tenant: TestTenant): Promise<LedgerEntry[]> {
    const response = await t.http.get('/message-log').query({ type: 'all', limit: 100 }).set(tenant.auth).expect(200);
    return response.body.data as LedgerEntry[];
  }

  /**
   * Waits until the broadcast is finished, no message is queued or sending, and the
   * ledger has not changed for QUIET_MS (late delivered/read reports have landed), so
   * that every view below is read from the same state.
   */
  async function settle(broadcastId: string): Promise<BroadcastBody> {
    const deadline = Date.now() + SETTLE_TIMEOUT_MS;
    let previous = '';
    for (;;) {
      const broadcast = (await t.http.get(`/broadcast/${broadcastId}`).set(alice.auth).expect(200)).body.data as BroadcastBody;
      const entries = await ledger(alice);
      const snapshot = JSON.stringify(entries.map((entry) => [entry._id, entry.status]));
      const finished =
        broadcast.status !== 'sending' && entries.length === messageCount && entries.every((entry) => !IN_FLIGHT.has(entry.status));
      if (finished && snapshot === previous) return broadcast;
      if (Date.now() > deadline) throw new Error(`Not settled in ${SETTLE_TIMEOUT_MS} ms: ${JSON.stringify({ broadcast, entries })}`);
      previous = finished ? snapshot : '';
      await sleep(finished ? QUIET_MS : POLL_MS);
    }
  }

  it('agrees on totals, statuses and recipients after a broadcast and single messages were sent', async () => {
    const created = await t.http
      .post('/broadcast')
      .set(alice.auth)
      .set(alice.session)
      .send({ send_type: 'individual', to: recipients.join(','), message: { text: 'Ledger check' } })
      .expect(201);
    const broadcastId = created.body.data._id as string;
    const uids: string[] = [];
    for (const single of singles) {
      const queued = await t.http.post('/v1/messages').set(alice.auth).set(alice.session).send(single).expect(202);
      uids.push(queued.body.data.message_uid as string);
    }
    const broadcast = await settle(broadcastId);

    // The broadcast's arrays: every recipient in exactly one of them.
    expect(broadcast.pending).toEqual([]);
    expect([...broadcast.sent, ...broadcast.failed].sort()).toEqual([...recipients].sort());
    expect(broadcast.failed).toEqual(['2348031239999']);
    expect(broadcast.status).toBe('completed_with_errors');

    // Seed 000: one entry per recipient, its status matching the array the recipient is in.
    const entries = await ledger(alice);
    const ofBroadcast = entries.filter((entry) => entry.broadcast_id === broadcastId);
    expect(ofBroadcast.map((entry) => entry.recipient).sort()).toEqual([...recipients].sort());
    for (const entry of ofBroadcast) {
      expect(entry.source).toBe('broadcast');
      if (broadcast.failed.includes(entry.recipient)) expect(entry.status).toBe('failed');
      else expect(['sent', 'delivered', 'read']).toContain(entry.status);
    }
    // Every single message is one `api` entry, under the message_uid POST /v1/messages answered.
    const apiEntries = entries.filter((entry) => entry.source === 'api');
    expect(apiEntries.map((entry) => entry.message_uid).sort()).toEqual([...uids].sort());
    expect(entries).toHaveLength(messageCount);
    const failedEntry = ofBroadcast.find((entry) => entry.status === 'failed');
    const failure = broadcast.failures.find((item) => item.recipient === failedEntry?.recipient);
    expect(failedEntry?.error?.code).toBe(failure?.code);
    // The session list and the client-wide list agree for a client with one session.
    const sessionList = await t.http.get('/message-log').query({ limit: 100 }).set(alice.auth).set(alice.session).expect(200);
    expect(sessionList.body.pagination.total).toBe(entries.length);

    // Seed 003: each recipient's messages are exactly its ledger entries, same ids, uids and statuses.
    let seenThroughContacts = 0;
    for (const recipient of new Set(entries.map((entry) => entry.recipient))) {
      const response = await t.http.get(`/v1/contacts/${recipient}/messages`).query({ perPage: 100 }).set(alice.auth).expect(200);
      const messages = response.body.data as ContactMessage[];
      const expected = entries.filter((entry) => entry.recipient === recipient);
      expect(messages.map((message) => [message.id, message.messageUid, message.status, message.broadcastId])).toEqual(
        expected.map((entry) => [entry._id, entry.message_uid, entry.status, entry.broadcast_id]),
      );
      seenThroughContacts += messages.length;
    }
    expect(seenThroughContacts).toBe(entries.length);
    // By contact id the same as by number.
    const byId = await t.http.get(`/v1/contacts/${adaContactId}/messages`).set(alice.auth).expect(200);
    const byNumber = await t.http.get(`/v1/contacts/${ADA}/messages`).set(alice.auth).expect(200);
    expect(byId.body.data).toEqual(byNumber.body.data);
    expect(byId.body.data[0].contact).toMatchObject({ id: adaContactId, phoneNumber: `+${ADA}` });

    // Seed 004: the API requests are exactly the ledger's `api` entries, and its counts are
    // the ledger's statuses counted with the documented meaning of each flag.
    const apiRequests = (await t.http.get('/api/v1/external/api-requests').query({ limit: 100 }).set(alice.auth).expect(200)).body
      .data as ApiRequestsData;
    const countOf = (statuses: string[]): number => apiEntries.filter((entry) => statuses.includes(entry.status)).length;
    expect(apiRequests).toMatchObject({
      totalMessages: apiEntries.length,
      sentCount: countOf(['sent', 'delivered', 'read']),
      deliveredCount: countOf(['delivered', 'read']),
      readCount: countOf(['read']),
      failedCount: countOf(['failed']),
    });
    expect(apiRequests.logs.map((log) => log.message_uid).sort()).toEqual(apiEntries.map((entry) => entry.message_uid).sort());
    expect(apiRequests.failedCount).toBe(1);
    for (const log of apiRequests.logs) {
      const entry = apiEntries.find((candidate) => candidate.message_uid === log.message_uid);
      expect(log.contact_number).toBe(`+${entry?.recipient}`);
      expect(log.failed).toBe(entry?.status === 'failed');
    }
    // Its filters pick the same entries the ledger holds.
    const templated = await t.http.get('/api/v1/external/api-requests').query({ template_name: 'hello_world' }).set(alice.auth).expect(200);
    expect(templated.body.data.logs.map((log: { message_uid: string }) => log.message_uid)).toEqual([uids[0]]);
    const byName = await t.http.get('/api/v1/external/api-requests').query({ contact_name: 'ada' }).set(alice.auth).expect(200);
    expect(byName.body.data.logs).toEqual([expect.objectContaining({ message_uid: uids[0], contact_name: 'Ada Obi' })]);
    const sent = await t.http.get('/api/v1/external/api-requests').query({ sent: true }).set(alice.auth).expect(200);
    expect(sent.body.data.totalMessages).toBe(countOf(['sent', 'delivered', 'read']));

    // None of it leaks to another client.
    expect(await ledger(bob)).toEqual([]);
    const bobsView = await t.http.get(`/v1/contacts/${ADA}/messages`).set(bob.auth).expect(200);
    expect(bobsView.body.data).toEqual([]);
  });
});
