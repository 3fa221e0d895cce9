import { getQueueToken } from '@nestjs/bull';
import type { Queue } from 'bull';
import { Role } from '../src/auth/permissions';
import { BROADCAST_QUEUE } from '../src/broadcast/broadcast.jobs';
import { SEND_QUEUE } from '../src/sending/sending.jobs';
import { createTenant, issueKey, TestTenant } from './support/factories';
import * as samples from './support/media-samples';
import { describeWithMongo } from './support/mongo';
import { createTestApp, TestApp } from './support/test-app';

const MAX_RECIPIENTS = 5;

describeWithMongo('Broadcast and contact API, without a worker (e2e)', () => {
  let t: TestApp;
  let alice: TestTenant;
  let bob: TestTenant;

  const broadcastBody = (overrides: Record<string, unknown> = {}) => ({
    send_type: 'individual',
    to: '2348179803743,2349048988056',
    message: { text: 'New Test Broadcasts text' },
    ...overrides,
  });

  async function storedBroadcasts(): Promise<number> {
    const response = await t.http.get('/broadcast').query({ type: 'all' }).set(alice.auth).expect(200);
    return response.body.pagination.total as number;
  }

  async function queuedJobs(): Promise<number> {
    const queues = [SEND_QUEUE, BROADCAST_QUEUE].map((name) => t.app.get<Queue>(getQueueToken(name)));
    const counts = await Promise.all(queues.map((queue) => queue.getJobCounts()));
    return counts.reduce((sum, count) => sum + count.waiting + count.delayed + count.active, 0);
  }

  beforeAll(async () => {
    t = await createTestApp({ worker: false, env: { BROADCAST_MAX_RECIPIENTS: String(MAX_RECIPIENTS) } });
    alice = await createTenant(t.app, { name: 'Alice' });
    bob = await createTenant(t.app, { name: 'Bob' });
  });
  afterAll(() => t.close());

  describe('contacts', () => {
    it('creates with a normalised phone, lists, gets, updates and deletes; phone unique per client', async () => {
      const created = await t.http
        .post('/contacts')
        .set(alice.auth)
        .send({ name: 'Ada Obi', phone: '+234 817-980-3743', email: 'ada@example.com' })
        .expect(201);
      expect(created.body).toMatchObject({ status: true, message: 'Contact created successfully!', data: { name: 'Ada Obi', phone: '2348179803743' } });
      const id = created.body.data._id as string;

      const duplicate = await t.http.post('/contacts').set(alice.auth).send({ name: 'Again', phone: '2348179803743' }).expect(409);
      expect(duplicate.body.message).toMatch(/already exists/);
      // Another client may hold the same number.
      await t.http.post('/contacts').set(bob.auth).send({ name: 'Ada at Bob', phone: '2348179803743' }).expect(201);

      const list = await t.http.get('/contacts').set(alice.auth).expect(200);
      expect(list.body.data.map((contact: { _id: string }) => contact._id)).toEqual([id]);
      expect(list.body.pagination).toMatchObject({ page: 1, total: 1 });

      const updated = await t.http.patch(`/contacts/${id}`).set(alice.auth).send({ name: 'Ada O.' }).expect(200);
      expect(updated.body.data).toMatchObject({ name: 'Ada O.', phone: '2348179803743' });
      await t.http.get(`/contacts/${id}`).set(bob.auth).expect(404);
      await t.http.delete(`/contacts/${id}`).set(bob.auth).expect(404);
      await t.http.delete(`/contacts/${id}`).set(alice.auth).expect(200);
      await t.http.get(`/contacts/${id}`).set(alice.auth).expect(404);
    });

    it('answers 400 naming an invalid phone and 403 without contact:write', async () => {
      const bad = await t.http.post('/contacts').set(alice.auth).send({ name: 'X', phone: '12345' }).expect(400);
      expect(bad.body.errors).toEqual([expect.stringMatching(/^phone must be a valid international phone number/)]);
      const readOnly = await issueKey(t.app, alice.clientId, Role.ReadOnly);
      await t.http.post('/contacts').set('x-api-key', readOnly).send({ name: 'X', phone: '2348179803743' }).expect(403);
      await t.http.get('/contacts').set('x-api-key', readOnly).expect(200);
    });
  });

  describe('POST /broadcast', () => {
    it("answers 201 with seed 001's shape: sending, every normalised recipient pending, duplicates collapsed", async () => {
      const response = await t.http
        .post('/broadcast')
        .set(alice.auth)
        .send({
          session_id: alice.sessionId,
          access_token: alice.accessToken,
          ...broadcastBody({
            to: '2348179803743, +234 904-898-8056,2348179803743',
            message: { text: 'hello', location: { name: 'optional', lat: '6.556452', lng: 3.2774487 } },
          }),
        })
        .expect(201);
      expect(response.body).toEqual({
        status: true,
        message: 'Broadcast group created successfully!',
        data: expect.objectContaining({
          _id: expect.any(String),
          client_id: alice.clientId,
          session_id: alice.sessionId,
          send_type: 'individual',
          to: '2348179803743,+234 904-898-8056,2348179803743',
          message: { text: 'hello', attachments: [], location: { name: 'optional', address: null, lat: 6.556452, lng: 3.2774487 }, contactId: null },
          status: 'sending',
          sent: [],
          pending: ['2348179803743', '2349048988056'],
          failed: [],
          createdAt: expect.any(String),
          updatedAt: expect.any(String),
          __v: 0,
        }),
      });
      const id = response.body.data._id as string;
      // The fan-out is durably scheduled in Redis before the answer.
      const fanOut = await t.app.get<Queue>(getQueueToken(BROADCAST_QUEUE)).getJob(`fan-out:${id}`);
      expect(fanOut?.data).toEqual({ broadcastId: id });

      const got = await t.http.get(`/broadcast/${id}`).set(alice.auth).expect(200);
      expect(got.body.data).toMatchObject({ _id: id, pending: ['2348179803743', '2349048988056'], failures: [] });
      await t.http.get(`/broadcast/${id}`).set(bob.auth).expect(404);
    });

    it('sends a contact card of its own contacts only', async () => {
      const contact = await t.http.post('/contacts').set(alice.auth).send({ name: 'Card', phone: '2348031230001' }).expect(201);
      const bobs = await t.http.post('/contacts').set(bob.auth).send({ name: 'Bob card', phone: '2348031230002' }).expect(201);
      await t.http
        .post('/broadcast')
        .set(alice.auth)
        .set(alice.session)
        .send(broadcastBody({ message: { contactId: contact.body.data._id } }))
        .expect(201);
      const before = await storedBroadcasts();
      const foreign = await t.http
        .post('/broadcast')
        .set(alice.auth)
        .set(alice.session)
        .send(broadcastBody({ message: { contactId: bobs.body.data._id } }))
        .expect(400);
      expect(foreign.body.errors).toEqual([`message.contactId ${bobs.body.data._id} is not one of your contacts`]);
      expect(await storedBroadcasts()).toBe(before);
    });

    it("accepts only the client's own attachments, and keeps a used one from deletion while sending", async () => {
      const own = await t.http.post('/attachment').set(alice.auth).attach('file', samples.png(2), { filename: 'a.png' }).expect(201);
      const foreign = await t.http.post('/attachment').set(bob.auth).attach('file', samples.png(2), { filename: 'b.png' }).expect(201);
      const unknown = '64ac311eee05a1a2c27fbdb5';
      const before = await storedBroadcasts();
      const refused = await t.http
        .post('/broadcast')
        .set(alice.auth)
        .set(alice.session)
        .send(broadcastBody({ message: { text: 'x', attachments: [own.body.data._id, foreign.body.data._id, unknown] } }))
        .expect(400);
      expect(refused.body.errors).toEqual([
        `message.attachments: ${foreign.body.data._id} is not one of your attachments`,
        `message.attachments: ${unknown} is not one of your attachments`,
      ]);
      expect(await storedBroadcasts()).toBe(before);

      const created = await t.http
        .post('/broadcast')
        .set(alice.auth)
        .set(alice.session)
        .send(broadcastBody({ message: { attachments: [own.body.data._id] } }))
        .expect(201);
      // No worker runs here: the broadcast stays `sending`, so its attachment is in use.
      await t.http.delete(`/attachment/${own.body.data._id}`).set(alice.auth).expect(409);
      await t.http.post(`/broadcast/${created.body.data._id}/cancel`).set(alice.auth).expect(200);
      await t.http.delete(`/attachment/${own.body.data._id}`).set(alice.auth).expect(200);
    });

    it('cancel answers 409 for a finished broadcast and 404 for another client', async () => {
      const finished = await t.http
        .post('/broadcast')
        .set(alice.auth)
        .set(alice.session)
        .send(broadcastBody({ to: '999', skip_invalid: true }))
        .expect(201);
      const conflict = await t.http.post(`/broadcast/${finished.body.data._id}/cancel`).set(alice.auth).expect(409);
      expect(conflict.body.message).toMatch(/already finished \(failed\)/);
      await t.http.post(`/broadcast/${finished.body.data._id}/cancel`).set(bob.auth).expect(404);
      await t.http.delete(`/broadcast/${finished.body.data._id}`).set(bob.auth).expect(404);
      await t.http.get('/broadcast/not-an-id').set(alice.auth).expect(400);
    });

    it('puts invalid numbers straight into failed with the reason when skip_invalid is true', async () => {
      const response = await t.http
        .post('/broadcast')
        .set(alice.auth)
        .set(alice.session)
        .send(broadcastBody({ to: ['2348179803743', '12345', 'abc'], skip_invalid: true }))
        .expect(201);
      expect(response.body.data).toMatchObject({ pending: ['2348179803743'], failed: ['12345', 'abc'], status: 'sending' });
      expect(response.body.data.failures).toEqual([
        { recipient: '12345', code: 'invalid_number', message: '"12345" is not a valid international phone number' },
        { recipient: 'abc', code: 'invalid_number', message: '"abc" is not a valid international phone number' },
      ]);
      const allInvalid = await t.http
        .post('/broadcast')
        .set(alice.auth)
        .set(alice.session)
        .send(broadcastBody({ to: '999', skip_invalid: true }))
        .expect(201);
      expect(allInvalid.body.data).toMatchObject({ status: 'failed', pending: [], failed: ['999'] });
    });

    it.each([
      [
        'invalid numbers, each named, with a country-code hint',
        { to: '2348179803743,12345,+1 555' },
        [
          'to: give every number with its country code, as in 2348179803743 or +234 817 980 3743 (a local number such as 08179803743 is not enough)',
          'to: "12345" is not a valid international phone number',
          'to: "+1 555" is not a valid international phone number',
        ],
      ],
      ['an empty message', { message: {} }, ['message must have at least one of text, attachments, location or contactId']],
      ['an empty text only', { message: { text: '' } }, ['message must have at least one of text, attachments, location or contactId']],
      ['a wrong send_type', { send_type: 'group' }, ['send_type must be one of: individual']],
      ['too long a text', { message: { text: 'x'.repeat(4097) } }, ['message.text must be at most 4096 characters']],
      ['a latitude out of range', { message: { location: { lat: '91', lng: 3 } } }, ['message.location.lat must be a number between -90 and 90']],
      ['a non-numeric longitude', { message: { location: { lat: 1, lng: 'east' } } }, ['message.location.lng must be a number between -180 and 180']],
      ['a malformed attachment id', { message: { attachments: ['nope'] } }, ['message.attachments must hold 24-character hexadecimal ids']],
      ['no recipients', { to: ' , ' }, ['to must contain at least one phone number']],
      [
        'too many recipients',
        { to: Array.from({ length: MAX_RECIPIENTS + 1 }, (_, index) => `23480312300${10 + index}`) },
        [`to has ${MAX_RECIPIENTS + 1} distinct recipients; at most ${MAX_RECIPIENTS} are allowed per broadcast`],
      ],
    ])('answers 400 for %s, storing and enqueueing nothing', async (_name, overrides, errors) => {
      const [broadcastsBefore, jobsBefore] = [await storedBroadcasts(), await queuedJobs()];
      const response = await t.http.post('/broadcast').set(alice.auth).set(alice.session).send(broadcastBody(overrides)).expect(400);
      expect(response.body).toEqual({ status: false, message: 'Validation failed', errors });
      expect(await storedBroadcasts()).toBe(broadcastsBefore);
      expect(await queuedJobs()).toBe(jobsBefore);
    });

    it('requires a session (400 naming it: the key is fine, the request incomplete) and broadcast:write', async () => {
      const missing = await t.http.post('/broadcast').set(alice.auth).send(broadcastBody()).expect(400);
      expect(missing.body.message).toMatch(/give session_id and access_token/);
      const readOnly = await issueKey(t.app, alice.clientId, Role.ReadOnly);
      await t.http.post('/broadcast').set('x-api-key', readOnly).set(alice.session).send(broadcastBody()).expect(403);
    });
  });

  it('lists newest first, scoped to the session unless type=all', async () => {
    const list = await t.http.get('/broadcast').set(alice.auth).set(alice.session).query({ limit: 2 }).expect(200);
    expect(list.body.data).toHaveLength(2);
    const [first, second] = list.body.data as Array<{ createdAt: string }>;
    expect(new Date(first.createdAt).getTime()).toBeGreaterThanOrEqual(new Date(second.createdAt).getTime());
    expect(list.body.pagination).toMatchObject({ page: 1, limit: 2, nextPage: 2 });
    const none = await t.http.get('/broadcast').set(bob.auth).set(bob.session).expect(200);
    expect(none.body.data).toEqual([]);
    const unscoped = await t.http.get('/broadcast').set(alice.auth).expect(400);
    expect(unscoped.body.message).toMatch(/session_id and access_token .* use type=all/);
  });
});

