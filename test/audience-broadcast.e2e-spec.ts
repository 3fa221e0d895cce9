import { setTimeout as sleep } from 'node:timers/promises';
import { TenancyService } from '../src/auth/tenancy.service';
import { ContactService } from '../src/contact/contact.service';
import { FakeCloudApi } from './support/fake-cloud-api';
import { createTenant, TestTenant } from './support/factories';
import { describeWithMongo } from './support/mongo';
import { pollUntil } from './support/polling';
import { createTestApp, TestApp } from './support/test-app';

const PHONE_NUMBER_ID = '106540352242931';
const ACCESS_TOKEN = 'EAAG-audience-test-token';

interface Broadcast {
  _id: string;
  status: string;
  to: string;
  sent: string[];
  pending: string[];
  failed: string[];
  failures: Array<{ recipient: string; code: string; message: string }>;
  audience?: { segment_id: string | null; tags?: string[]; match: string | null; contact_count: number | null; resolved_at: string | null };
  require_opt_in?: boolean;
}

/** Numbers of this suite: 234 806 77 NNNNN. */
const phone = (index: number): string => `23480677${String(index).padStart(5, '0')}`;

describeWithMongo('Segments and broadcasts to an audience (e2e)', () => {
  let t: TestApp;
  let fake: FakeCloudApi;
  let alice: TestTenant;
  let bob: TestTenant;
  let cloud: Record<string, string>;

  beforeAll(async () => {
    fake = await FakeCloudApi.start({ accessToken: ACCESS_TOKEN });
    t = await createTestApp({ env: { CLOUD_API_BASE_URL: fake.baseUrl, CLOUD_API_TIMEOUT_MS: '1000', SWEEP_INTERVAL_MS: '500' } });
    alice = await createTenant(t.app, { name: 'Alice' });
    bob = await createTenant(t.app, { name: 'Bob' });
    const session = await t.app.get(TenancyService).createSession({
      clientId: alice.clientId,
      name: 'Cloud API line',
      provider: 'cloud-api',
      phoneNumber: '15550783990',
      credentials: { phone_number_id: PHONE_NUMBER_ID, access_token: ACCESS_TOKEN, app_secret: 'secret', verify_token: 'verify' },
      enforceServiceWindow: false,
    });
    cloud = { 'X-Session-Id': session.session_id, 'X-Access-Token': session.access_token };
  });
  afterAll(async () => {
    await t.close();
    await fake.close();
  });

  const contact = async (tenant: TestTenant, index: number, name: string, changes: Record<string, unknown> = {}): Promise<string> => {
    const created = await t.http.post('/contacts').set(tenant.auth).send({ name, phone: phone(index) }).expect(201);
    const id = created.body.data._id as string;
    if (Object.keys(changes).length > 0) await t.http.patch(`/contacts/${id}`).set(tenant.auth).send(changes).expect(200);
    return id;
  };
  const segment = async (tenant: TestTenant, filter: unknown): Promise<string> =>
    (await t.http.post('/segments').set(tenant.auth).send({ name: 'S', filter }).expect(201)).body.data._id as string;
  const members = async (tenant: TestTenant, id: string): Promise<string[]> => {
    const phones: string[] = [];
    let cursor: string | null = null;
    do {
      const page = await t.http.get(`/segments/${id}/contacts`).query({ limit: 2, ...(cursor ? { cursor } : {}) }).set(tenant.auth).expect(200);
      phones.push(...(page.body.data.contacts as Array<{ phone: string }>).map((found) => found.phone));
      cursor = page.body.data.next_cursor as string | null;
    } while (cursor);
    const count = await t.http.get(`/segments/${id}/count`).set(tenant.auth).expect(200);
    expect(count.body.data.count).toBe(phones.length);
    return phones.sort();
  };
  const finished = (tenant: TestTenant, id: string): Promise<Broadcast> =>
    pollUntil(
      async () => (await t.http.get(`/broadcast/${id}`).set(tenant.auth).expect(200)).body.data as Broadcast,
      (broadcast) => !['scheduled', 'sending'].includes(broadcast.status),
      30_000,
      100,
    );
  const textsSent = (): Map<string, string> =>
    new Map(fake.requestsTo('messages').map((request) => [String(request.json?.to), String((request.json?.text as { body?: string } | undefined)?.body)]));

  describe('segments', () => {
    const at = (index: number) => phone(100 + index);
    beforeAll(async () => {
      const optIn = { source: 'web_form', text: 'Offers' };
      await contact(alice, 100, 'Ada', { tags: ['vip', 'lagos'], attributes: { city: 'Lagos', orders: 5, joined: '2024-01-10' }, opt_in: optIn });
      await contact(alice, 101, 'Bola', { tags: ['vip'], attributes: { city: 'Abuja', orders: 1, joined: '2025-06-01' } });
      await contact(alice, 102, 'Chidi', { tags: ['lagos', 'churned'], attributes: { city: 'Lagos', orders: 12 }, opt_in: optIn });
      await contact(alice, 103, 'Dayo', { opted_out: true });
      await t.app.get(ContactService).recordInbound(alice.clientId, { phone: at(2), sessionId: alice.sessionId, at: new Date(), profileName: null });
      await t.app.get(ContactService).recordInbound(alice.clientId, { phone: at(3), sessionId: alice.sessionId, at: new Date(Date.now() - 40 * 86_400_000), profileName: null });
      // Bob's contact matches every filter below that Alice's do: it must never show up for Alice.
      await contact(bob, 100, 'Bob Ada', { tags: ['vip', 'lagos'], attributes: { city: 'Lagos', orders: 5 } });
    });

    it.each([
      ['tags all of', { tags: { all: ['vip', 'lagos'] } }, [0]],
      ['tags any of', { tags: { any: ['vip', 'churned'] } }, [0, 1, 2]],
      ['tags none of', { tags: { none: ['vip'] } }, [2, 3]],
      ['attribute equals', { attributes: [{ name: 'city', op: 'equals', value: 'Lagos' }] }, [0, 2]],
      ['attribute in', { attributes: [{ name: 'city', op: 'in', values: ['Abuja', 'Kano'] }] }, [1]],
      ['attribute number range', { attributes: [{ name: 'orders', op: 'range', gte: 2, lt: 12 }] }, [0]],
      ['attribute date range', { attributes: [{ name: 'joined', op: 'range', gte: '2025-01-01' }] }, [1]],
      ['attribute exists', { attributes: [{ name: 'joined', op: 'exists', exists: true }] }, [0, 1]],
      ['attribute does not exist', { attributes: [{ name: 'orders', op: 'exists', exists: false }] }, [3]],
      ['opted in', { opted_in: true }, [0, 2]],
      ['not opted in', { opted_in: false }, [1, 3]],
      ['opted out', { opted_out: true }, [3]],
      ['last inbound within 30 days', { last_inbound_within_days: 30 }, [2]],
      ['several conditions at once', { tags: { any: ['lagos'] }, opted_in: true, attributes: [{ name: 'orders', op: 'range', gt: 10 }] }, [2]],
      // Stored as written (an empty filter is not dropped on the way to MongoDB), and usable afterwards.
      ['no condition: every contact', {}, [0, 1, 2, 3]],
      ['an empty tags condition', { tags: {} }, [0, 1, 2, 3]],
    ])('%s', async (_name, filter, expected) => {
      const id = await segment(alice, filter);
      expect(await members(alice, id)).toEqual(expected.map(at).sort());
    });

    it('has or has not received a broadcast', async () => {
      const sent = await t.http
        .post('/broadcast')
        .set(alice.auth)
        .set(alice.session)
        .send({ send_type: 'individual', audience: { tags: ['vip'] }, message: { text: 'Hello VIPs' } })
        .expect(201);
      await finished(alice, sent.body.data._id as string);
      const received = await segment(alice, { received_broadcast: { broadcast_id: sent.body.data._id, received: true } });
      expect(await members(alice, received)).toEqual([at(0), at(1)]);
      const notReceived = await segment(alice, { received_broadcast: { broadcast_id: sent.body.data._id, received: false } });
      expect(await members(alice, notReceived)).toEqual([at(2), at(3)]);
      // Bob cannot name Alice's broadcast.
      const refused = await t.http.post('/segments').set(bob.auth).send({ name: 'x', filter: { received_broadcast: { broadcast_id: sent.body.data._id, received: true } } });
      expect(refused.status).toBe(400);
      expect(refused.body.errors).toEqual([`filter.received_broadcast.broadcast_id: broadcast ${sent.body.data._id as string} not found`]);
    });

    it('refuses unknown fields, operators and non-literal values by name, storing nothing', async () => {
      const bad = await t.http
        .post('/segments')
        .set(alice.auth)
        .send({
          name: 'Injected',
          filter: {
            $where: 'sleep(1000)',
            tags: { all: [{ $ne: null }] },
            attributes: [{ name: 'city', op: '$regex', value: '.*' }, { name: 'orders', op: 'equals', value: { $gt: 0 } }, { name: 'x', op: 'range' }],
            last_inbound_within_days: 0,
          },
        })
        .expect(400);
      expect(bad.body.errors).toEqual([
        'filter has unknown field(s) "$where"; allowed: tags, attributes, opted_in, opted_out, last_inbound_within_days, received_broadcast',
        'filter.tags.all[0] is not a tag (1 to 40 letters, digits, _, -, : or .)',
        'filter.attributes[0].op must be one of: equals, in, range, exists',
        'filter.attributes[1].value must be a string, a number, a boolean or an ISO 8601 date',
        'filter.attributes[2] needs at least one of gte, gt, lte, lt',
        'filter.last_inbound_within_days must be a whole number from 1 to 3650',
      ]);
      expect((await t.http.get('/segments?limit=100').set(alice.auth).expect(200)).body.data.map((found: { name: string }) => found.name)).not.toContain('Injected');
    });

    it('records who created, changed and deleted a segment in the audit log, naming fields but no values', async () => {
      const id = await segment(alice, { tags: { any: ['audited'] } });
      await t.http.patch(`/segments/${id}`).set(alice.auth).send({ name: 'Audited again' }).expect(200);
      await t.http.delete(`/segments/${id}`).set(alice.auth).expect(200);
      const entries = (await t.http.get('/audit-log?kind=segment&limit=100').set(alice.auth).expect(200)).body.data as Array<Record<string, unknown>>;
      const mine = entries.filter((entry) => entry.target_id === id);
      expect(mine.map((entry) => entry.action).sort()).toEqual(['created', 'deleted', 'updated']);
      expect(mine.find((entry) => entry.action === 'updated')).toMatchObject({ fields: ['name'] });
      expect(JSON.stringify(mine)).not.toContain('Audited again');
      expect((await t.http.get('/audit-log?kind=segment&limit=100').set(bob.auth).expect(200)).body.data.filter((entry: { target_id: string }) => entry.target_id === id)).toEqual([]);
    });

    it("keeps each tenant's segments to itself", async () => {
      const id = await segment(alice, { tags: { any: ['vip'] } });
      await t.http.get(`/segments/${id}`).set(bob.auth).expect(404);
      await t.http.get(`/segments/${id}/contacts`).set(bob.auth).expect(404);
      await t.http.get(`/segments/${id}/count`).set(bob.auth).expect(404);
      await t.http.patch(`/segments/${id}`).set(bob.auth).send({ name: 'mine' }).expect(404);
      await t.http.delete(`/segments/${id}`).set(bob.auth).expect(404);
      expect((await t.http.get('/segments').set(bob.auth).expect(200)).body.data).toEqual([]);
      const borrowed = await t.http
        .post('/broadcast')
        .set(bob.auth)
        .set(bob.session)
        .send({ send_type: 'individual', audience: { segment_id: id }, message: { text: 'Hi' } })
        .expect(400);
      expect(borrowed.body.errors).toEqual([`audience.segment_id: segment ${id} not found`]);
    });
  });

  describe('broadcasts', () => {
    it('fills {{contact.*}} variables in the text and template parameters sent to the Graph API, and records the audience', async () => {
      await contact(alice, 200, 'Emeka Okafor', { tags: ['promo'], attributes: { city: 'Enugu', first_name: 'Emy' } });
      await contact(alice, 201, 'Funke Ade', { tags: ['promo'] });
      fake.clearRequests();
      const created = await t.http
        .post('/broadcast')
        .set(alice.auth)
        .set(cloud)
        .send({ send_type: 'individual', audience: { tags: ['PROMO'], match: 'all' }, message: { text: 'Hi {{contact.first_name}} from {{contact.city|there}}' } })
        .expect(201);
      const broadcast = created.body.data as Broadcast;
      expect(broadcast).toMatchObject({ to: '', pending: [phone(200), phone(201)], audience: { tags: ['promo'], match: 'all', contact_count: 2 } });
      expect((await finished(alice, broadcast._id)).sent.sort()).toEqual([phone(200), phone(201)]);
      const texts = textsSent();
      expect(texts.get(phone(200))).toBe('Hi Emy from Enugu');
      expect(texts.get(phone(201))).toBe('Hi Funke from there');

      fake.clearRequests();
      const templated = await t.http
        .post('/broadcast')
        .set(alice.auth)
        .set(cloud)
        .send({
          send_type: 'individual',
          audience: { tags: ['promo'] },
          message: {},
          template: { name: 'order_update', language: 'en', components: [{ type: 'body', parameters: [{ type: 'text', text: '{{contact.name}}' }] }] },
        })
        .expect(201);
      await finished(alice, templated.body.data._id as string);
      const parameters = fake.requestsTo('messages').map((request) => [request.json?.to, JSON.stringify(request.json?.template)]);
      expect(parameters).toEqual(
        expect.arrayContaining([
          [phone(200), expect.stringContaining('"text":"Emeka Okafor"')],
          [phone(201), expect.stringContaining('"text":"Funke Ade"')],
        ]),
      );
    });

    it('require_opt_in fails contacts without a current opt-in at once, with no provider call', async () => {
      await contact(alice, 300, 'Opted In', { tags: ['consent'], opt_in: { source: 'api' } });
      await contact(alice, 301, 'Never Asked', { tags: ['consent'] });
      await contact(alice, 302, 'Opted Out Since', { tags: ['consent'], opt_in: { source: 'web_form' }, opted_out: true });
      fake.clearRequests();
      const created = await t.http
        .post('/broadcast')
        .set(alice.auth)
        .set(cloud)
        .send({ send_type: 'individual', audience: { tags: ['consent'] }, require_opt_in: true, message: { text: 'Offer' } })
        .expect(201);
      const broadcast = created.body.data as Broadcast;
      expect(broadcast.pending).toEqual([phone(300)]);
      expect(broadcast.failures).toEqual([
        expect.objectContaining({ recipient: phone(301), code: 'no_opt_in' }),
        expect.objectContaining({ recipient: phone(302), code: 'no_opt_in' }),
      ]);
      const done = await finished(alice, broadcast._id);
      expect(done).toMatchObject({ status: 'completed_with_errors', sent: [phone(300)], require_opt_in: true });
      expect(fake.requestsTo('messages').map((request) => request.json?.to)).toEqual([phone(300)]);

      // The same rule for a `to` list: a number without a contact has no opt-in either.
      fake.clearRequests();
      const listed = await t.http
        .post('/broadcast')
        .set(alice.auth)
        .set(cloud)
        .send({ send_type: 'individual', to: `${phone(300)},${phone(301)},${phone(399)}`, require_opt_in: true, message: { text: 'Offer' } })
        .expect(201);
      expect((listed.body.data as Broadcast).failed).toEqual([phone(301), phone(399)]);
      await finished(alice, listed.body.data._id as string);
      expect(fake.requestsTo('messages').map((request) => request.json?.to)).toEqual([phone(300)]);
    });

    it('sends a scheduled broadcast to the segment as it is at send_at', async () => {
      await contact(alice, 400, 'Stays', { tags: ['spring'] });
      const leaves = await contact(alice, 401, 'Leaves', { tags: ['spring'] });
      const id = await segment(alice, { tags: { any: ['spring'] } });
      // Far enough ahead for the changes below to land before it, even on a loaded machine.
      const sendAt = new Date(Date.now() + 10_000);
      const created = await t.http
        .post('/broadcast')
        .set(alice.auth)
        .set(alice.session)
        .send({ send_type: 'individual', audience: { segment_id: id }, message: { text: 'Spring sale, {{contact.first_name}}' }, send_at: sendAt.toISOString() })
        .expect(201);
      expect(created.body.data).toMatchObject({ status: 'scheduled', pending: [], audience: { segment_id: id, contact_count: null, resolved_at: null } });
      // Before send_at: one contact leaves the segment, one joins, and the segment's filter widens.
      await t.http.delete(`/contacts/${leaves}/tags/spring`).set(alice.auth).expect(200);
      await contact(alice, 402, 'Joins', { tags: ['spring'] });
      await contact(alice, 403, 'Summer', { tags: ['summer'] });
      await t.http.patch(`/segments/${id}`).set(alice.auth).send({ filter: { tags: { any: ['spring', 'summer'] } } }).expect(200);
      expect(Date.now()).toBeLessThan(sendAt.getTime() - 500);
      expect((await t.http.get(`/broadcast/${created.body.data._id as string}`).set(alice.auth).expect(200)).body.data).toMatchObject({ status: 'scheduled', pending: [] });
      await sleep(Math.max(0, sendAt.getTime() - Date.now()));
      const done = await finished(alice, created.body.data._id as string);
      expect(done.status).toBe('completed');
      expect(done.sent.sort()).toEqual([phone(400), phone(402), phone(403)]);
      expect(done.audience).toMatchObject({ contact_count: 3 });
    });

    it('refuses an audience with to, an unknown segment, or a placeholder nothing fills', async () => {
      const refused = await t.http
        .post('/broadcast')
        .set(alice.auth)
        .set(alice.session)
        .send({ send_type: 'individual', to: phone(1), audience: { segment_id: '64ac509d05a7cc2b8c2bd9ab' }, message: { text: 'Hi {{name}}' } })
        .expect(400);
      expect(refused.body.errors).toEqual([
        'give either to or audience, not both',
        '{{name}} has no value in a broadcast to an audience: only {{contact.*}} variables are filled there; write {{name|default}}',
      ]);
      const unknown = await t.http
        .post('/broadcast')
        .set(alice.auth)
        .set(alice.session)
        .send({ send_type: 'individual', audience: { segment_id: '64ac509d05a7cc2b8c2bd9ab' }, message: { text: 'Hi' } })
        .expect(400);
      expect(unknown.body.errors).toEqual(['audience.segment_id: segment 64ac509d05a7cc2b8c2bd9ab not found']);
      const empty = await t.http
        .post('/broadcast')
        .set(alice.auth)
        .set(alice.session)
        .send({ send_type: 'individual', audience: { tags: ['nobody-has-this'] }, message: { text: 'Hi' } })
        .expect(400);
      expect(empty.body.errors).toEqual(['audience holds no contacts: nothing to send']);
      // `audience: null` is no audience: without `to` there is nobody to send to, for the plan as for the broadcast.
      for (const path of ['/broadcast', '/broadcast/plan']) {
        const none = await t.http.post(path).set(alice.auth).set(alice.session).send({ send_type: 'individual', audience: null, message: { text: 'Hi' } }).expect(400);
        expect(none.body.errors).toEqual(['to must be a comma-separated string of phone numbers or a non-empty array of numbers or { number, variables } objects']);
      }
      const withTo = await t.http.post('/broadcast/plan').set(alice.auth).set(alice.session).send({ send_type: 'individual', to: phone(1), audience: null, message: { text: 'Hi' } }).expect(200);
      expect(withTo.body.data).toMatchObject({ recipients: { valid: 1 } });
    });
  });
});
