import { MessageLogRecord } from '../src/message-log/message-log.schema';
import type { MessageStatus } from '../src/message-status/message-status';
import { createTenant, TestTenant } from './support/factories';
import { insertMessageLogs, MessageLogSeed } from './support/message-logs';
import { describeWithMongo } from './support/mongo';
import { createTestApp, TestApp } from './support/test-app';

const ENDPOINT = '/api/v1/external/api-requests';

interface LogBody {
  template_name: string | null;
  message_uid: string;
  contact_number: string | null;
  contact_name: string | null;
  sent: boolean | null;
  delivered: boolean | null;
  read: boolean | null;
  failed: boolean | null;
  createdAt: string;
}

describeWithMongo('API request logs, seed 004 (e2e)', () => {
  let t: TestApp;
  let alice: TestTenant;
  let bob: TestTenant;
  let logs: MessageLogRecord[];

  const at = (iso: string): Date => new Date(iso);

  beforeAll(async () => {
    t = await createTestApp({ worker: false });
    alice = await createTenant(t.app, { name: 'Alice' });
    bob = await createTenant(t.app, { name: 'Bob' });
    const api = (status: MessageStatus, extra: Partial<MessageLogSeed>): MessageLogSeed => ({
      clientId: alice.clientId,
      sessionId: alice.sessionId,
      source: 'api',
      status,
      ...extra,
    });
    logs = await insertMessageLogs(t.app, [
      api('queued', { createdAt: at('2025-07-01T23:59:59.999Z'), templateName: 'hello_world', contactName: 'John Doe', recipient: '919812345001' }),
      api('sending', { createdAt: at('2025-07-02T00:00:00.000Z'), templateName: 'hello_world', contactName: 'Jane Doe', recipient: '919812345002' }),
      api('sent', { createdAt: at('2025-07-02T04:25:49.001Z'), templateName: 'location', contactName: 'a.*( weird', recipient: '919812345003' }),
      api('delivered', { createdAt: at('2025-07-02T12:00:00.000Z'), templateName: 'hello_world', contactName: 'Ada Obi', recipient: '2348179803743' }),
      api('read', { createdAt: at('2025-07-02T23:59:59.999Z'), templateName: null, contactName: null, recipient: '2348179803744' }),
      api('failed', { createdAt: at('2025-07-03T00:00:00.000Z'), templateName: 'hello_world', contactName: 'John Smith', recipient: '14155550100' }),
      api('read', { createdAt: at('2025-07-04T08:00:00.000Z'), templateName: 'location', contactName: 'JOHN Lower', recipient: '14155550101' }),
      // Not API requests, or not Alice's: never listed or counted.
      { clientId: alice.clientId, sessionId: alice.sessionId, source: 'broadcast', status: 'read', createdAt: at('2025-07-02T10:00:00.000Z') },
      { clientId: bob.clientId, sessionId: bob.sessionId, source: 'api', status: 'read', createdAt: at('2025-07-02T10:00:00.000Z') },
    ]);
  });
  afterAll(() => t.close());

  const get = (query: Record<string, string | number | boolean>) => t.http.get(ENDPOINT).query(query).set('x-api-key', alice.apiKey);
  const uids = (body: { data: { logs: LogBody[] } }): string[] => body.data.logs.map((log) => log.message_uid);
  const uidOf = (status: MessageStatus, createdAt: string): string =>
    logs.find((log) => log.status === status && log.createdAt.toISOString() === createdAt && log.source === 'api')!.message_uid;

  it("answers the seed's shape: counts, logs newest first, paginationDetails", async () => {
    const response = await get({}).expect(200);
    expect(response.body).toMatchObject({ code: 200, message: 'API logs fetched successfully', success: true });
    expect(response.body.data).toMatchObject({
      totalMessages: 7,
      sentCount: 4,
      deliveredCount: 3,
      readCount: 2,
      failedCount: 1,
      paginationDetails: { totalCount: 7, totalPages: 1, currentPage: 1, nextPage: null, prevPage: null },
    });
    expect(Object.keys(response.body.data)).toEqual([
      'totalMessages',
      'sentCount',
      'deliveredCount',
      'readCount',
      'failedCount',
      'logs',
      'paginationDetails',
    ]);
    const createdAts = response.body.data.logs.map((log: LogBody) => log.createdAt);
    expect(createdAts).toEqual([...createdAts].sort().reverse());
    expect(response.body.data.logs[0]).toEqual({
      template_name: 'location',
      message_uid: uidOf('read', '2025-07-04T08:00:00.000Z'),
      contact_number: '+14155550101',
      contact_name: 'JOHN Lower',
      sent: true,
      delivered: true,
      read: true,
      failed: false,
      createdAt: '2025-07-04T08:00:00.000Z',
    });
  });

  it('gives null flags while a message is queued or sending, and booleans once it has an outcome', async () => {
    const response = await get({ limit: 100 }).expect(200);
    const byUid = new Map<string, LogBody>(response.body.data.logs.map((log: LogBody) => [log.message_uid, log]));
    expect(byUid.get(uidOf('queued', '2025-07-01T23:59:59.999Z'))).toMatchObject({ sent: null, delivered: null, read: null, failed: null });
    expect(byUid.get(uidOf('sending', '2025-07-02T00:00:00.000Z'))).toMatchObject({ sent: null, failed: null });
    expect(byUid.get(uidOf('failed', '2025-07-03T00:00:00.000Z'))).toMatchObject({ sent: false, delivered: false, read: false, failed: true });
    expect(byUid.get(uidOf('sent', '2025-07-02T04:25:49.001Z'))).toMatchObject({ sent: true, delivered: false, read: false, failed: false });
  });

  it('pages with nextPage and prevPage null at the ends', async () => {
    const first = await get({ page: 1, limit: 3 }).expect(200);
    expect(first.body.data.paginationDetails).toEqual({ totalCount: 7, totalPages: 3, currentPage: 1, nextPage: 2, prevPage: null });
    const last = await get({ page: 3, limit: 3 }).expect(200);
    expect(last.body.data.paginationDetails).toEqual({ totalCount: 7, totalPages: 3, currentPage: 3, nextPage: null, prevPage: 2 });
    expect(last.body.data.logs).toHaveLength(1);
    // The counts describe the whole filtered set, not the page.
    expect(last.body.data.totalMessages).toBe(7);
    const all = [...uids(first.body), ...uids((await get({ page: 2, limit: 3 }).expect(200)).body), ...uids(last.body)];
    expect(new Set(all).size).toBe(7);
  });

  it('filters by sent and read, and counts over the filtered set', async () => {
    const sent = await get({ sent: true }).expect(200);
    expect(sent.body.data).toMatchObject({ totalMessages: 4, sentCount: 4, deliveredCount: 3, readCount: 2, failedCount: 0 });
    const notSent = await get({ sent: false }).expect(200);
    expect(notSent.body.data).toMatchObject({ totalMessages: 3, sentCount: 0, failedCount: 1 });
    const sentNotRead = await get({ sent: 'true', read: 'false' }).expect(200);
    expect(sentNotRead.body.data.totalMessages).toBe(2);
    expect(sentNotRead.body.data.logs.every((log: LogBody) => log.sent === true && log.read === false)).toBe(true);
  });

  it('filters by template_name and message_uid exactly', async () => {
    const location = await get({ template_name: 'location' }).expect(200);
    expect(location.body.data.totalMessages).toBe(2);
    expect((await get({ template_name: 'locat' }).expect(200)).body.data.totalMessages).toBe(0);
    const uid = uidOf('delivered', '2025-07-02T12:00:00.000Z');
    const one = await get({ message_uid: uid }).expect(200);
    expect(uids(one.body)).toEqual([uid]);
  });

  it('includes both end days whole, in UTC', async () => {
    const day = await get({ start_date: '2025-07-02', end_date: '2025-07-02' }).expect(200);
    expect(day.body.data.totalMessages).toBe(4);
    expect(day.body.data.logs.map((log: LogBody) => log.createdAt).sort()).toEqual([
      '2025-07-02T00:00:00.000Z',
      '2025-07-02T04:25:49.001Z',
      '2025-07-02T12:00:00.000Z',
      '2025-07-02T23:59:59.999Z',
    ]);
    expect((await get({ start_date: '2025-07-03' }).expect(200)).body.data.totalMessages).toBe(2);
    expect((await get({ end_date: '2025-07-01' }).expect(200)).body.data.totalMessages).toBe(1);
  });

  it('matches contact_number as digits contained in the number, ignoring + and spaces', async () => {
    expect((await get({ contact_number: '+1 415' }).expect(200)).body.data.totalMessages).toBe(2);
    expect((await get({ contact_number: '2348179803743' }).expect(200)).body.data.totalMessages).toBe(1);
    expect((await get({ contact_number: '919812345' }).expect(200)).body.data.totalMessages).toBe(3);
  });

  it('matches contact_name literally, ignoring case', async () => {
    expect((await get({ contact_name: 'john' }).expect(200)).body.data.totalMessages).toBe(3);
    const weird = await get({ contact_name: 'a.*(' }).expect(200);
    expect(weird.body.data.logs.map((log: LogBody) => log.contact_name)).toEqual(['a.*( weird']);
    expect((await get({ contact_name: '.*' }).expect(200)).body.data.totalMessages).toBe(1);
    expect((await get({ contact_name: '^J' }).expect(200)).body.data.totalMessages).toBe(0);
  });

  it.each([
    [{ sent: 'yes' }, 'sent must be true or false'],
    [{ read: '1' }, 'read must be true or false'],
    [{ start_date: '2025-13-01' }, 'start_date must be a real calendar date in the form YYYY-MM-DD'],
    [{ end_date: '2025-02-30' }, 'end_date must be a real calendar date in the form YYYY-MM-DD'],
    [{ start_date: '2025-07-03', end_date: '2025-07-02' }, 'end_date (2025-07-02) must not be before start_date (2025-07-03)'],
    [{ limit: 0 }, 'limit must be 1 or more'],
    [{ limit: 101 }, 'limit must be 100 or less'],
    [{ page: 0 }, 'page must be 1 or more'],
    [{ contact_number: 'abc' }, 'contact_number may only contain digits'],
    [{ contact_name: 'x'.repeat(101) }, 'contact_name must be 100 characters or fewer'],
    [{ status: 'sent' }, 'property status should not exist'],
  ])('answers 400 naming the parameter for %j', async (query, message) => {
    const response = await get(query).expect(400);
    expect(response.body).toEqual({ code: 400, message: expect.stringContaining(message), success: false });
  });

  it('answers 401 in its own shape without a key or with an invalid one', async () => {
    const missing = await t.http.get(ENDPOINT).expect(401);
    expect(missing.body).toEqual({ code: 401, message: expect.stringMatching(/API key/), success: false });
    const invalid = await t.http.get(ENDPOINT).set('x-api-key', 'not-a-key').expect(401);
    expect(invalid.body).toEqual({ code: 401, message: expect.any(String), success: false });
  });

  it('accepts the key as a Bearer token too, and shows another client only its own', async () => {
    const response = await t.http.get(ENDPOINT).set(bob.auth).expect(200);
    expect(response.body.data.totalMessages).toBe(1);
    expect(uids(response.body)).not.toContain(logs[0].message_uid);
  });
});
