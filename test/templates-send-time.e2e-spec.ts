import { getConnectionToken } from '@nestjs/mongoose';
import type { Connection } from 'mongoose';
import { TenancyService } from '../src/auth/tenancy.service';
import { FakeCloudApi, FakeTemplate, graphError, templateWebhook } from './support/fake-cloud-api';
import { createTenant, TestTenant } from './support/factories';
import * as samples from './support/media-samples';
import { describeWithMongo } from './support/mongo';
import { eventually, pollUntil } from './support/polling';
import { createTestApp, TestApp } from './support/test-app';

const WABA_ID = '102290129340512';
const PHONE_NUMBER_ID = '106540352243001';
const ACCESS_TOKEN = 'EAAG-template-send-time-token';
const APP_SECRET = 'template-send-time-secret';

const body = (text: string) => ({ type: 'BODY', text });
const approved = (id: string, name: string, components: Array<Record<string, unknown>>): FakeTemplate => ({
  id,
  name,
  language: 'en_US',
  status: 'APPROVED',
  category: 'UTILITY',
  components,
  quality_score: { score: 'GREEN' },
});
const bodyParams = (...texts: string[]) => [{ type: 'body', parameters: texts.map((text) => ({ type: 'text', text })) }];

describeWithMongo('Templates at send time: header media by attachment, scheduled sends checked again, 132015 on a single message (e2e, fake Graph API)', () => {
  let fake: FakeCloudApi;
  let t: TestApp;
  let alice: TestTenant;
  let bob: TestTenant;
  let cloud: { 'X-Session-Id': string; 'X-Access-Token': string };
  let numbers = 0;
  const nextNumbers = (count: number) => Array.from({ length: count }, () => `2348032${String(numbers++).padStart(6, '0')}`);

  const promoImage = approved('1407680676730001', 'promo_image', [{ type: 'HEADER', format: 'IMAGE' }, body('Hi {{1}}, the sale starts today.')]);
  const reminder = approved('1407680676730002', 'payment_reminder', [body('Hi {{1}}, your payment is due.')]);
  const goodbye = approved('1407680676730003', 'goodbye_note', [body('Goodbye {{1}}.')]);
  const digest = approved('1407680676730004', 'weekly_digest', [body('Hi {{1}}, here is your week.')]);
  const farewell = approved('1407680676730005', 'farewell_offer', [body('Hi {{1}}, one last offer.')]);
  const shipping = approved('1407680676730006', 'shipping_notice', [body('Hi {{1}}, your parcel is on its way.')]);

  const db = () => t.app.get<Connection>(getConnectionToken());
  const postWebhook = ({ raw, signature }: { raw: Buffer; signature: string }) =>
    t.http.post('/webhooks/whatsapp').set('Content-Type', 'application/json').set('X-Hub-Signature-256', signature).send(raw.toString('utf8'));
  const statusWebhook = (template: FakeTemplate, event: string) =>
    templateWebhook(
      WABA_ID,
      'message_template_status_update',
      { event, message_template_id: Number(template.id), message_template_name: template.name, message_template_language: template.language, reason: 'NONE' },
      APP_SECRET,
    );
  const upload = async (tenant: TestTenant, bytes: Buffer, fileName: string) => (await t.http.post('/attachment').set(tenant.auth).attach('file', bytes, fileName).expect(201)).body.data._id as string;
  const messageOf = async (uid: string) => (await t.http.get(`/v1/messages/${uid}`).set(alice.auth).set(cloud).expect(200)).body.data;
  const broadcastOf = async (id: string) => (await t.http.get(`/broadcast/${id}`).set(alice.auth).expect(200)).body.data;
  const templateStatus = async (name: string) => (await t.http.get('/templates').query({ name }).set(alice.auth).set(cloud).expect(200)).body.data.find((one: { name: string }) => one.name === name)?.status as string | undefined;
  const sentTo = (recipients: string[]) => fake.accepted.filter(({ to }) => recipients.includes(to)).map(({ to }) => to);
  const inSeconds = (seconds: number) => new Date(Date.now() + seconds * 1000).toISOString();
  const sendTemplate = (to: string, name: string, extra: Record<string, unknown> = {}) =>
    t.http
      .post('/v1/messages')
      .set(alice.auth)
      .set(cloud)
      .send({ to, template: { name, language: 'en_US', components: bodyParams('Ada') }, ...extra });
  const scheduledBroadcast = async (recipients: string[], name: string, sendAt: string) =>
    (
      await t.http
        .post('/broadcast')
        .set(alice.auth)
        .set(cloud)
        .send({ send_type: 'individual', to: recipients.join(','), message: {}, template: { name, language: 'en_US', components: bodyParams('Ada') }, send_at: sendAt })
        .expect(201)
    ).body.data as { _id: string; status: string };

  beforeAll(async () => {
    fake = await FakeCloudApi.start({ accessToken: ACCESS_TOKEN, latencyMs: 5 });
    fake.templatePageSize = 10;
    fake.templates.set(WABA_ID, [promoImage, reminder, goodbye, digest, farewell, shipping]);
    t = await createTestApp({ env: { CLOUD_API_BASE_URL: fake.baseUrl, CLOUD_API_TIMEOUT_MS: '2000' } });
    alice = await createTenant(t.app, { name: 'Alice' });
    bob = await createTenant(t.app, { name: 'Bob' });
    const session = await t.app.get(TenancyService).createSession({
      clientId: alice.clientId,
      name: 'Cloud line',
      provider: 'cloud-api',
      phoneNumber: '15550783990',
      credentials: { phone_number_id: PHONE_NUMBER_ID, access_token: ACCESS_TOKEN, app_secret: APP_SECRET, verify_token: 'verify', waba_id: WABA_ID },
      // Slow enough that a broadcast is still sending when a single message's send is refused.
      rateLimitPerSecond: 8,
      enforceServiceWindow: false,
    });
    cloud = { 'X-Session-Id': session.session_id, 'X-Access-Token': session.access_token };
    await t.http.post('/templates/sync').set(alice.auth).set(cloud).expect(200);
  });
  afterAll(async () => {
    await t?.close();
    await fake?.close();
  });

  describe('a media header given by attachment id', () => {
    const withHeader = (image: Record<string, unknown>) => ({
      name: 'promo_image',
      language: 'en_US',
      components: [{ type: 'header', parameters: [{ type: 'image', image }] }, ...bodyParams('Ada')],
    });

    it("refuses an attachment that is not the client's or not of the header's kind, naming it, and writes nothing", async () => {
      const pdf = await upload(alice, samples.pdf(), 'terms.pdf');
      const bobsImage = await upload(bob, samples.png(4), 'bob.png');
      const image = await upload(alice, samples.png(2), 'sale.png');
      const before = await db().collection('message_logs').countDocuments();
      const problemsOf = async (header: Record<string, unknown>) =>
        (await t.http.post('/v1/messages').set(alice.auth).set(cloud).send({ to: nextNumbers(1)[0], template: withHeader(header) }).expect(400)).body.errors as string[];

      expect(await problemsOf({ attachment_id: pdf })).toEqual([`template promo_image (en_US): header image attachment_id ${pdf} is a document (application/pdf); the header takes an image`]);
      expect(await problemsOf({ attachment_id: bobsImage })).toEqual([`template promo_image (en_US): header image attachment_id ${bobsImage} is not one of your attachments`]);
      expect(await problemsOf({ attachment_id: image, link: 'https://example.com/sale.png' })).toEqual([
        'template promo_image (en_US): header image needs exactly one of "attachment_id" (an attachment of yours), "id" (uploaded media) or an http(s) "link"',
      ]);
      expect(await db().collection('message_logs').countDocuments()).toBe(before);
    });

    it('uploads the attachment to the Graph API as a media message does and sends its media id in the header; a broadcast reuses the upload', async () => {
      const bytes = samples.png(3);
      const image = await upload(alice, bytes, 'launch.png');
      const uploadsBefore = fake.requestsTo('media').length;
      const [single] = nextNumbers(1);
      const accepted = await t.http.post('/v1/messages').set(alice.auth).set(cloud).send({ to: single, template: withHeader({ attachment_id: image }) }).expect(202);
      await pollUntil(() => messageOf(accepted.body.data.message_uid), (message) => message.status !== 'queued' && message.status !== 'sending');
      expect((await messageOf(accepted.body.data.message_uid)).error).toBeNull();

      const uploads = fake.requestsTo('media').slice(uploadsBefore);
      expect(uploads).toHaveLength(1);
      expect(uploads[0].form?.files[0]).toMatchObject({ contentType: 'image/png' });
      expect(uploads[0].form?.files[0].data.equals(bytes)).toBe(true);
      const sent = fake.requestsTo('messages').find((request) => request.json?.to === single);
      const mediaId = sent?.json && JSON.stringify(sent.json).match(/"id":"(media-\d+)"/)?.[1];
      expect(mediaId).toBeDefined();
      expect(sent?.json?.template).toEqual({
        name: 'promo_image',
        language: { code: 'en_US' },
        components: [{ type: 'header', parameters: [{ type: 'image', image: { id: mediaId } }] }, ...bodyParams('Ada')],
      });

      // A broadcast with the same header: the id uploaded for this number is reused, every recipient's header carries it.
      const recipients = nextNumbers(3);
      const created = await t.http
        .post('/broadcast')
        .set(alice.auth)
        .set(cloud)
        .send({ send_type: 'individual', to: recipients.join(','), message: {}, template: withHeader({ attachment_id: image }) })
        .expect(201);
      const done = await pollUntil(() => broadcastOf(created.body.data._id), (broadcast) => broadcast.status === 'completed', 15_000);
      expect([...done.sent].sort()).toEqual([...recipients].sort());
      expect(fake.requestsTo('media').length).toBe(uploadsBefore + 1);
      for (const request of fake.requestsTo('messages').filter((one) => recipients.includes(String(one.json?.to)))) {
        expect(JSON.stringify(request.json?.template)).toContain(`"image":{"id":"${mediaId}"}`);
      }
    });
  });

  describe('scheduled sends checked again when they start', () => {
    it('fails a scheduled single message whose template was paused meanwhile, with its reason and no provider call', async () => {
      const [to] = nextNumbers(1);
      const accepted = await sendTemplate(to, 'payment_reminder', { send_at: inSeconds(2) }).expect(202);
      expect(accepted.body.data.status).toBe('scheduled');
      await postWebhook(statusWebhook(reminder, 'PAUSED')).expect(200);

      const failed = await pollUntil(() => messageOf(accepted.body.data.message_uid), (message) => message.status === 'failed', 15_000);
      expect(failed.error).toMatchObject({
        code: 'template_paused',
        message: 'Template payment_reminder (en_US) was paused by WhatsApp (low quality) since the send was accepted; it can be sent again once APPROVED',
      });
      expect(fake.requestsTo('messages').filter((request) => request.json?.to === to)).toEqual([]);
      await postWebhook(statusWebhook(reminder, 'APPROVED')).expect(200);
    });

    it('fails a scheduled single message whose template was deleted meanwhile', async () => {
      const [to] = nextNumbers(1);
      const accepted = await sendTemplate(to, 'goodbye_note', { send_at: inSeconds(2) }).expect(202);
      await t.http.delete('/templates/goodbye_note').set(alice.auth).set(cloud).expect(200);

      const failed = await pollUntil(() => messageOf(accepted.body.data.message_uid), (message) => message.status === 'failed', 15_000);
      expect(failed.error).toMatchObject({ code: 'template_missing', message: 'Template goodbye_note (en_US) is no longer in the catalogue (deleted since the send was accepted)' });
      expect(fake.requestsTo('messages').filter((request) => request.json?.to === to)).toEqual([]);
    });

    it('holds a scheduled broadcast whose template is PAUSED at send_at (a webhook that never came) and sends it once APPROVED', async () => {
      const recipients = nextNumbers(4);
      const created = await scheduledBroadcast(recipients, 'weekly_digest', inSeconds(2));
      expect(created.status).toBe('scheduled');
      // Meta's PAUSED webhook was lost: only the catalogue knows, so nothing held the broadcast before it started.
      await db().collection('message_templates').updateOne({ name: 'weekly_digest', account: `waba:${WABA_ID}` }, { $set: { status: 'PAUSED' } });

      const held = await pollUntil(() => broadcastOf(created._id), (broadcast) => broadcast.status === 'paused', 15_000);
      expect(held).toMatchObject({ status: 'paused', paused_reason: 'template_paused', failed: [] });
      expect([...held.pending].sort()).toEqual([...recipients].sort());
      expect(sentTo(recipients)).toEqual([]);

      await postWebhook(statusWebhook(digest, 'APPROVED')).expect(200);
      const done = await pollUntil(() => broadcastOf(created._id), (broadcast) => broadcast.status === 'completed', 15_000);
      expect([...done.sent].sort()).toEqual([...recipients].sort());
      expect(sentTo(recipients).sort()).toEqual([...recipients].sort());
    });

    it("fails a scheduled broadcast's recipients with the reason when its template was deleted before send_at", async () => {
      const recipients = nextNumbers(3);
      const created = await scheduledBroadcast(recipients, 'farewell_offer', inSeconds(2));
      await t.http.delete('/templates/farewell_offer').set(alice.auth).set(cloud).expect(200);

      const ended = await pollUntil(() => broadcastOf(created._id), (broadcast) => broadcast.status === 'failed', 15_000);
      expect([...ended.failed].sort()).toEqual([...recipients].sort());
      expect(ended.failures.map((failure: { code: string; message: string }) => [failure.code, failure.message])).toEqual(
        recipients.map(() => ['template_missing', 'Template farewell_offer (en_US) is no longer in the catalogue (deleted since the send was accepted)']),
      );
      expect(sentTo(recipients)).toEqual([]);
    });
  });

  it('takes 132015 on a single message as the template paused: the catalogue says PAUSED, the next send is refused, running broadcasts sending it pause', async () => {
    const recipients = nextNumbers(30);
    const broadcast = (
      await t.http
        .post('/broadcast')
        .set(alice.auth)
        .set(cloud)
        .send({ send_type: 'individual', to: recipients.join(','), message: {}, template: { name: 'shipping_notice', language: 'en_US', components: bodyParams('Ada') } })
        .expect(201)
    ).body.data._id as string;
    await eventually(async () => sentTo(recipients).length >= 2, 'the broadcast to start sending');

    const [single] = nextNumbers(1);
    fake.script('messages', { ...graphError(132015, 'Template is Paused', 400, 'The template has been paused due to low quality.'), forRecipient: single });
    const accepted = await sendTemplate(single, 'shipping_notice').expect(202);
    const failed = await pollUntil(() => messageOf(accepted.body.data.message_uid), (message) => message.status === 'failed', 15_000);
    expect(failed.error).toMatchObject({ code: '132015' });

    expect(await eventually(async () => ((await templateStatus('shipping_notice')) === 'PAUSED' ? 'PAUSED' : null), 'the catalogue to say PAUSED')).toBe('PAUSED');
    const refused = await sendTemplate(nextNumbers(1)[0], 'shipping_notice').expect(400);
    expect(refused.body.errors).toEqual(['template shipping_notice (en_US) is PAUSED; only APPROVED templates can be sent']);
    const paused = await pollUntil(() => broadcastOf(broadcast), (one) => one.status === 'paused', 10_000);
    expect(paused.paused_reason).toBe('template_paused');
    expect(paused.pending.length).toBeGreaterThan(0);

    await postWebhook(statusWebhook(shipping, 'APPROVED')).expect(200);
    const done = await pollUntil(() => broadcastOf(broadcast), (one) => one.status === 'completed', 20_000);
    expect([...done.sent].sort()).toEqual([...recipients].sort());
    expect(new Set(sentTo(recipients)).size).toBe(sentTo(recipients).length);
  });
});
