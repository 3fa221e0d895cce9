import { getQueueToken } from '@nestjs/bull';
import { getModelToken } from '@nestjs/mongoose';
import type { Queue } from 'bull';
import { Model, Types } from 'mongoose';
import { setTimeout as sleep } from 'node:timers/promises';
import { TenancyService } from '../src/auth/tenancy.service';
import { BROADCAST_QUEUE } from '../src/broadcast/broadcast.jobs';
import { MessageLogRepository } from '../src/message-log/message-log.repository';
import { MessageLog, MessageLogRecord } from '../src/message-log/message-log.schema';
import { MESSAGE_JOB, MessageJobData, messageJobId } from '../src/message/message.jobs';
import { SendQueue } from '../src/sending/send.queue';
import { ProviderRegistry } from '../src/sending/provider-registry';
import { SendQueueShards } from '../src/sending/send-queue-shards';
import { createTenant, TestTenant } from './support/factories';
import { describeWithMongo } from './support/mongo';
import { pollUntil } from './support/polling';
import { createTestApp, TestApp } from './support/test-app';
import { mobileNumbers } from './support/broadcasts';
import type { BroadcastCounts as Counts } from '../src/broadcast/broadcast.schema';

const oid = (id: string): Types.ObjectId => new Types.ObjectId(id);
/** Fails permanently in the sandbox (131026). */
const ALWAYS_FAILS = '2348031239999';
/** Its first attempt fails transiently (130429): with SEND_ATTEMPTS=1 that is final, and a retry succeeds. */
const FAILS_ONCE = '2348031237777';
/** Distinct valid numbers that are not magic; each test uses its own block (10-99; the 100,000-row list uses 00-09). */
const numbers = (count: number, block: number): string[] => mobileNumbers(count, `806${String(block).padStart(2, '0')}`);

interface Broadcast {
  _id: string;
  status: string;
  sent: string[];
  pending: string[];
  failed: string[];
  failures: Array<{ recipient: string; code: string; message: string }>;
  counts: Counts;
  send_at: string | null;
}

