import { getConnectionToken } from '@nestjs/mongoose';
import type { Connection } from 'mongoose';
import { SANDBOX_ECHO_SUFFIX, SANDBOX_OPT_OUT_SUFFIX, signWebhookBody } from '@app/whatsapp';
import { TenancyService } from '../src/auth/tenancy.service';
import { ProviderRegistry } from '../src/sending/provider-registry';
import { cloudMessagesWebhook, cloudTextMessage, FakeCloudApi } from './support/fake-cloud-api';
import { createTenant, TestTenant } from './support/factories';
import * as samples from './support/media-samples';
import { describeWithMongo } from './support/mongo';
import { eventually } from './support/polling';
import { createTestApp, TestApp } from './support/test-app';

const PHONE_NUMBER_ID = '106540352242999';
const ACCESS_TOKEN = 'EAAG-inbound-test-token';
const APP_SECRET = 'inbound-app-secret';

describeWithMongo('Two-way messaging: inbound messages, opt-outs, the 24-hour window (e2e, fake Cloud API)', () => {
  let fake: FakeCloudApi;
  let t: TestApp;
  let tenant: TestTenant;
  let cloudSession: { 'X-Session-Id': string; 'X-Access-Token': string };
  let cloudSessionId: string;
  let numbers = 0;
  const nextNumber = () => `23481700${String(numbers++).padStart(3, '0')}45`;
  let wamids = 0;
  const nextWamid = () => `wamid.in.${Date.now()}.${wamids++}`;

  const db = () => t.app.get<Connection>(getConnectionToken());
  const inboundEntries = (from: string) => db().collection('message_logs').find({ recipient: from, direction: 'inbound' }).toArray();
  const contactOf = (phone: string) => db().collection('contacts').findOne({ phone });

  /** A Cloud API webhook carrying customers' messages to the session's number (signed by postSigned). */
  const messagesWebhook = (messages: unknown[], contacts: unknown[] = []): Buffer => cloudMessagesWebhook(PHONE_NUMBER_ID, messages, contacts);

  const postSigned = (raw: Buffer) =>
    t.http.post('/webhooks/whatsapp').set('Content-Type', 'application/json').set('X-Hub-Signature-256', signWebhookBody(raw, APP_SECRET)).send(raw.toString('utf8'));

  const textMessage = (from: string, body: string, id = nextWamid()) => cloudTextMessage(from, id, body);

  async function sendApiMessage(session: Record<string, string>, body: Record<string, unknown>): Promise<string> {
    const response = await t.http.post('/v1/messages').set(tenant.auth).set(session).send(body).expect(202);
    return response.body.data.message_uid as string;
  }

  const finished = (uid: string) =>
    eventually(async () => {
      const entry = await db().collection('message_logs').findOne({ message_uid: uid });
      return entry && !['queued', 'sending'].includes(entry.status as string) ? entry : null;
    }, `message ${uid} to finish`);

  beforeAll(async () => {
    fake = await FakeCloudApi.start({ accessToken: ACCESS_TOKEN });
    t = await createTestApp({ env: { CLOUD_API_BASE_URL: fake.baseUrl, CLOUD_API_TIMEOUT_MS: '2000', SEND_ATTEMPTS: '2', ATTACHMENT_MAX_BYTES: String(64 * 1024) } });
    tenant = await createTenant(t.app, { name: 'Two-way client' });
    const session = await t.app.get(TenancyService).createSession({
      clientId: tenant.clientId,
      name: 'Cloud line',
      provider: 'cloud-api',
      phoneNumber: '15550783882',
      credentials: { phone_number_id: PHONE_NUMBER_ID, access_token: ACCESS_TOKEN, app_secret: APP_SECRET, verify_token: 'verify-inbound' },
    });
    cloudSessionId = session.session_id;
    cloudSession = { 'X-Session-Id': session.session_id, 'X-Access-Token': session.access_token };
  });
  afterAll(async () => {
    await t.close();
    await fake.close();
  });
  beforeEach(() => fake.clearRequests());

  describe('inbound messages', () => {
    it('records a text as an inbound ledger entry and creates the contact with the profile name', async () => {
      const from = nextNumber();
      const message = textMessage(from, 'Hello, is my order on its way?');
      const response = await postSigned(messagesWebhook([message], [{ wa_id: from, profile: { name: 'Ada Obi' } }])).expect(200);
      expect(response.body.data).toEqual({ updates: 0, messages: 1 });

      const [entry] = await inboundEntries(from);
      expect(entry).toMatchObject({
        direction: 'inbound',
        source: 'inbound',
        status: 'received',
        recipient: from,
        provider_message_ids: [message.id],
        message: { text: 'Hello, is my order on its way?', attachments: [] },
        inbound: { type: 'text', profile_name: 'Ada Obi', media: null },
      });
      expect(entry.session_id.toHexString()).toBe(cloudSessionId);
      const contact = await contactOf(from);
      expect(contact).toMatchObject({ name: 'Ada Obi', profile_name: 'Ada Obi', opted_out: false });
      expect(contact!.last_inbound_at).toBeInstanceOf(Date);
      expect(entry.contact.contact_id.toHexString()).toBe(contact!._id.toHexString());
    });

    it('keeps one entry when the same wamid is delivered twice (webhooks are at least once)', async () => {
      const from = nextNumber();
      const raw = messagesWebhook([textMessage(from, 'only once')]);
      expect((await postSigned(raw).expect(200)).body.data).toEqual({ updates: 0, messages: 1 });
      expect((await postSigned(raw).expect(200)).body.data).toEqual({ updates: 0, messages: 0 });
      await Promise.all([postSigned(raw), postSigned(raw), postSigned(raw)]);
      expect(await inboundEntries(from)).toHaveLength(1);
    });

    it('maps location, contacts, button and list replies and reactions', async () => {
      const from = nextNumber();
      const at = String(Math.floor(Date.now() / 1000));
      await postSigned(
        messagesWebhook([
          { from, id: nextWamid(), timestamp: at, type: 'location', location: { latitude: 6.45, longitude: 3.39, name: 'Office', address: 'Lagos' } },
          { from, id: nextWamid(), timestamp: at, type: 'contacts', contacts: [{ name: { formatted_name: 'Bola' }, phones: [{ phone: '+2348000000001' }] }] },
          { from, id: nextWamid(), timestamp: at, type: 'interactive', interactive: { type: 'button_reply', button_reply: { id: 'yes', title: 'Yes please' } } },
          { from, id: nextWamid(), timestamp: at, type: 'interactive', interactive: { type: 'list_reply', list_reply: { id: 'l2', title: 'Tuesday' } } },
          { from, id: nextWamid(), timestamp: at, type: 'reaction', reaction: { message_id: 'wamid.ours', emoji: '👍' } },
        ]),
      ).expect(200);
      const entries = await inboundEntries(from);
      const byType = (type: string) => entries.filter((entry) => entry.inbound.type === type);
      expect(byType('location')[0].message.location).toEqual({ lat: 6.45, lng: 3.39, name: 'Office', address: 'Lagos' });
      expect(byType('contacts')[0].inbound.contacts).toEqual([{ name: { formatted_name: 'Bola' }, phones: [{ phone: '+2348000000001' }] }]);
      expect(byType('interactive').map((entry) => [entry.message.text, entry.inbound.reply])).toEqual(
        expect.arrayContaining([
          ['Yes please', { kind: 'button', id: 'yes', title: 'Yes please' }],
          ['Tuesday', { kind: 'list', id: 'l2', title: 'Tuesday' }],
        ]),
      );
      expect(byType('reaction')[0].inbound.reaction).toEqual({ message_id: 'wamid.ours', emoji: '👍' });
    });

    it('fetches a media file from the Graph API into an attachment the client can download', async () => {
      const from = nextNumber();
      fake.addCustomerMedia('media-photo-1', samples.png(), 'image/png');
      await postSigned(
        messagesWebhook([{ from, id: nextWamid(), timestamp: String(Math.floor(Date.now() / 1000)), type: 'image', image: { id: 'media-photo-1', mime_type: 'image/png', caption: 'the parcel' } }]),
      ).expect(200);
      const entry = await eventually(async () => {
        const [found] = await inboundEntries(from);
        return found?.inbound.media.status === 'stored' ? found : null;
      }, 'the media to be stored');
      expect(entry.message.text).toBe('the parcel');
      expect(entry.message.attachments).toHaveLength(1);
      const attachmentId = entry.message.attachments[0].toHexString();
      const download = await t.http.get(`/attachment/${attachmentId}/download`).set(tenant.auth).buffer(true).expect(200);
      expect(Buffer.compare(download.body as Buffer, samples.png())).toBe(0);
      const [lookup] = fake.requests.filter((request) => request.path.endsWith('/media-photo-1'));
      expect(lookup.headers.authorization).toBe(`Bearer ${ACCESS_TOKEN}`);
    });

    it('records why a media file could not be kept (too large for its class), and keeps the message', async () => {
      const from = nextNumber();
      fake.addCustomerMedia('media-big-1', Buffer.concat([samples.png(), Buffer.alloc(128 * 1024)]), 'image/png');
      await postSigned(
        messagesWebhook([{ from, id: nextWamid(), timestamp: String(Math.floor(Date.now() / 1000)), type: 'image', image: { id: 'media-big-1', mime_type: 'image/png' } }]),
      ).expect(200);
      const entry = await eventually(async () => {
        const [found] = await inboundEntries(from);
        return found?.inbound.media.status === 'failed' ? found : null;
      }, 'the media to fail');
      expect(entry.inbound.media.error).toMatch(/at most 64 KB/);
      expect(entry.message.attachments).toEqual([]);
    });

    it('refuses messages whose signature does not verify, writing nothing', async () => {
      const from = nextNumber();
      const raw = messagesWebhook([textMessage(from, 'forged')]);
      await t.http.post('/webhooks/whatsapp').set('Content-Type', 'application/json').set('X-Hub-Signature-256', signWebhookBody(raw, 'guess')).send(raw.toString()).expect(401);
      expect(await inboundEntries(from)).toEqual([]);
      expect(await contactOf(from)).toBeNull();
    });
  });

  describe('opt-out', () => {
    it('STOP opts the number out: a broadcast fails it with opted_out and no provider call; START opts back in', async () => {
      const number = nextNumber();
      await postSigned(messagesWebhook([textMessage(number, '  stop ')])).expect(200);
      expect(await contactOf(number)).toMatchObject({ opted_out: true });

      const created = await t.http
        .post('/broadcast')
        .set(tenant.auth)
        .set(tenant.session)
        .send({ send_type: 'individual', to: number, message: { text: 'Weekend sale' } })
        .expect(201);
      const broadcastId = created.body.data._id as string;
      const done = await eventually(async () => {
        const { body } = await t.http.get(`/broadcast/${broadcastId}`).set(tenant.auth).expect(200);
        return body.data.status !== 'sending' ? body.data : null;
      }, 'the broadcast to finish');
      expect(done).toMatchObject({ status: 'failed', failed: [number], sent: [], pending: [] });
      expect(done.failures).toEqual([expect.objectContaining({ recipient: number, code: 'opted_out' })]);
      const sandbox = t.app.get(ProviderRegistry).sandbox;
      expect(sandbox.sendCount(`${broadcastId}:${number}:0`)).toBe(0);

      // A later START (the message is newer) opts back in; an old STOP delivered late changes nothing.
      await postSigned(messagesWebhook([textMessage(number, 'START')])).expect(200);
      const stale = { ...textMessage(number, 'STOP'), timestamp: String(Math.floor(Date.now() / 1000) - 3600) };
      await postSigned(messagesWebhook([stale])).expect(200);
      expect(await contactOf(number)).toMatchObject({ opted_out: false, opted_out_at: null });
      const again = await sendApiMessage(tenant.session, { to: number, message: { text: 'Welcome back' } });
      expect((await finished(again)).status).not.toBe('failed');
    });

    it('a single message to an opted-out number fails at once with opted_out', async () => {
      const number = nextNumber();
      await postSigned(messagesWebhook([textMessage(number, 'Unsubscribe')])).expect(200);
      const uid = await sendApiMessage(tenant.session, { to: number, message: { text: 'Hello?' } });
      const entry = await finished(uid);
      expect(entry).toMatchObject({ status: 'failed', error: { code: 'opted_out' }, provider_message_ids: [] });

      // The client may opt the number back in (or out) through the contacts API.
      const contact = await contactOf(number);
      const patched = await t.http.patch(`/contacts/${contact!._id.toHexString()}`).set(tenant.auth).send({ opted_out: false }).expect(200);
      expect(patched.body.data).toMatchObject({ opted_out: false, opted_out_at: null });
      await t.http.patch(`/contacts/${contact!._id.toHexString()}`).set(tenant.auth).send({ opted_out: 'no' }).expect(400);
      const again = await sendApiMessage(tenant.session, { to: number, message: { text: 'Hello again' } });
      expect((await finished(again)).status).not.toBe('failed');
    });

    it('a keyword inside a sentence is not an opt-out', async () => {
      const number = nextNumber();
      await postSigned(messagesWebhook([textMessage(number, 'please do not stop')])).expect(200);
      expect(await contactOf(number)).toMatchObject({ opted_out: false });
    });
  });

  describe('24-hour customer-service window (cloud-api session)', () => {
    it('refuses free-form to a number that never wrote, without calling the Cloud API; a template goes through', async () => {
      const number = nextNumber();
      const freeForm = await sendApiMessage(cloudSession, { to: number, message: { text: 'Hi there' } });
      expect(await finished(freeForm)).toMatchObject({ status: 'failed', error: { code: 'outside_customer_service_window' } });
      expect(fake.requestsTo('messages')).toEqual([]);

      const template = await sendApiMessage(cloudSession, { to: number, template: { name: 'order_update', language: 'en' } });
      expect((await finished(template)).status).toBe('sent');
      expect(fake.requestsTo('messages')).toHaveLength(1);
    });

    it('lets free-form through once the number has written to the session', async () => {
      const number = nextNumber();
      await postSigned(messagesWebhook([textMessage(number, 'Hi, question about my bill')])).expect(200);
      const uid = await sendApiMessage(cloudSession, { to: number, message: { text: 'Happy to help' } });
      expect((await finished(uid)).status).toBe('sent');
      expect(fake.requestsTo('messages')).toHaveLength(1);
    });

    it('treats a message written more than 24 hours ago as outside the window', async () => {
      const number = nextNumber();
      const old = { ...textMessage(number, 'old news'), timestamp: String(Math.floor(Date.now() / 1000) - 25 * 3600) };
      await postSigned(messagesWebhook([old])).expect(200);
      const uid = await sendApiMessage(cloudSession, { to: number, message: { text: 'Sorry for the delay' } });
      expect(await finished(uid)).toMatchObject({ status: 'failed', error: { code: 'outside_customer_service_window' } });
    });

    it('the sandbox enforces the window when its session is configured to', async () => {
      const created = await t.http.post('/sessions').set(tenant.auth).send({ name: 'Strict sandbox', provider: 'sandbox', enforce_service_window: true }).expect(201);
      const strict = { 'X-Session-Id': created.body.data.session_id as string, 'X-Access-Token': created.body.data.access_token as string };
      const listed = await t.http.get(`/sessions/${strict['X-Session-Id']}`).set(tenant.auth).expect(200);
      expect(listed.body.data.enforce_service_window).toBe(true);
      const uid = await sendApiMessage(strict, { to: nextNumber(), message: { text: 'Hello' } });
      expect(await finished(uid)).toMatchObject({ status: 'failed', error: { code: 'outside_customer_service_window' } });
    });
  });

  describe('sandbox replies', () => {
    it(`a number ending in ${SANDBOX_ECHO_SUFFIX} echoes, through the inbound path`, async () => {
      const number = `234817009${SANDBOX_ECHO_SUFFIX}`;
      await sendApiMessage(tenant.session, { to: number, message: { text: 'ping' } });
      const [reply] = await eventually(async () => {
        const entries = await inboundEntries(number);
        return entries.length > 0 ? entries : null;
      }, 'the echo');
      expect(reply).toMatchObject({ message: { text: 'Echo: ping' }, status: 'received' });
      expect(reply.session_id.toHexString()).toBe(tenant.sessionId);
    });

    it(`a number ending in ${SANDBOX_OPT_OUT_SUFFIX} answers STOP and is opted out`, async () => {
      const number = `234817009${SANDBOX_OPT_OUT_SUFFIX}`;
      await sendApiMessage(tenant.session, { to: number, message: { text: 'promo' } });
      await eventually(async () => (await contactOf(number))?.opted_out === true, 'the opt-out');
    });
  });

  describe('seed 003 shows the conversation; seed 000 only what was sent', () => {
    it('lists inbound and outbound newest first, with sender and contact', async () => {
      const number = nextNumber();
      await postSigned(messagesWebhook([textMessage(number, 'Hi!')], [{ wa_id: number, profile: { name: 'Chidi' } }])).expect(200);
      const uid = await sendApiMessage(cloudSession, { to: number, message: { text: 'Hello Chidi' } });
      await finished(uid);
      const { body } = await t.http.get(`/v1/contacts/${number}/messages`).set(tenant.auth).expect(200);
      expect(body.data.map((message: { text: string; direction: string }) => [message.direction, message.text])).toEqual([
        ['outbound', 'Hello Chidi'],
        ['inbound', 'Hi!'],
      ]);
      const [outbound, inbound] = body.data;
      expect(inbound.status).toBe('received');
      expect(inbound.senderId).toBe(inbound.contact.id);
      expect(inbound.contact).toMatchObject({ fullName: 'Chidi', phoneNumber: `+${number}` });
      expect(inbound.user).toMatchObject({ id: cloudSessionId, name: 'Cloud line' });
      expect(outbound.senderId).toBeNull();
      expect(outbound.user).toMatchObject({ id: cloudSessionId });

      const seed000 = await t.http.get('/message-log?type=all&limit=100').set(tenant.auth).expect(200);
      expect(seed000.body.data.every((entry: { direction?: string }) => entry.direction !== 'inbound')).toBe(true);
      const inboundId = inbound.id as string;
      await t.http.get(`/message-log/${inboundId}`).set(tenant.auth).expect(404);
    });
  });
});
