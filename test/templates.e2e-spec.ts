import { getConnectionToken } from '@nestjs/mongoose';
import type { Connection } from 'mongoose';
import { Role } from '../src/auth/permissions';
import { TenancyService } from '../src/auth/tenancy.service';
import { FakeCloudApi, FakeTemplate, graphError, templateWebhook } from './support/fake-cloud-api';
import { createTenant, issueKey, TestTenant } from './support/factories';
import { describeWithMongo } from './support/mongo';
import { eventually, pollUntil } from './support/polling';
import { createTestApp, TestApp } from './support/test-app';
import { WebhookReceiver } from './support/webhook-receiver';

const WABA_ID = '102290129340398';
const PHONE_NUMBER_ID = '106540352242977';
const ACCESS_TOKEN = 'EAAG-templates-test-token';
const APP_SECRET = 'templates-app-secret';
const REVIEW_MS = 300;

const body = (text: string) => ({ type: 'BODY', text });
const approved = (id: string, name: string, components: Array<Record<string, unknown>>, category = 'UTILITY'): FakeTemplate => ({
  id,
  name,
  language: 'en_US',
  status: 'APPROVED',
  category,
  components,
  quality_score: { score: 'GREEN' },
});

describeWithMongo('Message templates: catalogue, lifecycle webhooks, checked sends, paused broadcasts (e2e, fake Graph API)', () => {
  let fake: FakeCloudApi;
  let receiver: WebhookReceiver;
  let t: TestApp;
  let alice: TestTenant;
  let bob: TestTenant;
  let cloud: { 'X-Session-Id': string; 'X-Access-Token': string };
  let numbers = 0;
  const nextNumbers = (count: number) => Array.from({ length: count }, () => `2348031${String(numbers++).padStart(6, '0')}`);

  const db = () => t.app.get<Connection>(getConnectionToken());
  const postWebhook = ({ raw, signature }: { raw: Buffer; signature: string }) =>
    t.http.post('/webhooks/whatsapp').set('Content-Type', 'application/json').set('X-Hub-Signature-256', signature).send(raw.toString('utf8'));
  const statusWebhook = (template: FakeTemplate, event: string, reason = 'NONE') =>
    templateWebhook(
      WABA_ID,
      'message_template_status_update',
      { event, message_template_id: Number(template.id), message_template_name: template.name, message_template_language: template.language, reason },
      APP_SECRET,
    );
  const broadcastOf = async (id: string) => (await t.http.get(`/broadcast/${id}`).set(alice.auth).expect(200)).body.data;
  const templateNamed = async (session: Record<string, string>, name: string) =>
    (await t.http.get('/templates').query({ name }).set(alice.auth).set(session).expect(200)).body.data.find((one: { name: string }) => one.name === name);

  const orderUpdate = approved('1407680676729941', 'order_update', [body('Hi {{1}}, your order {{2}} has shipped.')]);
  const promo = approved('1407680676729942', 'spring_promo', [body('Hi {{1}}, {{2}} off this week.')], 'MARKETING');
  const welcome = approved('1407680676729943', 'welcome', [{ type: 'HEADER', format: 'TEXT', text: 'Welcome' }, body('Thanks for joining us.')]);

  beforeAll(async () => {
    fake = await FakeCloudApi.start({ accessToken: ACCESS_TOKEN, latencyMs: 5 });
    fake.templates.set(WABA_ID, [orderUpdate, promo, welcome]);
    receiver = await WebhookReceiver.start();
    t = await createTestApp({
      env: {
        CLOUD_API_BASE_URL: fake.baseUrl,
        CLOUD_API_TIMEOUT_MS: '2000',
        SANDBOX_TEMPLATE_REVIEW_MS: String(REVIEW_MS),
        WEBHOOK_ALLOW_PRIVATE_URLS: 'true',
        WEBHOOK_BACKOFF_MS: '40',
      },
    });
    alice = await createTenant(t.app, { name: 'Alice' });
    bob = await createTenant(t.app, { name: 'Bob' });
    const session = await t.app.get(TenancyService).createSession({
      clientId: alice.clientId,
      name: 'Cloud line',
      provider: 'cloud-api',
      phoneNumber: '15550783881',
      credentials: { phone_number_id: PHONE_NUMBER_ID, access_token: ACCESS_TOKEN, app_secret: APP_SECRET, verify_token: 'verify', waba_id: WABA_ID },
      // Slow enough that a broadcast is still sending when its template is paused.
      rateLimitPerSecond: 8,
      enforceServiceWindow: false,
    });
    cloud = { 'X-Session-Id': session.session_id, 'X-Access-Token': session.access_token };
    await t.http.post('/webhook-endpoints').set(alice.auth).send({ url: `${receiver.baseUrl}/alice` }).expect(201);
  });
  afterAll(async () => {
    await t.close();
    await receiver.close();
    await fake.close();
  });

  describe('catalogue', () => {
    it('syncs a Business Account page by page with every field, and lists it filtered', async () => {
      const synced = await t.http.post('/templates/sync').set(alice.auth).set(cloud).expect(200);
      expect(synced.body.data).toEqual({ account: `waba:${WABA_ID}`, templates: 3, changed: 0 });
      const lists = fake.requests.filter((request) => request.method === 'GET' && request.path.includes('/message_templates'));
      expect(lists).toHaveLength(2);
      expect(lists[0].path).toContain(`/v21.0/${WABA_ID}/message_templates?fields=id%2Cname%2Clanguage%2Cstatus%2Ccategory%2Ccomponents%2Cquality_score%2Crejected_reason`);
      expect(new URL(lists[1].path, fake.baseUrl).searchParams.get('after')).toBe('2');

      const listed = await t.http.get('/templates').set(alice.auth).set(cloud).expect(200);
      expect(listed.body.data.map((one: { name: string }) => one.name)).toEqual(['order_update', 'spring_promo', 'welcome']);
      expect(listed.body.data[0]).toMatchObject({ template_id: orderUpdate.id, language: 'en_US', status: 'APPROVED', category: 'UTILITY', quality_score: 'GREEN', components: orderUpdate.components });
      const marketing = await t.http.get('/templates').query({ category: 'MARKETING', limit: 1 }).set(alice.auth).set(cloud).expect(200);
      expect(marketing.body.data.map((one: { name: string }) => one.name)).toEqual(['spring_promo']);
      expect(marketing.body.pagination).toMatchObject({ total: 1, page: 1, limit: 1 });
      const prefixed = await t.http.get('/templates').query({ name: 'or' }).set(alice.auth).set(cloud).expect(200);
      expect(prefixed.body.data.map((one: { name: string }) => one.name)).toEqual(['order_update']);
      await t.http.get('/templates').query({ status: 'SHINY' }).set(alice.auth).set(cloud).expect(400);

      const one = await t.http.get(`/templates/${listed.body.data[2]._id}`).set(alice.auth).set(cloud).expect(200);
      expect(one.body.data).toMatchObject({ name: 'welcome', account: `waba:${WABA_ID}` });
    });

    it("shows another tenant's key none of the templates: its lists are its own, an id of Alice's answers 404", async () => {
      const aliceTemplate = await templateNamed(cloud, 'order_update');
      await t.http.get(`/templates/${aliceTemplate._id}`).set(bob.auth).set(bob.session).expect(404);
      const bobs = await t.http.get('/templates').query({ limit: 100 }).set(bob.auth).set(bob.session).expect(200);
      expect(bobs.body.data.map((one: { account: string }) => one.account)).toEqual(bobs.body.data.map(() => `sandbox:${bob.sessionId}`));
      expect(bobs.body.data.map((one: { name: string }) => one.name)).toEqual(['hello_world', 'login_code', 'order_update', 'seasonal_promo']);
      // Alice's session with Bob's key is refused outright.
      await t.http.get('/templates').set(bob.auth).set(cloud).expect(401);
    });

    it('creates at Meta and deletes there, passes the Graph API refusals back as 400s, and needs template:manage', async () => {
      const created = await t.http
        .post('/templates')
        .set(alice.auth)
        .set(cloud)
        .send({ name: 'order_ready', language: 'en_US', category: 'UTILITY', components: [{ type: 'BODY', text: 'Order {{1}} is ready.', example: { body_text: [['#1042']] } }] })
        .expect(201);
      expect(created.body.data).toMatchObject({ name: 'order_ready', status: 'PENDING', category: 'UTILITY' });
      expect(fake.templates.get(WABA_ID)?.map((one) => one.name)).toContain('order_ready');

      const refused = await t.http
        .post('/templates')
        .set(alice.auth)
        .set(cloud)
        .send({ name: 'emoji_promo', language: 'en_US', category: 'MARKETING', components: [{ type: 'BODY', text: 'Hi 🎉' }] })
        .expect(400);
      expect(refused.body.errors).toEqual(['Graph API: Message template "components" param is invalid: components[0].text: the body text cannot contain emoji in this category']);
      const malformed = await t.http.post('/templates').set(alice.auth).set(cloud).send({ name: 'Bad Name', language: 'english', category: 'NEWS', components: [] }).expect(400);
      expect(malformed.body.errors).toEqual(
        expect.arrayContaining([
          'name must be 1-512 lower-case letters, digits or underscores',
          'language must be a language code such as en or en_US',
          'category must be one of: MARKETING, UTILITY, AUTHENTICATION',
          'components must hold at least a BODY',
        ]),
      );
      // A shape WhatsApp's review would refuse is named here, and Meta is not asked.
      const unsound = await t.http
        .post('/templates')
        .set(alice.auth)
        .set(cloud)
        .send({ name: 'gappy', language: 'en_US', category: 'UTILITY', components: [{ type: 'BODY', text: 'Hi {{1}}, order {{3}}' }, { type: 'FOOTER', text: 'Code {{1}}' }] })
        .expect(400);
      expect(unsound.body.errors).toEqual([
        'components[0] (BODY) numbers its parameters {{1}}, {{3}}: they must run {{1}}, {{2}}... without a gap',
        'components[1] (FOOTER) text is fixed: it takes no parameters',
      ]);
      expect(fake.templates.get(WABA_ID)?.map((one) => one.name)).not.toContain('gappy');

      const member = await issueKey(t.app, alice.clientId, Role.Member);
      const readOnly = await issueKey(t.app, alice.clientId, Role.ReadOnly);
      for (const key of [member, readOnly]) {
        await t.http.delete('/templates/order_ready').set('Authorization', `Bearer ${key}`).set(cloud).expect(403);
      }
      await t.http.get('/templates').set('Authorization', `Bearer ${readOnly}`).set(cloud).expect(200);

      const deleted = await t.http.delete('/templates/order_ready').set(alice.auth).set(cloud).expect(200);
      expect(deleted.body.data).toEqual({ deleted: 1 });
      expect(fake.templates.get(WABA_ID)?.map((one) => one.name)).not.toContain('order_ready');
      expect(fake.requests.find((request) => request.method === 'DELETE')?.path).toContain('name=order_ready');
      await t.http.delete('/templates/order_ready').set(alice.auth).set(cloud).expect(404);
    });

    it('reads the catalogue of a session created over the API at once', async () => {
      const syncs = () => fake.requests.filter((request) => request.method === 'GET' && request.path.includes('/message_templates')).length;
      const before = syncs();
      const created = await t.http
        .post('/sessions')
        .set(alice.auth)
        .send({ name: 'Second line', provider: 'cloud-api', credentials: { phone_number_id: '106540352242978', access_token: ACCESS_TOKEN, app_secret: APP_SECRET, verify_token: 'v2', waba_id: WABA_ID } })
        .expect(201);
      expect((await t.http.get(`/sessions/${created.body.data.session_id}`).set(alice.auth).expect(200)).body.data.waba_id).toBe(WABA_ID);
      await eventually(async () => syncs() > before, 'the new session to be synced');
      const badWaba = await t.http
        .post('/sessions')
        .set(alice.auth)
        .send({ name: 'Bad', provider: 'cloud-api', credentials: { phone_number_id: '1065', access_token: 'a', app_secret: 'b', verify_token: 'c', waba_id: 'WABA-1' } })
        .expect(400);
      expect(badWaba.body.errors).toEqual(['credentials.waba_id must be the WhatsApp Business Account id (5 to 20 digits)']);
    });
  });

  describe('the sandbox plays a Business Account', () => {
    it('reviews what is created in it: APPROVED after SANDBOX_TEMPLATE_REVIEW_MS, REJECTED when its name says reject', async () => {
      const create = (name: string) =>
        t.http.post('/templates').set(alice.auth).set(alice.session).send({ name, language: 'en', category: 'UTILITY', components: [{ type: 'BODY', text: 'Your code is {{1}}' }] }).expect(201);
      const good = (await create('code_notice')).body.data;
      const bad = (await create('reject_me')).body.data;
      expect([good.status, bad.status]).toEqual(['PENDING', 'PENDING']);
      await t.http.post('/v1/messages').set(alice.auth).set(alice.session).send({ to: nextNumbers(1)[0], template: { name: 'code_notice', language: 'en' } }).expect(400);
      const reviewed = await pollUntil(
        async () => [(await t.http.get(`/templates/${good._id}`).set(alice.auth).set(alice.session)).body.data, (await t.http.get(`/templates/${bad._id}`).set(alice.auth).set(alice.session)).body.data],
        ([one, other]) => one.status !== 'PENDING' && other.status !== 'PENDING',
      );
      expect(reviewed.map((one) => [one.status, one.rejected_reason])).toEqual([
        ['APPROVED', null],
        ['REJECTED', 'INVALID_FORMAT'],
      ]);
      const events = await eventually(async () => {
        const found = receiver.to('/alice').map((delivery) => JSON.parse(delivery.body) as { type: string; data: { template: { name: string; status: string } } });
        const approvals = found.filter((event) => event.type === 'template.status_changed' && event.data.template.name === 'code_notice');
        return approvals.length > 0 ? approvals : null;
      }, 'the template.status_changed event');
      expect(events[0].data).toMatchObject({ template: { name: 'code_notice', status: 'APPROVED' }, previous_status: 'PENDING' });
    });

    it('keeps its starter templates when the first use of a new sandbox session is a created template', async () => {
      const fresh = await t.app.get(TenancyService).createSession({ clientId: bob.clientId, name: 'Fresh sandbox', provider: 'sandbox' });
      const session = { 'X-Session-Id': fresh.session_id, 'X-Access-Token': fresh.access_token };
      await t.http.post('/templates').set(bob.auth).set(session).send({ name: 'first_notice', language: 'en', category: 'UTILITY', components: [{ type: 'BODY', text: 'Hello' }] }).expect(201);
      const listed = (await t.http.get('/templates?limit=100').set(bob.auth).set(session).expect(200)).body.data as Array<{ name: string; status: string }>;
      expect(listed.map(({ name, status }) => `${name} ${status}`).sort()).toEqual(['first_notice PENDING', 'hello_world APPROVED', 'login_code APPROVED', 'order_update APPROVED', 'seasonal_promo APPROVED']);
    });

    it('records who created, moved and deleted a template in the audit log, with no values', async () => {
      const created = (
        await t.http.post('/templates').set(alice.auth).set(alice.session).send({ name: 'audited_notice', language: 'en', category: 'UTILITY', components: [{ type: 'BODY', text: 'Hello' }] }).expect(201)
      ).body.data;
      await t.http.post(`/templates/${created._id}/sandbox-status`).set(alice.auth).set(alice.session).send({ status: 'PAUSED' }).expect(200);
      await t.http.delete('/templates/audited_notice').set(alice.auth).set(alice.session).expect(200);
      const entries = (await t.http.get('/audit-log?kind=template&limit=100').set(alice.auth).expect(200)).body.data as Array<Record<string, unknown>>;
      const mine = entries.filter((entry) => entry.target_id === created._id || entry.target_id === 'audited_notice');
      expect(mine.map((entry) => entry.action).sort()).toEqual(['created', 'deleted', 'updated']);
      expect(JSON.stringify(mine)).not.toContain('Hello');
    });
  });

  describe('sends checked against the catalogue', () => {
    const send = (template: Record<string, unknown>, session: Record<string, string> = alice.session) =>
      t.http.post('/v1/messages').set(alice.auth).set(session).send({ to: nextNumbers(1)[0], template });
    const problemsOf = async (template: Record<string, unknown>, session?: Record<string, string>) => (await send(template, session).expect(400)).body.errors as string[];
    const bodyParams = (...texts: string[]) => [{ type: 'body', parameters: texts.map((text) => ({ type: 'text', text })) }];

    it('refuses each mismatch with a 400 naming the template, the component and the parameter, writing nothing', async () => {
      const logsBefore = await db().collection('message_logs').countDocuments();
      expect(await problemsOf({ name: 'order_updates', language: 'en_US' })).toEqual([
        "template order_updates (en_US) does not exist in the sandbox session's catalogue (see GET /templates)",
      ]);
      expect(await problemsOf({ name: 'order_update', language: 'fr', components: bodyParams('Ada', '#1') })).toEqual([
        'template order_update (fr) does not exist in language fr; it exists in: en_US',
      ]);
      expect(await problemsOf({ name: 'order_update', language: 'en_US', components: bodyParams('Ada') })).toEqual([
        'template order_update (en_US): body parameter {{2}} is missing (the body takes 2, 1 given)',
      ]);
      expect(await problemsOf({ name: 'order_update', language: 'en_US', components: bodyParams('Ada', '#1', 'extra') })).toEqual([
        'template order_update (en_US): the body takes 2 parameter(s), 3 given',
      ]);
      expect(await problemsOf({ name: 'order_update', language: 'en_US', components: bodyParams('Ada\nLovelace', 'x'.repeat(1100)) })).toEqual([
        'template order_update (en_US): body parameter {{1}} must not hold new lines, tabs or more than 4 spaces in a row',
        'template order_update (en_US): the body is 1159 characters once filled in; at most 1024',
      ]);
      expect(await problemsOf({ name: 'hello_world', language: 'en_US', components: [{ type: 'header', parameters: [{ type: 'text', text: 'Hi' }] }] })).toEqual([
        'template hello_world (en_US): the header takes no parameters, 1 given',
      ]);
      expect(await problemsOf({ name: 'seasonal_promo', language: 'en_US', components: bodyParams('Ada', 'summer', '20%') })).toEqual([
        'template seasonal_promo (en_US): the header is an IMAGE; give { "type": "image", "image": { "attachment_id": "<attachment id>" } }, or an "id" (Meta media id) or a "link"',
        'template seasonal_promo (en_US): button 0 (URL) needs its URL suffix: { "type": "button", "sub_type": "url", "index": "0", "parameters": [{ "type": "text", ... }] }',
      ]);
      expect(
        await problemsOf({
          name: 'seasonal_promo',
          language: 'en_US',
          components: [
            { type: 'header', parameters: [{ type: 'image', image: { link: 'ftp://example.com/a.jpg' } }] },
            ...bodyParams('Ada', 'summer', '20%'),
            { type: 'button', sub_type: 'quick_reply', index: '0', parameters: [{ type: 'payload', payload: 'x' }] },
          ],
        }),
      ).toEqual([
        'template seasonal_promo (en_US): header image "link" must be an http(s) URL',
        'template seasonal_promo (en_US): button 0 is URL; its sub_type must be "url"',
        'template seasonal_promo (en_US): button 0 (URL) takes a "text" parameter, not "payload"',
      ]);
      expect(await problemsOf({ name: 'login_code', language: 'en_US', components: bodyParams('123456') })).toEqual([
        'template login_code (en_US): button 0 (OTP) needs its URL suffix: { "type": "button", "sub_type": "url", "index": "0", "parameters": [{ "type": "text", ... }] }',
      ]);
      expect(await db().collection('message_logs').countDocuments()).toBe(logsBefore);

      // Right, it is accepted and carries its category and language to the ledger.
      const accepted = await send({
        name: 'seasonal_promo',
        language: 'en_US',
        components: [
          { type: 'header', parameters: [{ type: 'image', image: { link: 'https://example.com/sale.jpg' } }] },
          ...bodyParams('Ada', 'summer', '20%'),
          { type: 'button', sub_type: 'url', index: '0', parameters: [{ type: 'text', text: 'summer' }] },
        ],
      }).expect(202);
      expect(await db().collection('message_logs').findOne({ message_uid: accepted.body.data.message_uid })).toMatchObject({
        template_name: 'seasonal_promo',
        template_language: 'en_US',
        template_category: 'MARKETING',
      });
    });

    it('refuses a template that is not APPROVED, and syncs once for a name the catalogue does not hold', async () => {
      const paused = await templateNamed(alice.session, 'hello_world');
      await t.http.post(`/templates/${paused._id}/sandbox-status`).set(alice.auth).set(alice.session).send({ status: 'PAUSED' }).expect(200);
      expect(await problemsOf({ name: 'hello_world', language: 'en_US' })).toEqual(['template hello_world (en_US) is PAUSED; only APPROVED templates can be sent']);
      await t.http.post(`/templates/${paused._id}/sandbox-status`).set(alice.auth).set(alice.session).send({ status: 'APPROVED' }).expect(200);
      await send({ name: 'hello_world', language: 'en_US' }).expect(202);

      // Created in Meta's tools after the last sync: the send finds it by syncing once.
      fake.templates.get(WABA_ID)?.push(approved('1407680676729950', 'fresh_notice', [body('Something new.')]));
      await send({ name: 'fresh_notice', language: 'en_US' }, cloud).expect(202);
      expect(await problemsOf({ name: 'never_made', language: 'en_US' }, cloud)).toEqual([
        `template never_made (en_US) does not exist in the catalogue of WhatsApp Business Account ${WABA_ID} (synced just now)`,
      ]);
    });

    it("checks a broadcast's template for every recipient once their {{variables}} are filled in, writing nothing on a mismatch", async () => {
      const [ada, ben, cy] = nextNumbers(3);
      const template = { name: 'order_update', language: 'en_US', components: [{ type: 'body', parameters: [{ type: 'text', text: '{{name}}' }, { type: 'text', text: '{{order|unknown}}' }] }] };
      const before = await db().collection('broadcasts').countDocuments();
      const refused = await t.http
        .post('/broadcast')
        .set(alice.auth)
        .set(alice.session)
        .send({ send_type: 'individual', to: [{ number: ada, variables: { name: 'Ada' } }, { number: ben, variables: { name: 'Ben\tB' } }, { number: cy, variables: { name: 'Cy\tC' } }], message: {}, template })
        .expect(400);
      expect(refused.body.errors).toEqual([
        `template order_update (en_US): body parameter {{1}} must not hold new lines, tabs or more than 4 spaces in a row for 2 recipient(s): ${ben}, ${cy}`,
      ]);
      expect(await db().collection('broadcasts').countDocuments()).toBe(before);
      const created = await t.http
        .post('/broadcast')
        .set(alice.auth)
        .set(alice.session)
        .send({ send_type: 'individual', to: [{ number: ada, variables: { name: 'Ada' } }], message: {}, template })
        .expect(201);
      expect(created.body.data.message.template).toMatchObject({ name: 'order_update', category: 'UTILITY' });
    });
  });

  describe('a template that stops being sendable stops its broadcasts', () => {
    const components = [{ type: 'body', parameters: [{ type: 'text', text: 'Ada' }, { type: 'text', text: '#1042' }] }];
    const startBroadcast = async (recipients: string[], session = cloud) =>
      (
        await t.http
          .post('/broadcast')
          .set(alice.auth)
          .set(session)
          .send({ send_type: 'individual', to: recipients.join(','), message: {}, template: { name: 'order_update', language: 'en_US', components } })
          .expect(201)
      ).body.data._id as string;
    const sentTo = (recipients: string[]) => fake.accepted.filter(({ to }) => recipients.includes(to)).map(({ to }) => to);

    it('pauses on a PAUSED webhook (paused_reason template_paused, an event) and resumes on APPROVED, sending each recipient exactly once', async () => {
      const recipients = nextNumbers(40);
      const id = await startBroadcast(recipients);
      await eventually(async () => sentTo(recipients).length >= 3, 'the first messages to go out');
      await postWebhook(statusWebhook(orderUpdate, 'PAUSED')).expect(200);

      const paused = await broadcastOf(id);
      expect(paused).toMatchObject({ status: 'paused', paused_reason: 'template_paused' });
      expect((await templateNamed(cloud, 'order_update')).status).toBe('PAUSED');
      // Messages already past their last check finish; nothing more goes out while paused.
      const settled = await pollUntil(async () => (await broadcastOf(id)).counts, (counts) => counts.sent + counts.failed === sentTo(recipients).length, 5000);
      expect(settled.pending).toBeGreaterThan(0);
      const whilePaused = sentTo(recipients).length;
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(sentTo(recipients).length).toBe(whilePaused);
      await t.http.post('/v1/messages').set(alice.auth).set(cloud).send({ to: nextNumbers(1)[0], template: { name: 'order_update', language: 'en_US', components } }).expect(400);

      await postWebhook(statusWebhook(orderUpdate, 'APPROVED')).expect(200);
      const done = await pollUntil(() => broadcastOf(id), (broadcast) => broadcast.status === 'completed', 20_000);
      expect(done).toMatchObject({ status: 'completed', paused_reason: null, failed: [] });
      expect([...done.sent].sort()).toEqual([...recipients].sort());
      expect(sentTo(recipients).sort()).toEqual([...recipients].sort());

      const events = receiver.to('/alice').map((delivery) => JSON.parse(delivery.body) as { type: string; data: Record<string, { id?: string; status?: string }> });
      await eventually(async () => receiver.to('/alice').some((delivery) => delivery.body.includes('broadcast.resumed')), 'the broadcast.resumed event');
      expect(events.filter((event) => event.type === 'broadcast.paused').map((event) => event.data.broadcast.id)).toContain(id);
      expect(events.some((event) => event.type === 'template.status_changed' && event.data.template.status === 'PAUSED')).toBe(true);
    });

    it('fails the pending recipients with a named reason when the template is DISABLED (its third pause)', async () => {
      const recipients = nextNumbers(30);
      const id = await startBroadcast(recipients);
      await eventually(async () => sentTo(recipients).length >= 2, 'the first messages to go out');
      await postWebhook(statusWebhook(orderUpdate, 'PAUSED')).expect(200);
      expect((await broadcastOf(id)).status).toBe('paused');
      await pollUntil(async () => (await broadcastOf(id)).counts, (counts) => counts.sent + counts.failed === sentTo(recipients).length, 5000);
      await postWebhook(statusWebhook(orderUpdate, 'DISABLED')).expect(200);
      const ended = await pollUntil(() => broadcastOf(id), (broadcast) => broadcast.status === 'completed_with_errors' && broadcast.pending.length === 0, 20_000);
      expect(ended.status).toBe('completed_with_errors');
      expect(ended.sent.length + ended.failed.length).toBe(30);
      expect(ended.paused_reason).toBeNull();
      expect(new Set([...ended.sent, ...ended.failed]).size).toBe(30);
      expect(ended.failed.length).toBeGreaterThan(0);
      expect(ended.failures.find((failure: { recipient: string }) => failure.recipient === ended.failed[0])).toMatchObject({
        code: 'template_disabled',
        message: 'Template order_update (en_US) was disabled by WhatsApp (paused for low quality too often); it can no longer be sent',
      });
      expect(sentTo(recipients).length).toBe(ended.sent.length);
      // Back to APPROVED for the next test (Meta would not, but the catalogue follows its webhooks).
      await postWebhook(statusWebhook(orderUpdate, 'APPROVED')).expect(200);
    });

    it('pauses the broadcast when a send is refused with 132015, the message failing permanently with its name', async () => {
      const recipients = nextNumbers(20);
      fake.script('messages', graphError(132015, 'Template is Paused', 400, 'The template has been paused due to low quality.'));
      const id = await startBroadcast(recipients);
      const paused = await pollUntil(() => broadcastOf(id), (broadcast) => broadcast.status === 'paused' && broadcast.failed.length === 1, 10_000);
      expect(paused).toMatchObject({ status: 'paused', paused_reason: 'template_paused' });
      expect(paused.failures).toEqual([
        expect.objectContaining({ code: '132015', message: 'Template is paused for low quality: Template is Paused: The template has been paused due to low quality.' }),
      ]);
      expect((await templateNamed(cloud, 'order_update')).status).toBe('PAUSED');
      expect(paused.pending.length).toBeGreaterThan(0);

      await postWebhook(statusWebhook(orderUpdate, 'APPROVED')).expect(200);
      const done = await pollUntil(() => broadcastOf(id), (broadcast) => broadcast.status === 'completed_with_errors', 20_000);
      expect(done.failed).toHaveLength(1);
      expect(done.sent).toHaveLength(19);
      expect(new Set(sentTo(recipients)).size).toBe(sentTo(recipients).length);
    });

    it('applies quality and category updates, and refuses a template webhook no session of the account signed', async () => {
      await postWebhook(
        templateWebhook(WABA_ID, 'message_template_quality_update', { previous_quality_score: 'GREEN', new_quality_score: 'YELLOW', message_template_id: Number(promo.id), message_template_name: promo.name, message_template_language: 'en_US' }, APP_SECRET),
      ).expect(200);
      await postWebhook(
        templateWebhook(WABA_ID, 'template_category_update', { previous_category: 'MARKETING', new_category: 'UTILITY', message_template_id: Number(promo.id), message_template_name: promo.name, message_template_language: 'en_US' }, APP_SECRET),
      ).expect(200);
      expect(await templateNamed(cloud, 'spring_promo')).toMatchObject({ quality_score: 'YELLOW', category: 'UTILITY', previous_category: 'MARKETING' });
      await postWebhook(templateWebhook(WABA_ID, 'message_template_status_update', { event: 'PAUSED', message_template_id: Number(promo.id) }, 'not-the-secret')).expect(401);
      expect((await templateNamed(cloud, 'spring_promo')).status).toBe('APPROVED');
    });
  });
});
