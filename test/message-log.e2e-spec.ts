import { Role } from '../src/auth/permissions';
import { TenancyService } from '../src/auth/tenancy.service';
import { MessageLogRecord } from '../src/message-log/message-log.schema';
import { createTenant, issueKey, TestTenant } from './support/factories';
import { insertMessageLogs } from './support/message-logs';
import { describeWithMongo } from './support/mongo';
import { createTestApp, TestApp } from './support/test-app';

const minutesAgo = (minutes: number): Date => new Date(Date.now() - minutes * 60_000);

describeWithMongo('Message logs, seed 000 (e2e)', () => {
  let t: TestApp;
  let alice: TestTenant;
  let bob: TestTenant;
  let aliceSecondSession: { session_id: string; access_token: string };
  let aliceLogs: MessageLogRecord[];
  let bobLog: MessageLogRecord;

  beforeAll(async () => {
    t = await createTestApp({ worker: false });
    alice = await createTenant(t.app, { name: 'Alice' });
    bob = await createTenant(t.app, { name: 'Bob' });
    aliceSecondSession = await t.app
      .get(TenancyService)
      .createSession({ clientId: alice.clientId, name: 'second line', provider: 'sandbox' });
    // 12 messages on Alice's first session, 3 on her second, 1 of Bob's.
    aliceLogs = await insertMessageLogs(t.app, [
      ...Array.from({ length: 12 }, (_, index) => ({
        clientId: alice.clientId,
        sessionId: alice.sessionId,
        source: 'broadcast' as const,
        createdAt: minutesAgo(100 - index),
      })),
      ...Array.from({ length: 3 }, (_, index) => ({
        clientId: alice.clientId,
        sessionId: aliceSecondSession.session_id,
        createdAt: minutesAgo(50 - index),
      })),
    ]);
    [bobLog] = await insertMessageLogs(t.app, [{ clientId: bob.clientId, sessionId: bob.sessionId }]);
  });
  afterAll(() => t.close());

  it("lists the selected session's logs newest first, with the pagination block", async () => {
    const response = await t.http.get('/message-log').query({ page: 1, limit: 10 }).set(alice.auth).set(alice.session).expect(200);
    expect(response.body.status).toBe(true);
    expect(response.body.message).toBe('Message logs fetched successfully!');
    expect(response.body.pagination).toEqual({ page: 1, limit: 10, total: 12, totalPages: 2, nextPage: 2, prevPage: null });
    const firstSession = aliceLogs.filter((log) => log.session_id.toHexString() === alice.sessionId);
    expect(response.body.data.map((log: { _id: string }) => log._id)).toEqual(firstSession.slice(0, 10).map((log) => log._id.toHexString()));
    const second = await t.http.get('/message-log').query({ page: 2, limit: 10 }).set(alice.auth).set(alice.session).expect(200);
    expect(second.body.data).toHaveLength(2);
    expect(second.body.pagination).toMatchObject({ page: 2, nextPage: null, prevPage: 1 });
  });

  it('takes the session from the JSON body too, as the seed sends it', async () => {
    const response = await t.http
      .get('/message-log')
      .set(alice.auth)
      .send({ session_id: aliceSecondSession.session_id, access_token: aliceSecondSession.access_token })
      .expect(200);
    expect(response.body.pagination.total).toBe(3);
  });

  it('lists every session of the client with type=all, and never another client\'s', async () => {
    const response = await t.http.get('/message-log').query({ type: 'all', limit: 100 }).set(alice.auth).expect(200);
    expect(response.body.pagination.total).toBe(15);
    const ids = response.body.data.map((log: { _id: string }) => log._id);
    expect(ids).toEqual(aliceLogs.map((log) => log._id.toHexString()));
    expect(ids).not.toContain(bobLog._id.toHexString());
  });

  it('answers 400 naming the way out when neither a session nor type=all is given', async () => {
    const response = await t.http.get('/message-log').set(alice.auth).expect(400);
    expect(response.body).toEqual({ status: false, message: expect.stringMatching(/session_id and access_token.*type=all/), errors: [expect.any(String)] });
  });

  it.each([
    [{ limit: 0 }, 'limit must be 1 or more'],
    [{ limit: 101 }, 'limit must be 100 or less'],
    [{ page: 'two' }, 'page must be a whole number'],
    [{ type: 'some' }, 'type must be "all" when given'],
    [{ sort: 'createdAt' }, 'property sort should not exist'],
  ])('answers 400 for %j', async (query, error) => {
    const response = await t.http.get('/message-log').query({ type: 'all', ...query }).set(alice.auth).expect(400);
    expect(response.body.status).toBe(false);
    expect(response.body.errors).toContain(error);
  });

  it('gets one log in Mongo\'s shape', async () => {
    const log = aliceLogs[0];
    const response = await t.http.get(`/message-log/${log._id.toHexString()}`).set(alice.auth).set(alice.session).expect(200);
    expect(response.body).toMatchObject({ status: true, message: 'Message log fetched successfully!' });
    expect(response.body.data).toMatchObject({
      _id: log._id.toHexString(),
      client_id: alice.clientId,
      session_id: log.session_id.toHexString(),
      recipient: log.recipient,
      message_uid: log.message_uid,
      status: log.status,
      createdAt: log.createdAt.toISOString(),
    });
  });

  it("answers 404 for another client's log exactly as for a missing one, and 400 for a bad id", async () => {
    const foreign = await t.http.get(`/message-log/${bobLog._id.toHexString()}`).set(alice.auth).expect(404);
    const missing = await t.http.get('/message-log/64ac509d05a7cc2b8c2bd9ab').set(alice.auth).expect(404);
    expect(Object.keys(foreign.body)).toEqual(Object.keys(missing.body));
    expect(foreign.body.message).toMatch(/not found/);
    const bad = await t.http.get('/message-log/nope').set(alice.auth).expect(400);
    expect(bad.body.errors).toEqual(['id must be a 24-character hexadecimal id']);
  });

  it('lets a read-only key read, and answers 401 without a key', async () => {
    const readOnly = await issueKey(t.app, alice.clientId, Role.ReadOnly);
    await t.http.get('/message-log').query({ type: 'all' }).set('x-api-key', readOnly).expect(200);
    const response = await t.http.get('/message-log').query({ type: 'all' }).expect(401);
    expect(response.body.status).toBe(false);
  });
});
