import { getModelToken } from '@nestjs/mongoose';
import { Model, Types } from 'mongoose';
import { Permission, Role } from '../src/auth/permissions';
import type { CallStatus } from '../src/message-status/message-status';
import { WhatsappLog } from '../src/whatsapp-log/whatsapp-log.schema';
import { createTenant, issueKey, TestTenant } from './support/factories';
import { describeWithMongo } from './support/mongo';
import { createTestApp, TestApp } from './support/test-app';

interface LogView {
  _id: string;
  createdAt: string;
  status: string;
  toNumber: string;
  whatsAppCostInUSDCents: number;
  [field: string]: unknown;
}

const BASE_TIME = Date.parse('2024-05-01T12:00:00.000Z');
const MINUTE = 60_000;
const STATUSES: CallStatus[] = ['sent', 'sent', 'delivered', 'read', 'failed', 'sent', 'delivered', 'sent', 'read', 'failed', 'delivered', 'sent'];
const SEED_SELECT = { projectId: true, status: true, toNumber: true, whatsAppCostInUSDCents: true, _id: true };

describeWithMongo('WhatsApp log API, seed 002 (e2e)', () => {
  let t: TestApp;
  let alice: TestTenant;
  let bob: TestTenant;
  let logs: Model<WhatsappLog>;
  const broadcastId = new Types.ObjectId();
  let aliceIds: string[];
  let bobIds: string[];

  /** Alice's logs as stored, newest first: the order get-list answers without a sort. */
  const newestFirst = (): string[] => [...aliceIds].reverse();

  beforeAll(async () => {
    t = await createTestApp({ worker: false });
    alice = await createTenant(t.app, { name: 'Alice' });
    bob = await createTenant(t.app, { name: 'Bob' });
    logs = t.app.get<Model<WhatsappLog>>(getModelToken(WhatsappLog.name));
    // Twelve calls of Alice's one minute apart (cost 100..45, every third one from a broadcast), three of Bob's.
    const aliceLogs = await logs.insertMany(
      STATUSES.map((status, index) => ({
        projectId: new Types.ObjectId(alice.clientId),
        toNumber: `23481798037${String(index % 4).padStart(2, '0')}`,
        fromNumber: '15550001111',
        messageText: `Hello ${index}`,
        whatsAppMessageId: `wamid.${index}`,
        status,
        statusMessage: status === 'failed' ? 'Recipient phone number not on WhatsApp' : null,
        errorCode: status === 'failed' ? '131026' : null,
        whatsAppCostInUSDCents: 100 - index * 5,
        broadcastId: index % 3 === 0 ? broadcastId : null,
        createdAt: new Date(BASE_TIME + index * MINUTE),
      })),
    );
    aliceIds = aliceLogs.map((log) => log._id.toHexString());
    const bobLogs = await logs.insertMany(
      [0, 1, 2].map((index) => ({
        projectId: new Types.ObjectId(bob.clientId),
        toNumber: '2348179803700',
        status: 'sent',
        whatsAppCostInUSDCents: 100,
        createdAt: new Date(BASE_TIME + index * MINUTE),
      })),
    );
    bobIds = bobLogs.map((log) => log._id.toHexString());
  });
  afterAll(() => t.close());

  describe('get-list', () => {
    it('answers the first ten of all logs, newest first, with every field, when there is no body', async () => {
      const response = await t.http.post('/api/whatsapp-log/get-list').set(alice.auth).expect(200);
      expect(Object.keys(response.body)).toEqual(['count', 'limit', 'skip', 'data']);
      expect(response.body).toMatchObject({ count: 12, limit: 10, skip: 0 });
      const data = response.body.data as LogView[];
      expect(data.map((log) => log._id)).toEqual(newestFirst().slice(0, 10));
      expect(data[0]).toEqual({
        _id: aliceIds[11],
        projectId: alice.clientId,
        toNumber: '2348179803703',
        fromNumber: '15550001111',
        messageText: 'Hello 11',
        statusMessage: null,
        whatsAppMessageId: 'wamid.11',
        status: 'sent',
        whatsAppCostInUSDCents: 45,
        incidentId: null,
        userId: null,
        alertId: null,
        monitorId: null,
        scheduledMaintenanceId: null,
        statusPageId: null,
        statusPageAnnouncementId: null,
        teamId: null,
        onCallDutyPolicyId: null,
        onCallDutyPolicyEscalationRuleId: null,
        onCallDutyPolicyScheduleId: null,
        messageLogId: null,
        broadcastId: null,
        sessionId: null,
        errorCode: null,
        createdAt: new Date(BASE_TIME + 11 * MINUTE).toISOString(),
        updatedAt: expect.any(String),
        __v: 0,
      });
    });

    it("answers the seed's example request in the seed's shape, count being the total that matches", async () => {
      const response = await t.http
        .post('/api/whatsapp-log/get-list?skip=0&limit=3')
        .set('ApiKey', alice.apiKey)
        .send({ select: SEED_SELECT, query: { status: 'sent' }, sort: { createdAt: -1 } })
        .expect(200);
      expect(response.body).toMatchObject({ count: 5, limit: 3, skip: 0 });
      expect(response.body.data).toHaveLength(3);
      for (const log of response.body.data as LogView[]) {
        expect(Object.keys(log).sort()).toEqual(Object.keys(SEED_SELECT).sort());
        expect(log).toMatchObject({ projectId: alice.clientId, status: 'sent' });
      }
      expect(response.body.data.map((log: LogView) => log._id)).toEqual([aliceIds[11], aliceIds[7], aliceIds[5]]);
    });

    it('returns _id with every selection, and only the selected fields besides', async () => {
      const response = await t.http.post('/api/whatsapp-log/get-list').set(alice.auth).send({ select: { toNumber: true } }).expect(200);
      expect(Object.keys(response.body.data[0]).sort()).toEqual(['_id', 'toNumber']);
    });

    it('takes the same body on GET, and no body at all', async () => {
      const body = { select: SEED_SELECT, query: { status: 'delivered' }, sort: { createdAt: 'ASC' } };
      const byPost = await t.http.post('/api/whatsapp-log/get-list').set(alice.auth).send(body).expect(200);
      const byGet = await t.http.get('/api/whatsapp-log/get-list').set(alice.auth).send(body).expect(200);
      expect(byGet.body).toEqual(byPost.body);
      expect(byGet.body.data.map((log: LogView) => log._id)).toEqual([aliceIds[2], aliceIds[6], aliceIds[10]]);
      const bare = await t.http.get('/api/whatsapp-log/get-list?limit=2').set(alice.auth).expect(200);
      expect(bare.body).toMatchObject({ count: 12, limit: 2, skip: 0 });
    });

    it('answers the same for plain and typed queries', async () => {
      const plain = await t.http.post('/api/whatsapp-log/get-list').set(alice.auth).send({ query: { status: 'failed', toNumber: '2348179803700' } });
      const typed = await t.http
        .post('/api/whatsapp-log/get-list')
        .set(alice.auth)
        .send({ query: { status: { _type: 'EqualTo', value: 'failed' }, toNumber: { _type: 'EqualTo', value: '2348179803700' } } });
      expect(plain.status).toBe(200);
      expect(typed.body).toEqual(plain.body);
      expect(plain.body.count).toBe(1);
      expect(plain.body.data[0]._id).toBe(aliceIds[4]);
    });

    it('compares values as the field type: ids, dates, numbers and null', async () => {
      const list = async (query: object): Promise<string[]> => {
        const response = await t.http.post('/api/whatsapp-log/get-list').set(alice.auth).send({ query, sort: { createdAt: 1 } }).expect(200);
        return response.body.data.map((log: LogView) => log._id);
      };
      expect(await list({ broadcastId: broadcastId.toHexString() })).toEqual([aliceIds[0], aliceIds[3], aliceIds[6], aliceIds[9]]);
      expect(await list({ broadcastId: broadcastId.toHexString().toUpperCase() })).toHaveLength(4);
      expect(await list({ broadcastId: null, status: 'failed' })).toEqual([aliceIds[4]]);
      expect(await list({ createdAt: new Date(BASE_TIME + 5 * MINUTE).toISOString() })).toEqual([aliceIds[5]]);
      expect(await list({ createdAt: '2024-05-01T14:05:00+02:00' })).toEqual([aliceIds[5]]);
      expect(await list({ whatsAppCostInUSDCents: 60 })).toEqual([aliceIds[8]]);
      expect(await list({ _id: { _type: 'EqualTo', value: aliceIds[3] } })).toEqual([aliceIds[3]]);
      expect(await list({ errorCode: '131026' })).toEqual([aliceIds[4], aliceIds[9]]);
    });

    it('sorts by several keys, in every direction spelling', async () => {
      const response = await t.http
        .post('/api/whatsapp-log/get-list?limit=100')
        .set(alice.auth)
        .send({ select: { status: true, whatsAppCostInUSDCents: true }, sort: { status: 'ASC', whatsAppCostInUSDCents: 'DESC' } })
        .expect(200);
      const data = response.body.data as LogView[];
      const expected = [...data].sort((a, b) => a.status.localeCompare(b.status) || b.whatsAppCostInUSDCents - a.whatsAppCostInUSDCents);
      expect(data).toEqual(expected);
      expect(data.map((log) => log.status)).toEqual([
        'delivered', 'delivered', 'delivered', 'failed', 'failed', 'read', 'read', 'sent', 'sent', 'sent', 'sent', 'sent',
      ]);
      const cheapestFirst = await t.http.post('/api/whatsapp-log/get-list?limit=1').set(alice.auth).send({ sort: { whatsAppCostInUSDCents: 1 } });
      expect(cheapestFirst.body.data[0]._id).toBe(aliceIds[11]);
    });

    it('pages with skip and limit through every log exactly once', async () => {
      const seen: string[] = [];
      for (let skip = 0; skip < 12; skip += 5) {
        const response = await t.http.get(`/api/whatsapp-log/get-list?skip=${skip}&limit=5`).set(alice.auth).expect(200);
        expect(response.body).toMatchObject({ count: 12, limit: 5, skip });
        seen.push(...response.body.data.map((log: LogView) => log._id));
      }
      expect(seen).toEqual(newestFirst());
      const beyond = await t.http.get('/api/whatsapp-log/get-list?skip=50').set(alice.auth).expect(200);
      expect(beyond.body).toEqual({ count: 12, limit: 10, skip: 50, data: [] });
      const farBeyond = await t.http.get(`/api/whatsapp-log/get-list?skip=${Number.MAX_SAFE_INTEGER}`).set(alice.auth).expect(200);
      expect(farBeyond.body.data).toEqual([]);
    });

    it.each([
      ['limit=0', 'limit must be 1 or more'],
      ['limit=101', 'limit must be 100 or less'],
      ['limit=2.5', 'limit must be a whole number'],
      ['limit=ten', 'limit must be a whole number'],
      ['skip=-1', 'skip must be 0 or more'],
      ['skip=abc', 'skip must be a whole number'],
      ['skip=1e300', 'skip must be 9007199254740991 or less'],
    ])('answers 400 for %s', async (queryString, message) => {
      const response = await t.http.post(`/api/whatsapp-log/get-list?${queryString}`).set(alice.auth).expect(400);
      expect(response.body).toEqual({ error: message });
    });

    it('takes limit=100 and limit=1', async () => {
      expect((await t.http.post('/api/whatsapp-log/get-list?limit=100').set(alice.auth).expect(200)).body.data).toHaveLength(12);
      expect((await t.http.post('/api/whatsapp-log/get-list?limit=1').set(alice.auth).expect(200)).body.data).toHaveLength(1);
    });
  });

  describe('bad input', () => {
    it.each([
      [{ $where: '1' }, 'query.$where: MongoDB operators ($...) are not allowed'],
      [{ status: { $ne: null } }, 'query.status.$ne: MongoDB operators ($...) are not allowed'],
      [{ status: { $regex: '.*' } }, 'query.status.$regex: MongoDB operators ($...) are not allowed'],
      [{ toNumber: { $gt: '' } }, 'query.toNumber.$gt: MongoDB operators ($...) are not allowed'],
      [{ $or: [{ projectId: '64ac509d05a7cc2b8c2bd9ab' }] }, 'query.$or: MongoDB operators ($...) are not allowed'],
      [{ status: { _type: 'EqualTo', value: { $ne: null } } }, 'query.status.value.$ne: MongoDB operators ($...) are not allowed'],
    ])('answers 400 for the injection %j on get-list and count, leaking nothing', async (query, message) => {
      const list = await t.http.post('/api/whatsapp-log/get-list').set(alice.auth).send({ query }).expect(400);
      expect(list.body).toEqual({ error: message });
      const count = await t.http.post('/api/whatsapp-log/count').set(alice.auth).send({ query }).expect(400);
      expect(count.body).toEqual({ error: message });
    });

    it('answers 400 for $ operators in select and sort', async () => {
      const select = await t.http.post('/api/whatsapp-log/get-list').set(alice.auth).send({ select: { status: { $slice: 1 } } }).expect(400);
      expect(select.body).toEqual({ error: 'select.status.$slice: MongoDB operators ($...) are not allowed' });
      const sort = await t.http.post('/api/whatsapp-log/get-list').set(alice.auth).send({ sort: { $natural: 1 } }).expect(400);
      expect(sort.body).toEqual({ error: 'sort.$natural: MongoDB operators ($...) are not allowed' });
      const item = await t.http.post(`/api/whatsapp-log/${aliceIds[0]}/get-item`).set(alice.auth).send({ select: { $where: true } }).expect(400);
      expect(item.body).toEqual({ error: 'select.$where: MongoDB operators ($...) are not allowed' });
    });

    it('answers 400 naming unknown fields, relations, wrong types and bad directions, all at once', async () => {
      const response = await t.http
        .post('/api/whatsapp-log/get-list')
        .set(alice.auth)
        .send({
          select: { project: true, password: true },
          query: { whatsAppCostInUSDCents: '100', status: { not: 'sent' }, createdAt: 'yesterday' },
          sort: { createdAt: 'newest' },
        })
        .expect(400);
      const problems = (response.body.error as string).split('; ');
      expect(problems).toEqual([
        'select.project is a relation, which this API does not expand (use projectId)',
        expect.stringMatching(/^select\.password is not a field of the WhatsApp log \(fields: _id, createdAt, updatedAt, projectId, toNumber, /),
        'query.whatsAppCostInUSDCents must be a number',
        'query.status must be one of: sent, delivered, read, failed (or {"_type": "EqualTo", "value": ...})',
        'query.createdAt must be an ISO 8601 date-time such as 2024-05-01T12:00:00.000Z',
        'sort.createdAt must be 1, -1, "ASC" or "DESC"',
      ]);
      expect(Object.keys(response.body)).toEqual(['error']);
    });

    it('answers 400 when select, query or sort is not an object, or the body has other properties', async () => {
      const notObject = await t.http.post('/api/whatsapp-log/get-list').set(alice.auth).send({ query: ['status', 'sent'], sort: 'createdAt' }).expect(400);
      expect(notObject.body).toEqual({
        error: 'query must be an object such as {"status": "sent"}; sort must be an object such as {"createdAt": -1}',
      });
      const extra = await t.http.post('/api/whatsapp-log/count').set(alice.auth).send({ filter: { status: 'sent' } }).expect(400);
      expect(extra.body).toEqual({ error: 'property filter should not exist' });
      const selectOnCount = await t.http.post('/api/whatsapp-log/count').set(alice.auth).send({ select: SEED_SELECT }).expect(400);
      expect(selectOnCount.body).toEqual({ error: 'property select should not exist' });
    });

    it('answers 400 for malformed JSON in its own envelope', async () => {
      const response = await t.http
        .post('/api/whatsapp-log/get-list')
        .set(alice.auth)
        .set('Content-Type', 'application/json')
        .send('{"query": {')
        .expect(400);
      expect(Object.keys(response.body)).toEqual(['error']);
      expect(response.body.error).toMatch(/not valid JSON/);
    });
  });

  describe('get-item', () => {
    it('answers the log with the selected fields, by GET and by POST', async () => {
      const byPost = await t.http.post(`/api/whatsapp-log/${aliceIds[4]}/get-item`).set(alice.auth).send({ select: SEED_SELECT }).expect(200);
      expect(byPost.body).toEqual({
        _id: aliceIds[4],
        projectId: alice.clientId,
        status: 'failed',
        toNumber: '2348179803700',
        whatsAppCostInUSDCents: 80,
      });
      const byGet = await t.http.get(`/api/whatsapp-log/${aliceIds[4]}/get-item`).set(alice.auth).send({ select: SEED_SELECT }).expect(200);
      expect(byGet.body).toEqual(byPost.body);
    });

    it('answers every field without select', async () => {
      const response = await t.http.get(`/api/whatsapp-log/${aliceIds[4]}/get-item`).set(alice.auth).expect(200);
      expect(response.body).toMatchObject({
        _id: aliceIds[4],
        statusMessage: 'Recipient phone number not on WhatsApp',
        errorCode: '131026',
        broadcastId: null,
        incidentId: null,
        __v: 0,
      });
    });

    it("answers 404 for another client's log exactly as for a missing one, and 400 for a malformed id", async () => {
      const foreign = await t.http.post(`/api/whatsapp-log/${bobIds[0]}/get-item`).set(alice.auth).expect(404);
      const missing = await t.http.post(`/api/whatsapp-log/${new Types.ObjectId().toHexString()}/get-item`).set(alice.auth).expect(404);
      expect(foreign.body).toEqual({ error: `WhatsApp log ${bobIds[0]} not found` });
      expect(Object.keys(foreign.body)).toEqual(Object.keys(missing.body));
      await t.http.post(`/api/whatsapp-log/${bobIds[0]}/get-item`).set(bob.auth).expect(200);
      const malformed = await t.http.get('/api/whatsapp-log/not-an-id/get-item').set(alice.auth).expect(400);
      expect(malformed.body).toEqual({ error: 'id must be a 24-character hexadecimal id' });
    });
  });

  describe('count', () => {
    it('counts all logs, or those matching the query, of the client only', async () => {
      expect((await t.http.post('/api/whatsapp-log/count').set(alice.auth).expect(200)).body).toEqual({ count: 12 });
      expect((await t.http.post('/api/whatsapp-log/count').set(alice.auth).send({ query: { status: 'sent' } }).expect(200)).body).toEqual({ count: 5 });
      const typed = await t.http.post('/api/whatsapp-log/count').set(alice.auth).send({ query: { status: { _type: 'EqualTo', value: 'read' } } });
      expect(typed.body).toEqual({ count: 2 });
      expect((await t.http.post('/api/whatsapp-log/count').set(bob.auth).send({ query: { status: 'sent' } }).expect(200)).body).toEqual({ count: 3 });
    });
  });

  describe('tenancy', () => {
    it("never shows another client's logs, even when the query names that client", async () => {
      const bobs = await t.http.post('/api/whatsapp-log/get-list').set(bob.auth).expect(200);
      expect(bobs.body.count).toBe(3);
      expect(bobs.body.data.map((log: LogView) => log._id).sort()).toEqual([...bobIds].sort());
      const crossing = await t.http.post('/api/whatsapp-log/get-list').set(alice.auth).send({ query: { projectId: bob.clientId } }).expect(200);
      expect(crossing.body).toEqual({ count: 0, limit: 10, skip: 0, data: [] });
      const byId = await t.http.post('/api/whatsapp-log/count').set(alice.auth).send({ query: { _id: bobIds[0] } }).expect(200);
      expect(byId.body).toEqual({ count: 0 });
    });
  });

  describe('permissions', () => {
    it.each([Role.Owner, Role.Admin, Role.Member])('lets a %s key read', async (role) => {
      const key = await issueKey(t.app, alice.clientId, role);
      await t.http.post('/api/whatsapp-log/get-list').set('x-api-key', key).expect(200);
      await t.http.get(`/api/whatsapp-log/${aliceIds[0]}/get-item`).set('x-api-key', key).expect(200);
      await t.http.post('/api/whatsapp-log/count').set('x-api-key', key).expect(200);
    });

    it.each([Permission.WhatsappLogRead, Permission.ReadAll])('lets a read-only key with %s read', async (permission) => {
      const reader = await createTenant(t.app, { role: Role.ReadOnly, permissions: [permission] });
      await logs.create({ projectId: new Types.ObjectId(reader.clientId), toNumber: '2348179803743', status: 'read', whatsAppCostInUSDCents: 1 });
      expect((await t.http.post('/api/whatsapp-log/get-list').set(reader.auth).expect(200)).body.count).toBe(1);
      expect((await t.http.post('/api/whatsapp-log/count').set(reader.auth).expect(200)).body).toEqual({ count: 1 });
    });

    it('answers 403 to a read-only key without those permissions, on every read', async () => {
      const key = await issueKey(t.app, alice.clientId, Role.ReadOnly, [Permission.MessageLogRead]);
      const list = await t.http.post('/api/whatsapp-log/get-list').set('x-api-key', key).expect(403);
      expect(list.body).toEqual({ error: 'This API key lacks the "whatsapp-log:read" permission' });
      await t.http.get('/api/whatsapp-log/get-list').set('x-api-key', key).expect(403);
      await t.http.post(`/api/whatsapp-log/${aliceIds[0]}/get-item`).set('x-api-key', key).expect(403);
      await t.http.get(`/api/whatsapp-log/${aliceIds[0]}/get-item`).set('x-api-key', key).expect(403);
      await t.http.post('/api/whatsapp-log/count').set('x-api-key', key).expect(403);
    });

    it('answers 401 without a key', async () => {
      const response = await t.http.post('/api/whatsapp-log/count').expect(401);
      expect(Object.keys(response.body)).toEqual(['error']);
    });
  });

  describe('writes', () => {
    it.each([
      ['post', '/api/whatsapp-log', 'created'],
      ['put', '/api/whatsapp-log/:id', 'updated'],
      ['post', '/api/whatsapp-log/:id/update-item', 'updated'],
      ['put', '/api/whatsapp-log/:id/update-item', 'updated'],
      ['delete', '/api/whatsapp-log/:id', 'deleted'],
      ['post', '/api/whatsapp-log/:id/delete-item', 'deleted'],
      ['delete', '/api/whatsapp-log/:id/delete-item', 'deleted'],
    ] as const)('%s %s answers 405 and changes nothing', async (method, path, change) => {
      const before = await logs.findById(aliceIds[0]).lean().exec();
      const response = await t.http[method](path.replace(':id', aliceIds[0]))
        .set(alice.auth)
        .send({ toNumber: '2340000000000', status: 'read', projectId: bob.clientId })
        .expect(405);
      expect(response.body).toEqual({
        error: `WhatsApp logs cannot be ${change} through the API: they are written by the sending worker and provider webhooks only`,
      });
      expect(response.headers.allow).toBe('');
      expect(await logs.findById(aliceIds[0]).lean().exec()).toEqual(before);
      expect(await logs.countDocuments({ projectId: new Types.ObjectId(alice.clientId) })).toBe(12);
    });
  });

  it('documents every route in the OpenAPI document', async () => {
    const document = (await t.http.get('/docs-json').expect(200)).body;
    expect(Object.keys(document.paths['/api/whatsapp-log/get-list']).sort()).toEqual(['get', 'post']);
    expect(Object.keys(document.paths['/api/whatsapp-log/{id}/get-item']).sort()).toEqual(['get', 'post']);
    expect(Object.keys(document.paths['/api/whatsapp-log/count'])).toEqual(['post']);
    const list = document.paths['/api/whatsapp-log/get-list'].post;
    expect(list.tags).toEqual(['whatsapp-log']);
    expect(list.requestBody.required).toBe(false);
    expect(document.paths['/api/whatsapp-log/get-list'].get.requestBody.content['application/json'].schema.$ref).toMatch(/WhatsappLogListBodyDto$/);
    expect(list.responses['200'].content['application/json'].schema.properties.data.items.properties.whatsAppCostInUSDCents).toEqual({
      type: 'number',
    });
    expect(document.paths['/api/whatsapp-log'].post.responses['405']).toBeDefined();
  });
});
