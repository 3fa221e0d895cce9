import { getConnectionToken } from '@nestjs/mongoose';
import type { Connection } from 'mongoose';
import { signWebhookBody } from '@app/whatsapp';
import { TenancyService } from '../src/auth/tenancy.service';
import { FakeCloudApi, graphError } from './support/fake-cloud-api';
import { createTenant, TestTenant } from './support/factories';
import * as samples from './support/media-samples';
import { describeWithMongo } from './support/mongo';
import { createTestApp, TestApp } from './support/test-app';
import { eventually } from './support/polling';

const PHONE_NUMBER_ID = '106540352242922';
const ACCESS_TOKEN = 'EAAG-cloud-api-test-token';
const APP_SECRET = 'meta-app-secret';
const VERIFY_TOKEN = 'verify-me-please';

describeWithMongo('Cloud API delivery: sends, retries, webhooks (e2e, fake Cloud API)', () => {
  let fake: FakeCloudApi;
  let t: TestApp;
  let tenant: TestTenant;
  /** Headers selecting the tenant's cloud-api session. */
  let cloudSession: { 'X-Session-Id': string; 'X-Access-Token': string };
  let recipients = 0;
  // A fresh recipient per message: the test MongoDB ignores partial unique indexes (a real server does not).
  const nextRecipient = () => `23481798038${String(recipients++).padStart(2, '0')}`;

  const db = () => t.app.get<Connection>(getConnectionToken());
  const messageLog = (uid: string) => db().collection('message_logs').findOne({ message_uid: uid });
  const whatsappLogs = (messageLogId: unknown) => db().collection('whatsapp_logs').find({ messageLogId }).sort({ createdAt: 1 }).toArray();

  async function sendApiMessage(body: Record<string, unknown>): Promise<string> {
    const response = await t.http.post('/v1/messages').set(tenant.auth).set(cloudSession).send(body).expect(202);
    return response.body.data.message_uid as string;
  }

  async function settled(uid: string, status: string) {
    return eventually(async () => {
      const entry = await messageLog(uid);
      return entry?.status === status ? entry : null;
    }, `message ${uid} to be ${status}`);
  }

  function statusWebhook(statuses: unknown[], phoneNumberId = PHONE_NUMBER_ID): Buffer {
    return Buffer.from(
      JSON.stringify({
        object: 'whatsapp_business_account',
        entry: [
          {
            id: '102290129340398',
            changes: [
              {
                field: 'messages',
                value: { messaging_product: 'whatsapp', metadata: { display_phone_number: '15550783881', phone_number_id: phoneNumberId }, statuses },
              },
            ],
          },
        ],
      }),
    );
  }

  const postWebhook = (raw: Buffer, signature?: string) => {
    const request = t.http.post('/webhooks/whatsapp').set('Content-Type', 'application/json');
    if (signature !== undefined) request.set('X-Hub-Signature-256', signature);
    return request.send(raw.toString('utf8'));
  };

  beforeAll(async () => {
    fake = await FakeCloudApi.start({ accessToken: ACCESS_TOKEN });
    t = await createTestApp({
      env: {
        CLOUD_API_BASE_URL: fake.baseUrl,
        CLOUD_API_TIMEOUT_MS: '1000',
        SEND_ATTEMPTS: '3',
        SEND_BACKOFF_MS: '50',
        CLOUD_API_PRICES_USD_CENTS: 'marketing=6.04,utility=0.77',
      },
    });
    tenant = await createTenant(t.app, { name: 'Cloud client' });
    const session = await t.app.get(TenancyService).createSession({
      clientId: tenant.clientId,
      name: 'Cloud API line',
      provider: 'cloud-api',
      phoneNumber: '15550783881',
      credentials: { phone_number_id: PHONE_NUMBER_ID, access_token: ACCESS_TOKEN, app_secret: APP_SECRET, verify_token: VERIFY_TOKEN },
      // These suites send free-form messages to numbers that never wrote: the 24-hour window is tested in inbound-messaging.
      enforceServiceWindow: false,
    });
    cloudSession = { 'X-Session-Id': session.session_id, 'X-Access-Token': session.access_token };
  });
  afterAll(async () => {
    await t.close();
    await fake.close();
  });
  // Ids keep counting across tests: provider message ids must stay unique in the ledger.
  beforeEach(() => fake.clearRequests());

  describe('sessions', () => {
    it('needs all four Cloud API credentials, never returns them, and gives each phone_number_id one session', async () => {
      const missing = await t.http
        .post('/sessions')
        .set(tenant.auth)
        .send({ name: 'Half set up', provider: 'cloud-api', credentials: { phone_number_id: '555', access_token: 'EAAG-half' } })
        .expect(400);
      expect(missing.body.errors).toEqual([
        'credentials.app_secret is required for a cloud-api session',
        'credentials.verify_token is required for a cloud-api session',
      ]);

      const credentials = { phone_number_id: PHONE_NUMBER_ID, access_token: 'EAAG-second', app_secret: 's', verify_token: 'v' };
      const duplicate = await t.http.post('/sessions').set(tenant.auth).send({ name: 'Same number', provider: 'cloud-api', credentials }).expect(409);
      expect(duplicate.body.message).toBe(`Another session already sends from cloud-api account ${PHONE_NUMBER_ID}`);

      const listed = await t.http.get('/sessions').set(tenant.auth).expect(200);
      expect(JSON.stringify(listed.body)).not.toMatch(new RegExp(`${ACCESS_TOKEN}|${APP_SECRET}|${VERIFY_TOKEN}`));
    });
  });

  describe('sending', () => {
    it('sends a text through the Cloud API and records the wamid on both logs', async () => {
      const to = nextRecipient();
      const uid = await sendApiMessage({ to, message: { text: 'Your order has shipped' } });
      const entry = await settled(uid, 'sent');

      const [request] = fake.requestsTo('messages');
      expect(request.path).toBe(`/v21.0/${PHONE_NUMBER_ID}/messages`);
      expect(request.headers.authorization).toBe(`Bearer ${ACCESS_TOKEN}`);
      expect(request.json).toMatchObject({ messaging_product: 'whatsapp', to, type: 'text', text: { body: 'Your order has shipped' } });
      expect(entry.provider_message_ids).toEqual([expect.stringMatching(/^wamid\./)]);
      expect(await whatsappLogs(entry._id)).toEqual([
        expect.objectContaining({ status: 'sent', whatsAppMessageId: entry.provider_message_ids[0], toNumber: to, fromNumber: '15550783881' }),
      ]);
    });

    it('sends a template with its language and components', async () => {
      const components = [{ type: 'body', parameters: [{ type: 'text', text: 'Ada' }] }];
      const uid = await sendApiMessage({ to: nextRecipient(), template: { name: 'order_update', language: 'en_US', components } });
      await settled(uid, 'sent');
      expect(fake.requestsTo('messages')[0].json).toMatchObject({
        type: 'template',
        template: { name: 'order_update', language: { code: 'en_US' }, components },
      });
    });

    it('uploads an attachment once and reuses its media id for later messages', async () => {
      const image = samples.png(8);
      const uploaded = await t.http.post('/attachment').set(tenant.auth).attach('file', image, 'menu.png').expect(201);
      const attachmentId = uploaded.body.data._id as string;

      const first = await sendApiMessage({ to: nextRecipient(), message: { text: 'Menu', attachments: [attachmentId] } });
      await settled(first, 'sent');
      const second = await sendApiMessage({ to: nextRecipient(), message: { attachments: [attachmentId] } });
      await settled(second, 'sent');

      const uploads = fake.requestsTo('media');
      expect(uploads).toHaveLength(1);
      expect(uploads[0].form?.files[0].data.equals(image)).toBe(true);
      const imageSends = fake.requestsTo('messages').filter((request) => request.json?.type === 'image');
      const mediaId = (imageSends[0].json?.image as { id: string }).id;
      // The text rides as the image's caption: one message each, not a text and then the image.
      expect(imageSends.map((request) => request.json?.image)).toEqual([{ id: mediaId, caption: 'Menu' }, { id: mediaId }]);
      expect(fake.requestsTo('messages').filter((request) => request.json?.type === 'text')).toEqual([]);
    });

    it('retries a throughput error (130429) and sends on the next attempt', async () => {
      fake.script('messages', graphError(130429, 'Rate limit hit', 400));
      const uid = await sendApiMessage({ to: nextRecipient(), message: { text: 'Busy hour' } });
      const entry = await settled(uid, 'sent');

      expect(fake.requestsTo('messages')).toHaveLength(2);
      expect(entry.attempts).toBe(2);
      const logs = await whatsappLogs(entry._id);
      expect(logs.map(({ status, errorCode }) => [status, errorCode])).toEqual([
        ['failed', '130429'],
        ['sent', null],
      ]);
    });

    it('fails a permanent error (131026) at once with the provider code and message', async () => {
      fake.script('messages', graphError(131026, 'Message undeliverable', 400, 'Receiver is incapable of receiving this message'));
      const uid = await sendApiMessage({ to: nextRecipient(), message: { text: 'Hello?' } });
      const entry = await settled(uid, 'failed');

      expect(fake.requestsTo('messages')).toHaveLength(1);
      expect(entry.error).toEqual({ code: '131026', message: 'Message undeliverable: Receiver is incapable of receiving this message' });
    });
  });

  describe('webhooks', () => {
    let uid: string;
    let wamid: string;

    beforeAll(async () => {
      uid = await sendApiMessage({ to: nextRecipient(), message: { text: 'Track me' } });
      wamid = (await settled(uid, 'sent')).provider_message_ids[0] as string;
    });

    it('answers the subscription handshake with the challenge, and 403 for a wrong verify token', async () => {
      const handshake = await t.http
        .get('/webhooks/whatsapp')
        .query({ 'hub.mode': 'subscribe', 'hub.verify_token': VERIFY_TOKEN, 'hub.challenge': '1158201444' })
        .expect(200);
      expect(handshake.text).toBe('1158201444');
      expect(handshake.headers['content-type']).toMatch(/^text\/plain/);
      await t.http
        .get('/webhooks/whatsapp')
        .query({ 'hub.mode': 'subscribe', 'hub.verify_token': 'guess', 'hub.challenge': '1158201444' })
        .expect(403);
      await t.http.get('/webhooks/whatsapp').query({ 'hub.mode': 'unsubscribe', 'hub.verify_token': VERIFY_TOKEN, 'hub.challenge': '1' }).expect(400);
    });

    it('refuses a missing or wrong signature with 401 and writes nothing', async () => {
      const raw = statusWebhook([{ id: wamid, status: 'read', timestamp: '1700000100', recipient_id: '1' }]);
      await postWebhook(raw).expect(401);
      await postWebhook(raw, signWebhookBody(raw, 'not-the-app-secret')).expect(401);
      // Signed correctly, but the bytes were changed afterwards.
      const tampered = Buffer.from(raw.toString().replace('read', 'sent'));
      await postWebhook(tampered, signWebhookBody(raw, APP_SECRET)).expect(401);
      expect((await messageLog(uid))?.status).toBe('sent');
    });

    it('moves the logs forward, never back, and fills the cost from the pricing', async () => {
      const delivered = statusWebhook([
        { id: wamid, status: 'delivered', timestamp: '1700000050', recipient_id: '1', pricing: { billable: true, pricing_model: 'PMP', category: 'utility' } },
      ]);
      const response = await postWebhook(delivered, signWebhookBody(delivered, APP_SECRET)).expect(200);
      expect(response.body).toEqual({ status: true, message: 'Webhook processed', data: { updates: 1, messages: 0 } });
      expect((await messageLog(uid))?.status).toBe('delivered');

      const read = statusWebhook([{ id: wamid, status: 'read', timestamp: '1700000100', recipient_id: '1' }]);
      await postWebhook(read, signWebhookBody(read, APP_SECRET)).expect(200);
      // Meta repeats and reorders deliveries: a late "delivered" or "sent" changes nothing.
      await postWebhook(delivered, signWebhookBody(delivered, APP_SECRET)).expect(200);
      const late = statusWebhook([{ id: wamid, status: 'sent', timestamp: '1700000010', recipient_id: '1' }]);
      await postWebhook(late, signWebhookBody(late, APP_SECRET)).expect(200);

      const entry = await messageLog(uid);
      expect(entry?.status).toBe('read');
      expect(entry?.status_times.readAt).toEqual(new Date(1700000100_000));
      const [log] = await whatsappLogs(entry?._id);
      expect(log).toMatchObject({ status: 'read', whatsAppCostInUSDCents: 0.77 });
    });

    it('records a failed delivery with the provider code, keeping statusMessage under 500 characters', async () => {
      const other = await sendApiMessage({ to: nextRecipient(), message: { text: 'Doomed' } });
      const otherWamid = (await settled(other, 'sent')).provider_message_ids[0] as string;
      const failed = statusWebhook([
        {
          id: otherWamid,
          status: 'failed',
          timestamp: '1700000200',
          recipient_id: '1',
          errors: [{ code: 131026, title: 'Message undeliverable', error_data: { details: 'x'.repeat(2000) } }],
        },
      ]);
      await postWebhook(failed, signWebhookBody(failed, APP_SECRET)).expect(200);

      const entry = await messageLog(other);
      expect(entry).toMatchObject({ status: 'failed', error: { code: '131026' } });
      const [log] = await whatsappLogs(entry?._id);
      expect(log).toMatchObject({ status: 'failed', errorCode: '131026' });
      expect(log.statusMessage.length).toBeLessThan(500);
    });
  });

  it('marks the session unhealthy on an expired token (190) and stops its sends with the reason', async () => {
    fake.script('messages', graphError(190, 'Error validating access token: Session has expired on Friday', 401));
    const uid = await sendApiMessage({ to: nextRecipient(), message: { text: 'After expiry' } });
    const entry = await settled(uid, 'failed');
    expect(entry.error).toMatchObject({ code: '190' });
    expect(fake.requestsTo('messages')).toHaveLength(1);

    const [session] = (await t.app.get(TenancyService).listSessions(tenant.clientId)).filter(({ provider }) => provider === 'cloud-api');
    expect(session).toMatchObject({ health: 'unhealthy', health_reason: expect.stringMatching(/access token/) });
    const refused = await t.http.post('/v1/messages').set(tenant.auth).set(cloudSession).send({ to: nextRecipient(), message: { text: 'x' } }).expect(409);
    expect(refused.body.message).toMatch(/cannot send: .*access token/);
    expect(fake.requestsTo('messages')).toHaveLength(1);
  });
});