describeWithMongo('Campaigns: schedules, variables, CSV lists, pause/resume, retry and live progress (e2e)', () => {
  let t: TestApp;
  let alice: TestTenant;
  let messageLogs: Model<MessageLog>;
  let registry: ProviderRegistry;

  beforeAll(async () => {
    t = await createTestApp({
      env: {
        // One attempt: a transient failure is final, so that retrying it is up to the client.
        SEND_ATTEMPTS: '1',
        BROADCAST_PROGRESS_FLUSH_MS: '50',
        SWEEP_INTERVAL_MS: '500',
        SANDBOX_STATUS_DELAY_MS: '40',
      },
    });
    alice = await createTenant(t.app, { name: 'Alice' });
    messageLogs = t.app.get(getModelToken(MessageLog.name));
    registry = t.app.get(ProviderRegistry);
  });
  afterAll(() => t.close());

  async function sessionWithRate(rateLimitPerSecond: number): Promise<Record<string, string>> {
    const session = await t.app.get(TenancyService).createSession({ clientId: alice.clientId, name: `rate ${rateLimitPerSecond}`, provider: 'sandbox', rateLimitPerSecond });
    return { 'X-Session-Id': session.session_id, 'X-Access-Token': session.access_token };
  }

  const get = async (id: string): Promise<Broadcast> => (await t.http.get(`/broadcast/${id}`).set(alice.auth).expect(200)).body.data as Broadcast;
  const finished = (id: string, timeoutMs = 30_000): Promise<Broadcast> =>
    pollUntil(() => get(id), (broadcast) => ['completed', 'completed_with_errors', 'failed', 'cancelled'].includes(broadcast.status), timeoutMs);
  const sendsOf = (broadcastId: string): number =>
    [...registry.sandbox.sendCounts()].filter(([key]) => key.startsWith(`${broadcastId}:`)).reduce((sum, [, count]) => sum + count, 0);

  function expectPartition(broadcast: Broadcast, recipients: string[]): void {
    const all = [...broadcast.sent, ...broadcast.pending, ...broadcast.failed];
    expect(all).toHaveLength(recipients.length);
    expect(new Set(all)).toEqual(new Set(recipients));
  }

  async function create(body: Record<string, unknown>, session: Record<string, string> = alice.session): Promise<Broadcast> {
    const response = await t.http.post('/broadcast').set(alice.auth).set(session).send({ send_type: 'individual', ...body }).expect(201);
    return response.body.data as Broadcast;
  }

  describe('scheduling', () => {
    it('keeps a broadcast scheduled until send_at, sends nothing before, then starts it once', async () => {
      const recipients = numbers(3, 10);
      const sendAt = new Date(Date.now() + 3000);
      const created = await create({ to: recipients.join(','), message: { text: 'Scheduled hello' }, send_at: sendAt.toISOString() });
      expect(created).toMatchObject({ status: 'scheduled', send_at: sendAt.toISOString(), pending: recipients });

      await sleep(Math.max(0, sendAt.getTime() - Date.now() - 700));
      expect((await get(created._id)).status).toBe('scheduled');
      expect(sendsOf(created._id)).toBe(0);
      expect(await messageLogs.countDocuments({ broadcast_id: oid(created._id) })).toBe(0);

      const done = await finished(created._id);
      expect(done.status).toBe('completed');
      expect(done.counts).toMatchObject({ recipients: 3, pending: 0, sent: 3, failed: 0 });
      const logs = await messageLogs.find({ broadcast_id: oid(created._id) }).lean<MessageLogRecord[]>();
      expect(Math.min(...logs.map((log) => log.createdAt.getTime()))).toBeGreaterThanOrEqual(sendAt.getTime());
      // Once: each recipient's one wire message was sent exactly once, though the sweep also looked at it.
      await sleep(1200);
      expect(sendsOf(created._id)).toBe(3);
      expect(registry.sandbox.duplicateSends()).toEqual([]);
    });

    it('starts a scheduled broadcast whose delayed job was lost with Redis (the sweep), still not before its time', async () => {
      const recipients = numbers(2, 25);
      const sendAt = new Date(Date.now() + 2000);
      const created = await create({ to: recipients.join(','), message: { text: 'Lost, then found' }, send_at: sendAt.toISOString() });
      const job = await t.app.get<Queue>(getQueueToken(BROADCAST_QUEUE)).getJob(`fan-out:${created._id}`);
      await job!.remove();
      await sleep(1000);
      expect((await get(created._id)).status).toBe('scheduled');
      const done = await finished(created._id);
      expect(done.status).toBe('completed');
      const logs = await messageLogs.find({ broadcast_id: oid(created._id) }).lean<MessageLogRecord[]>();
      expect(logs).toHaveLength(2);
      for (const log of logs) expect(log.createdAt.getTime()).toBeGreaterThanOrEqual(sendAt.getTime());
    });

    it('reads a local send_at in the given IANA time zone', async () => {
      const inLagos = new Date(Date.now() + 3_600_000 + 60_000);
      // Lagos is UTC+1 all year.
      const local = new Date(inLagos.getTime() + 3_600_000).toISOString().slice(0, 19);
      const created = await create({ to: numbers(1, 11)[0], message: { text: 'Later' }, send_at: local, timezone: 'Africa/Lagos' });
      expect(new Date(created.send_at!).getTime()).toBe(Math.floor(inLagos.getTime() / 1000) * 1000);
      await t.http.delete(`/broadcast/${created._id}`).set(alice.auth).expect(200);
    });

    it.each([
      [{ send_at: '2020-01-01T10:00:00Z' }, /send_at .* is in the past/],
      [{ send_at: 'next tuesday' }, /send_at must be an ISO 8601/],
      [{ send_at: '2030-01-01T10:00:00' }, /send_at has no UTC offset/],
      [{ send_at: '2030-01-01T10:00:00', timezone: 'Atlantis/Capital' }, /timezone "Atlantis\/Capital"/],
      [{ timezone: 'Africa/Lagos' }, /timezone is only used with send_at/],
      [{ send_at: 42 }, /send_at must be a string/],
    ])('refuses %j with a 400 naming the field, and creates nothing', async (schedule, problem) => {
      const before = await t.http.get('/broadcast?type=all&limit=1').set(alice.auth).expect(200);
      const response = await t.http
        .post('/broadcast')
        .set(alice.auth)
        .set(alice.session)
        .send({ send_type: 'individual', to: numbers(1, 11)[0], message: { text: 'x' }, ...schedule })
        .expect(400);
      expect((response.body.errors as string[]).join('\n')).toMatch(problem);
      const after = await t.http.get('/broadcast?type=all&limit=1').set(alice.auth).expect(200);
      expect(after.body.pagination.total).toBe(before.body.pagination.total);
    });

    it('cancels (or deletes) a scheduled broadcast before it starts: nothing is ever sent', async () => {
      const sendAt = new Date(Date.now() + 1500).toISOString();
      const cancelled = await create({ to: numbers(2, 12).join(','), message: { text: 'Never' }, send_at: sendAt });
      const deleted = await create({ to: numbers(2, 13).join(','), message: { text: 'Never either' }, send_at: sendAt });
      expect((await t.http.post(`/broadcast/${cancelled._id}/cancel`).set(alice.auth).expect(200)).body.data.status).toBe('cancelled');
      await t.http.delete(`/broadcast/${deleted._id}`).set(alice.auth).expect(200);
      await sleep(2500);
      expect((await get(cancelled._id)).status).toBe('cancelled');
      await t.http.get(`/broadcast/${deleted._id}`).set(alice.auth).expect(404);
      expect(sendsOf(cancelled._id) + sendsOf(deleted._id)).toBe(0);
      expect(await messageLogs.countDocuments({ broadcast_id: { $in: [oid(cancelled._id), oid(deleted._id)] } })).toBe(0);
    });

    it('schedules a single message: 202 scheduled, sent only once its time has come', async () => {
      const sendAt = new Date(Date.now() + 2000);
      const response = await t.http
        .post('/v1/messages')
        .set(alice.auth)
        .set(alice.session)
        .send({ to: numbers(1, 14)[0], message: { text: 'Later, once' }, send_at: sendAt.toISOString() })
        .expect(202);
      expect(response.body.data).toEqual({ message_uid: expect.stringMatching(/^[0-9a-f]{16}$/), status: 'scheduled', send_at: sendAt.toISOString() });
      const uid = response.body.data.message_uid as string;
      await sleep(1000);
      const entry = await messageLogs.findOne({ message_uid: uid }).lean<MessageLogRecord>();
      expect(entry).toMatchObject({ status: 'scheduled' });
      // Where the message is read: its own GET and the seed 000 view of the ledger.
      expect((await t.http.get(`/v1/messages/${uid}`).set(alice.auth).expect(200)).body.data).toMatchObject({ message_uid: uid, status: 'scheduled', send_at: sendAt.toISOString() });
      expect((await t.http.get(`/message-log/${entry!._id.toHexString()}`).set(alice.auth).set(alice.session).expect(200)).body.data).toMatchObject({ status: 'scheduled' });
      const sent = await pollUntil(
        () => messageLogs.findOne({ message_uid: uid }).lean<MessageLogRecord>(),
        (log) => log !== null && !['scheduled', 'queued', 'sending'].includes(log.status),
      );
      expect(['sent', 'delivered', 'read']).toContain(sent!.status);
      expect(sent!.status_times.sentAt!.getTime()).toBeGreaterThanOrEqual(sendAt.getTime());
    });
  });

  describe('cancelling and deleting a single scheduled message', () => {
    async function schedule(to: string, inMs: number): Promise<{ uid: string; id: string }> {
      const response = await t.http
        .post('/v1/messages')
        .set(alice.auth)
        .set(alice.session)
        .send({ to, message: { text: 'Maybe never' }, send_at: new Date(Date.now() + inMs).toISOString() })
        .expect(202);
      const uid = response.body.data.message_uid as string;
      const entry = await messageLogs.findOne({ message_uid: uid }).lean<MessageLogRecord>();
      return { uid, id: entry!._id.toHexString() };
    }

    it('cancels it before it starts: cancelled in the ledger, and nothing is sent even when its job runs and the sweep looks', async () => {
      const { uid, id } = await schedule(numbers(1, 30)[0], 1500);
      const cancelled = await t.http.post(`/v1/messages/${uid}/cancel`).set(alice.auth).expect(200);
      expect(cancelled.body).toMatchObject({ status: true, message: 'Message cancelled successfully!', data: { message_uid: uid, status: 'cancelled', error: { code: 'cancelled' } } });
      // Cancelling again answers the same; by the log id too.
      expect((await t.http.post(`/v1/messages/${id}/cancel`).set(alice.auth).expect(200)).body.data.status).toBe('cancelled');
      // A job that survived the cancel (or that the sweep would add) runs now: it must send nothing.
      await t.app.get(SendQueue).enqueue<MessageJobData>(alice.sessionId, [{ id: messageJobId(id), data: { kind: MESSAGE_JOB, messageLogId: id } }]);
      const later = new Date(Date.now() + 3_600_000);
      expect((await t.app.get(MessageLogRepository).findUnsentApiMessages(later, 10_000, later)).map((unsent) => unsent.id)).not.toContain(id);
      await sleep(2500);
      expect(registry.sandbox.sendCount(`${uid}:0`)).toBe(0);
      const entry = await messageLogs.findOne({ message_uid: uid }).lean<MessageLogRecord>();
      expect(entry).toMatchObject({ status: 'cancelled', provider_message_ids: [] });
      expect(entry!.status_times.sentAt).toBeNull();
      expect((await t.http.get(`/v1/messages/${uid}`).set(alice.auth).expect(200)).body.data.status).toBe('cancelled');
    });

    it('deletes it before it starts: gone from the ledger, nothing sent', async () => {
      const { uid } = await schedule(numbers(1, 31)[0], 1500);
      await t.http.delete(`/v1/messages/${uid}`).set(alice.auth).expect(200);
      await t.http.get(`/v1/messages/${uid}`).set(alice.auth).expect(404);
      await sleep(2500);
      expect(registry.sandbox.sendCount(`${uid}:0`)).toBe(0);
      expect(await messageLogs.countDocuments({ message_uid: uid })).toBe(0);
    });

    it('answers 409 naming the status once it was sent, 404 for another client, 400 for a malformed id', async () => {
      const { uid } = await schedule(numbers(1, 32)[0], 300);
      await pollUntil(
        () => messageLogs.findOne({ message_uid: uid }).lean<MessageLogRecord>(),
        (log) => log !== null && ['sent', 'delivered', 'read'].includes(log.status),
      );
      const refused = await t.http.post(`/v1/messages/${uid}/cancel`).set(alice.auth).expect(409);
      expect(refused.body.message).toMatch(/has already finished \(status (sent|delivered|read)\); only a scheduled or queued message can be cancelled/);
      expect((await t.http.delete(`/v1/messages/${uid}`).set(alice.auth).expect(409)).body.message).toMatch(/can be deleted/);
      expect(registry.sandbox.sendCount(`${uid}:0`)).toBe(1);

      const other = await schedule(numbers(1, 33)[0], 60_000);
      const bob = await createTenant(t.app, { name: 'Bob' });
      await t.http.post(`/v1/messages/${other.uid}/cancel`).set(bob.auth).expect(404);
      await t.http.delete(`/v1/messages/${other.uid}`).set(bob.auth).expect(404);
      await t.http.get(`/v1/messages/${other.uid}`).set(bob.auth).expect(404);
      expect((await t.http.get(`/v1/messages/${other.uid}`).set(alice.auth).expect(200)).body.data.status).toBe('scheduled');
      await t.http.post('/v1/messages/not-an-id/cancel').set(alice.auth).expect(400);
      await t.http.delete(`/v1/messages/${other.uid}`).set(alice.auth).expect(200);
    });
  });

  describe('per-recipient variables', () => {
    it('fills {{name}} and {{name|default}} per recipient; the ledger keeps each rendered text', async () => {
      const [ada, bola, chidi] = numbers(3, 15);
      const created = await create({
        to: [
          { number: ada, variables: { name: 'Ada', order: 1042 } },
          { number: `+${bola}`, variables: { order: '1043', unused: 'dropped' } },
          { number: chidi.replace(/^234/, '+234 '), variables: { order: '1044', name: '' } },
        ],
        message: { text: 'Hello {{name|friend}}, order {{ order }} is ready' },
      });
      const done = await finished(created._id);
      expect(done.status).toBe('completed');
      const logs = await messageLogs.find({ broadcast_id: oid(created._id) }).lean<MessageLogRecord[]>();
      expect(Object.fromEntries(logs.map((log) => [log.recipient, log.message.text]))).toEqual({
        [ada]: 'Hello Ada, order 1042 is ready',
        [bola]: 'Hello friend, order 1043 is ready',
        [chidi]: 'Hello friend, order 1044 is ready',
      });
    });

    it('refuses a placeholder without a default that some recipients have no value for, listing them', async () => {
      const [ada, bola, chidi] = numbers(3, 16);
      const response = await t.http
        .post('/broadcast')
        .set(alice.auth)
        .set(alice.session)
        .send({
          send_type: 'individual',
          to: [{ number: ada, variables: { name: 'Ada' } }, { number: bola }, chidi, { number: ada, variables: { first: 'x' }, extra: 1 }, { number: 'abc', variables: { 'bad name': 'x' } }],
          message: { text: 'Hello {{name}}' },
        })
        .expect(400);
      const errors = response.body.errors.join('\n') as string;
      expect(errors).toMatch(new RegExp(`\\{\\{name\\}\\} has no value for 2 recipient\\(s\\): ${bola}, ${chidi}`));
      expect(errors).toMatch(/to\[3\] has unknown field\(s\) "extra"/);
      expect(errors).toMatch(/to\[4\]\.variables: "bad name" is not a variable name/);
      expect(errors).toMatch(/"abc" is not a valid international phone number/);
    });
  });

  describe('CSV recipient lists', () => {
    const upload = (csv: string, fields: Record<string, string>, session: Record<string, string> = alice.session) => {
      const request = t.http.post('/broadcast/csv').set(alice.auth).set(session).attach('file', Buffer.from(csv, 'utf8'), 'customers.csv');
      for (const [name, value] of Object.entries(fields)) void request.field(name, value);
      return request;
    };

    it('creates a personalised broadcast from a spreadsheet export (BOM, quotes, phone column, blank lines)', async () => {
      const [ada, bola] = numbers(2, 17);
      const csv = `\uFEFFName,Phone,order\r\n"Obi, Ada",+${ada},1042\r\n\r\n,${bola},"10""43"\r\n`;
      const response = await upload(csv, { message: JSON.stringify({ text: 'Hi {{Name|there}}: {{order}}' }) }).expect(201);
      const done = await finished(response.body.data._id as string);
      expect(done.status).toBe('completed');
      const logs = await messageLogs.find({ broadcast_id: oid(done._id) }).lean<MessageLogRecord[]>();
      expect(Object.fromEntries(logs.map((log) => [log.recipient, log.message.text]))).toEqual({ [ada]: 'Hi Obi, Ada: 1042', [bola]: 'Hi there: 10"43' });
    });

    it('reports every bad row with its line number and creates nothing', async () => {
      const [ada] = numbers(1, 18);
      const csv = ['number,name', `${ada},Ada`, 'abc,Bola', ',Chidi', `${ada},Ada,extra`, '12,Dayo'].join('\n');
      const response = await upload(csv, { message: JSON.stringify({ text: 'Hi {{name}}' }) }).expect(400);
      expect(response.body.errors).toEqual(
        expect.arrayContaining([
          'line 4: the number/phone column is empty',
          'line 5: has 3 fields; the header has 2',
          'to: line 3: "abc" is not a valid international phone number',
          'to: line 6: "12" is not a valid international phone number',
        ]),
      );
      expect(await messageLogs.countDocuments({ recipient: ada })).toBe(0);
    });

    it('with skip_invalid, puts invalid rows in failed with their line, and sends to the rest', async () => {
      const [ada] = numbers(1, 19);
      const csv = ['phone', ada, 'not-a-number'].join('\n');
      const response = await upload(csv, { message: JSON.stringify({ text: 'Hello' }), skip_invalid: 'true' }).expect(201);
      const done = await finished(response.body.data._id as string);
      expect(done).toMatchObject({ status: 'completed_with_errors', sent: [ada], failed: ['not-a-number'] });
      expect(done.failures).toEqual([{ recipient: 'not-a-number', code: 'invalid_number', message: 'line 3: "not-a-number" is not a valid international phone number' }]);
    });

    it.each([
      ['name,city\nAda,Lagos', { message: '{"text":"x"}' }, /header row needs a column named number or phone/],
      ['number,1st\n2348179803743,x', { message: '{"text":"x"}' }, /column "1st" is not a variable name/],
      ['', { message: '{"text":"x"}' }, /the file is empty/],
      ['number\n2348179803743', { message: '{not json' }, /message must be a JSON object/],
      ['number\n2348179803743', {}, /message is required/],
      ['number\n2348179803743', { message: '{"text":"x"}', session_id: 'abc' }, /session_id is not read from a multipart body/],
      ['number\n2348179803743', { message: '{"text":"x"}', skip_invalid: 'maybe' }, /skip_invalid must be true or false/],
      ['number,"unclosed\n2348179803743', { message: '{"text":"x"}' }, /^line \d+: /],
    ])('refuses %j with a 400 that names the problem', async (csv, fields, problem) => {
      const response = await upload(csv, fields).expect(400);
      expect(response.body.status).toBe(false);
      expect(response.body.errors.join('\n')).toMatch(problem);
    });

    it('refuses a request without the file, and one sent as JSON, saying how to send it', async () => {
      const response = await t.http.post('/broadcast/csv').set(alice.auth).set(alice.session).field('message', '{"text":"x"}').expect(400);
      expect(response.body.message).toMatch(/field "file"/);
      for (const path of ['/broadcast/csv', '/broadcast/csv/plan']) {
        const json = await t.http.post(path).set(alice.auth).set(alice.session).send({ message: { text: 'hi' } }).expect(400);
        expect(json.body.message).toBe('Send the file as multipart/form-data in the field "file"');
      }
    });

    it('accepts a 100,000-row list', async () => {
      const rows = Array.from({ length: 100_000 }, (_, index) => `2348060${String(index).padStart(6, '0')},${index % 7 === 0 ? '' : `N${index}`}`);
      const csv = `number,name\n${rows.join('\n')}\n`;
      const session = await sessionWithRate(1);
      const started = Date.now();
      const response = await upload(csv, { message: JSON.stringify({ text: 'Hi {{name|friend}}' }), send_at: new Date(Date.now() + 3_600_000).toISOString() }, session).expect(201);
      const id = response.body.data._id as string;
      process.stdout.write(`100,000-row CSV broadcast created in ${Date.now() - started} ms\n`);
      const summary = (await t.http.get(`/broadcast/${id}?fields=summary`).set(alice.auth).expect(200)).body.data;
      expect(summary).toMatchObject({ status: 'scheduled', personalised: true, counts: { recipients: 100_000, pending: 100_000, sent: 0, failed: 0 } });
      expect(summary.pending).toBeUndefined();
      await t.http.delete(`/broadcast/${id}`).set(alice.auth).expect(200);
    }, 180_000);
  });

  describe('pause and resume', () => {
    it('pause holds (nothing more is sent, recipients stay pending), resume finishes; cancel works from paused', async () => {
      const recipients = numbers(12, 20);
      const session = await sessionWithRate(4);
      const created = await create({ to: recipients.join(','), message: { text: 'Slowly' } }, session);
      await pollUntil(() => get(created._id), (broadcast) => broadcast.sent.length >= 2, 10_000, 25);
      const paused = await t.http.post(`/broadcast/${created._id}/pause`).set(alice.auth).expect(200);
      expect(paused.body.data.status).toBe('paused');
      // Messages already being sent finish; then nothing moves.
      await sleep(800);
      const held = await get(created._id);
      await sleep(1500);
      const stillHeld = await get(created._id);
      expect(stillHeld.status).toBe('paused');
      expect(stillHeld.counts).toEqual(held.counts);
      expect(stillHeld.pending.length).toBeGreaterThan(0);
      expectPartition(stillHeld, recipients);
      // Pausing again is harmless; resuming a sending broadcast is refused only when it is finished.
      await t.http.post(`/broadcast/${created._id}/pause`).set(alice.auth).expect(200);

      expect((await t.http.post(`/broadcast/${created._id}/resume`).set(alice.auth).expect(200)).body.data.status).toBe('sending');
      const done = await finished(created._id);
      expect(done.status).toBe('completed');
      expectPartition(done, recipients);
      expect(done.sent).toHaveLength(recipients.length);
      expect(sendsOf(created._id)).toBe(recipients.length);
      expect(registry.sandbox.duplicateSends()).toEqual([]);
      const conflict = await t.http.post(`/broadcast/${created._id}/pause`).set(alice.auth).expect(409);
      expect(conflict.body.message).toMatch(/only a sending broadcast can be paused/);
      await t.http.post(`/broadcast/${created._id}/resume`).set(alice.auth).expect(409);

      const other = await create({ to: numbers(6, 21).join(','), message: { text: 'Stop' } }, session);
      await t.http.post(`/broadcast/${other._id}/pause`).set(alice.auth).expect(200);
      expect((await t.http.post(`/broadcast/${other._id}/cancel`).set(alice.auth).expect(200)).body.data.status).toBe('cancelled');
      await t.http.post(`/broadcast/${other._id}/resume`).set(alice.auth).expect(409);
    });
  });

  describe('retry of failures', () => {
    it('moves transient failures back to pending (the invariant holding at every read) and sends them; permanent ones only when asked', async () => {
      const regular = numbers(4, 22);
      const recipients = [...regular, FAILS_ONCE, ALWAYS_FAILS];
      const created = await create({ to: recipients.join(','), message: { text: 'Try {{n|again}}' }, skip_invalid: true });
      const first = await finished(created._id);
      expect(first.status).toBe('completed_with_errors');
      expect(new Set(first.failed)).toEqual(new Set([FAILS_ONCE, ALWAYS_FAILS]));

      // Read the broadcast continuously while the retry runs: every read is a partition of the recipients.
      let watching = true;
      const reads: Broadcast[] = [];
      const watcher = (async () => {
        while (watching) reads.push(await get(created._id));
      })();
      const retried = await t.http.post(`/broadcast/${created._id}/retry`).set(alice.auth).send({}).expect(200);
      expect(retried.body.data.retried).toBe(1);
      const second = await finished(created._id);
      watching = false;
      await watcher;
      for (const read of reads) expectPartition(read, recipients);
      expect(second.status).toBe('completed_with_errors');
      expect(second.failed).toEqual([ALWAYS_FAILS]);
      expect(second.sent).toContain(FAILS_ONCE);
      expect(second.failures).toEqual([{ recipient: ALWAYS_FAILS, code: '131026', message: expect.any(String) }]);
      const log = await messageLogs.findOne({ broadcast_id: oid(created._id), recipient: FAILS_ONCE }).lean<MessageLogRecord>();
      expect(log).toMatchObject({ message: { text: 'Try again' }, error: null });
      expect(['sent', 'delivered', 'read']).toContain(log!.status);

      // Nothing transient is left; with include_permanent the permanent failure is tried (and fails) again.
      expect((await t.http.post(`/broadcast/${created._id}/retry`).set(alice.auth).send({}).expect(200)).body.data.retried).toBe(0);
      const again = await t.http.post(`/broadcast/${created._id}/retry`).set(alice.auth).send({ include_permanent: true }).expect(200);
      expect(again.body.data.retried).toBe(1);
      const third = await finished(created._id);
      expect(third.failed).toEqual([ALWAYS_FAILS]);
      expectPartition(third, recipients);
      expect(registry.sandbox.duplicateSends()).toEqual([]);

      await t.http.post(`/broadcast/${created._id}/retry`).set(alice.auth).send({ include_permanent: 'yes' }).expect(400);
      await t.http.post(`/broadcast/${new Types.ObjectId().toHexString()}/retry`).set(alice.auth).send({}).expect(404);
    });

    it('takes one retry of a broadcast at a time: retries asked at once are refused while one runs, and the ledger agrees with the arrays after', async () => {
      const recipients = [...numbers(3, 27), ALWAYS_FAILS];
      const created = await create({ to: recipients.join(','), message: { text: 'Storm' } });
      expect((await finished(created._id)).failed).toEqual([ALWAYS_FAILS]);
      const answers = await Promise.all(Array.from({ length: 8 }, () => t.http.post(`/broadcast/${created._id}/retry`).set(alice.auth).send({ include_permanent: true })));
      const retried = answers.filter(({ status }) => status === 200).reduce((sum, { body }) => sum + (body.data.retried as number), 0);
      for (const answer of answers.filter(({ status }) => status !== 200)) {
        expect(answer.status).toBe(409);
        expect(answer.body.message).toMatch(/is under way; try again|changed while its failures were being retried/);
      }
      expect(retried).toBeGreaterThanOrEqual(1);
      const done = await finished(created._id);
      expect(done.failed).toEqual([ALWAYS_FAILS]);
      expectPartition(done, recipients);
      // The failed recipient's entry is failed again, not left queued by a retry that lost the race.
      const log = await messageLogs.findOne({ broadcast_id: oid(created._id), recipient: ALWAYS_FAILS }).lean<MessageLogRecord>();
      expect(log).toMatchObject({ status: 'failed', error: { code: '131026' } });
    });

    it('retries a failure while the broadcast is still sending, in the send jobs of its activation (no recipient gets a second job)', async () => {
      // First in the list, so that its job is added and sent first; 200 recipients at 10 a second last about 20 s.
      const recipients = [FAILS_ONCE, ...numbers(199, 26)];
      const session = await sessionWithRate(10);
      const created = await create({ to: recipients.join(','), message: { text: 'Still going' } }, session);
      const failedEarly = await pollUntil(() => get(created._id), (broadcast) => broadcast.failed.includes(FAILS_ONCE), 20_000, 25);
      expect(failedEarly.status).toBe('sending');
      const retried = await t.http.post(`/broadcast/${created._id}/retry`).set(alice.auth).send({}).expect(200);
      expect(retried.body.data.retried).toBe(1);
      // Once the retry's fan-out has run, every job of the broadcast in Redis is still of the one activation: nothing was added twice.
      await sleep(1500);
      const queue = t.app.get(SendQueueShards).forSession(session['X-Session-Id']);
      const jobIds = (await queue.getJobs(['waiting', 'active', 'delayed'])).map((job) => String(job.id)).filter((id) => id.startsWith(`${created._id}:`));
      expect(jobIds.length).toBeGreaterThan(0);
      // `<broadcast>:<activation>:<number>`: one activation, one job per number.
      expect(new Set(jobIds.map((id) => id.split(':')[1])).size).toBe(1);
      expect(new Set(jobIds.map((id) => id.split(':')[2])).size).toBe(jobIds.length);
      // Its earlier job had ended: the retry's fan-out gave the retried recipient a new one in the same activation.
      const done = await finished(created._id, 100_000);
      expect(done.status).toBe('completed');
      expect(new Set(done.sent)).toEqual(new Set(recipients));
      expect(registry.sandbox.duplicateSends()).toEqual([]);
    }, 150_000);
  });

  describe('live progress', () => {
    it('streams progress about once a second and ends with a completed event holding the final counts', async () => {
      const recipients = numbers(8, 23);
      const session = await sessionWithRate(4);
      const created = await create({ to: [...recipients, ALWAYS_FAILS].join(','), message: { text: 'Watch me' } }, session);
      const started = Date.now();
      const response = await t.http
        .get(`/broadcast/${created._id}/events`)
        .set(alice.auth)
        .buffer(true)
        .parse((res, callback) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => (text += chunk));
          res.on('end', () => callback(null, text));
        })
        .expect(200)
        .expect('Content-Type', /text\/event-stream/);
      const events = (response.body as string)
        .split('\n\n')
        .filter((block) => block.trim() !== '')
        .map((block) => {
          const type = /^event: (.*)$/m.exec(block)?.[1];
          const data = JSON.parse(/^data: (.*)$/m.exec(block)?.[1] ?? 'null') as { status: string; counts: Counts };
          return { type, data };
        });
      const elapsed = Date.now() - started;
      const progress = events.filter(({ type }) => type === 'progress');
      expect(progress.length).toBeGreaterThanOrEqual(2);
      expect(progress.length).toBeLessThanOrEqual(Math.ceil(elapsed / 1000) + 1);
      expect(events.at(-1)).toEqual({
        type: 'completed',
        data: { _id: created._id, status: 'completed_with_errors', counts: expect.objectContaining({ recipients: 9, pending: 0, sent: 8, failed: 1 }) },
      });
      const final = await get(created._id);
      expect(final.counts).toMatchObject({ recipients: 9, pending: 0, sent: 8, failed: 1 });
    });

    it('answers 404 before streaming for a broadcast that is not the client’s', async () => {
      await t.http.get(`/broadcast/${new Types.ObjectId().toHexString()}/events`).set(alice.auth).expect(404);
    });

    it('counts delivered and read messages, and leaves the arrays out of fields=summary lists', async () => {
      const recipients = numbers(3, 24);
      const created = await create({ to: recipients.join(','), message: { text: 'Read me' } });
      await finished(created._id);
      const read = await pollUntil(() => get(created._id), (broadcast) => broadcast.counts.read === 3);
      expect(read.counts).toEqual({ recipients: 3, pending: 0, sent: 3, failed: 0, delivered: 3, read: 3, waiting_for_limit: 0, next_waiting_at: null });
      const list = await t.http.get('/broadcast?type=all&fields=summary&limit=100').set(alice.auth).expect(200);
      const listed = (list.body.data as Array<Record<string, unknown>>).find((item) => item._id === created._id);
      expect(listed).toMatchObject({ status: 'completed', counts: { recipients: 3, delivered: 3, read: 3 } });
      for (const field of ['sent', 'pending', 'failed', 'failures', 'to']) expect(listed).not.toHaveProperty(field);
      await t.http.get('/broadcast?type=all&fields=everything').set(alice.auth).expect(400);
    });
  });
});
