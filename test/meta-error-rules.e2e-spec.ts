import { getConnectionToken } from '@nestjs/mongoose';
import type { Connection } from 'mongoose';
import { setTimeout as sleep } from 'node:timers/promises';
import { TenancyService } from '../src/auth/tenancy.service';
import { signWebhookBody } from '@app/whatsapp';
import { FakeCloudApi, FakeTemplate, graphError } from './support/fake-cloud-api';
import { createTenant, TestTenant } from './support/factories';
import { describeWithMongo } from './support/mongo';
import { eventually } from './support/polling';
import { createTestApp, TestApp } from './support/test-app';
import { WebhookReceiver } from './support/webhook-receiver';

const WABA_ID = '102290129340511';
const PHONE_NUMBER_ID = '106540352242511';
const ACCESS_TOKEN = 'EAAG-error-rules-token';
const SPAM_PAUSE_MS = 1_500;

const template = (id: string, name: string, category: string): FakeTemplate => ({
  id,
  name,
  language: 'en_US',
  status: 'APPROVED',
  category,
  components: [{ type: 'BODY', text: `${name} body` }],
});

/** Each row of docs/messaging-limits.md's error-code table, met at the fake Graph API. */
describeWithMongo("Meta's error codes, each with its rule (e2e, fake Graph API)", () => {
  let fake: FakeCloudApi;
  let t: TestApp;
  let tenant: TestTenant;
  let receiver: WebhookReceiver;
  let numbers = 0;
  const nextRecipient = () => `2348035${String(numbers++).padStart(6, '0')}`;

  const db = () => t.app.get<Connection>(getConnectionToken());
  const messageLog = (uid: string) => db().collection('message_logs').findOne({ message_uid: uid });

  /** A fresh cloud-api session (with the Business Account's catalogue), so that one rule's hold on a session never reaches the next. */
  async function newSession(rateLimitPerSecond: number | null = null): Promise<Record<string, string>> {
    const phoneNumberId = `${PHONE_NUMBER_ID}${numbers++}`;
    const session = await t.app.get(TenancyService).createSession({
      rateLimitPerSecond,
      clientId: tenant.clientId,
      name: 'Rules line',
      provider: 'cloud-api',
      phoneNumber: '15550783881',
      credentials: { phone_number_id: phoneNumberId, access_token: ACCESS_TOKEN, app_secret: 'secret', verify_token: 'verify', waba_id: WABA_ID },
      enforceServiceWindow: false,
    });
    return { 'X-Session-Id': session.session_id, 'X-Access-Token': session.access_token };
  }

  async function send(session: Record<string, string>, body: Record<string, unknown>): Promise<string> {
    const response = await t.http.post('/v1/messages').set(tenant.auth).set(session).send(body).expect(202);
    return response.body.data.message_uid as string;
  }

  const settled = (uid: string, ...statuses: string[]) =>
    eventually(async () => {
      const entry = await messageLog(uid);
      return entry && statuses.includes(entry.status as string) ? entry : null;
    }, `message ${uid} to be ${statuses.join(' or ')}`, 20_000);

  /** Times the fake answered each send to this recipient. */
  const callsTo = (recipient: string) => fake.requestsTo('messages').filter((request) => request.json?.to === recipient);

  beforeAll(async () => {
    fake = await FakeCloudApi.start({ accessToken: ACCESS_TOKEN });
    receiver = await WebhookReceiver.start();
    fake.templates.set(WABA_ID, [template('901', 'spring_offer', 'MARKETING'), template('902', 'order_shipped', 'UTILITY')]);
    t = await createTestApp({
      env: {
        CLOUD_API_BASE_URL: fake.baseUrl,
        CLOUD_API_TIMEOUT_MS: '2000',
        SEND_ATTEMPTS: '3',
        SEND_BACKOFF_MS: '50',
        SPAM_RATE_BACKOFF_MS: String(SPAM_PAUSE_MS),
        SPAM_RATE_BACKOFF_MAX_MS: String(SPAM_PAUSE_MS * 4),
        WEBHOOK_ALLOW_PRIVATE_URLS: 'true',
      },
    });
    tenant = await createTenant(t.app, { name: 'Rules client' });
    await t.http.post('/webhook-endpoints').set(tenant.auth).send({ url: `${receiver.baseUrl}/events`, events: ['session.quality_changed', 'broadcast.paused'] }).expect(201);
  });
  afterAll(async () => {
    await t.close();
    await fake.close();
    await receiver.close();
  });
  beforeEach(() => fake.clearRequests());

  it('130429: slows the session (its next sends wait for the delay) and retries the message', async () => {
    const session = await newSession();
    const [first, second] = [nextRecipient(), nextRecipient()];
    fake.script('messages', { status: 429, headers: { 'Retry-After': '1' }, body: { error: { message: 'Rate limit hit', code: 130429 } } });
    const uid = await send(session, { to: first, message: { text: 'Busy' } });
    await eventually(async () => callsTo(first).length === 1, 'the refused call');
    const refusedAt = Date.now();
    const other = await send(session, { to: second, message: { text: 'Behind it' } });
    await settled(other, 'sent');
    expect(Date.now() - refusedAt).toBeGreaterThanOrEqual(800);
    expect((await settled(uid, 'sent')).attempts).toBe(2);
  });

  it('131048: pauses all of the session’s sends for the backoff, then they resume by themselves', async () => {
    const session = await newSession();
    const [first, second] = [nextRecipient(), nextRecipient()];
    fake.script('messages', graphError(131048, 'Spam rate limit hit'));
    const uid = await send(session, { to: first, message: { text: 'Offer' } });
    await eventually(async () => callsTo(first).length === 1, 'the refused call');
    const refusedAt = Date.now();
    const other = await send(session, { to: second, message: { text: 'Another' } });
    await settled(other, 'sent');
    const entry = await settled(uid, 'sent');
    // Neither went before the pause ended: the other message waited, the refused one retried after it.
    expect(Date.now() - refusedAt).toBeGreaterThanOrEqual(SPAM_PAUSE_MS - 300);
    expect(entry.attempts).toBe(2);
    expect(callsTo(second)).toHaveLength(1);
  });

  it('131056: retries that recipient no sooner than the pair-rate delay', async () => {
    const session = await newSession();
    const recipient = nextRecipient();
    fake.script('messages', graphError(131056, 'Pair rate limit hit'));
    const uid = await send(session, { to: recipient, message: { text: 'Again' } });
    await eventually(async () => callsTo(recipient).length === 1, 'the refused call');
    const refusedAt = Date.now();
    await settled(uid, 'sent');
    expect(Date.now() - refusedAt).toBeGreaterThanOrEqual(5_500);
  }, 30_000);

  it("131049: fails without a retry, named as Meta's marketing limit", async () => {
    const session = await newSession();
    const recipient = nextRecipient();
    fake.script('messages', graphError(131049, 'This message was not delivered to maintain healthy ecosystem engagement.'));
    const entry = await settled(await send(session, { to: recipient, template: { name: 'spring_offer', language: 'en_US' } }), 'failed');
    expect(entry.error).toEqual({ code: '131049', message: expect.stringMatching(/^Meta's per-user marketing limit/) });
    expect(callsTo(recipient)).toHaveLength(1);
  });

  it('131050: marks the contact; marketing templates to it then fail at once with a named reason, utility ones still go', async () => {
    const session = await newSession();
    const recipient = nextRecipient();
    fake.script('messages', graphError(131050, 'Unable to deliver the message. This recipient has chosen to stop receiving marketing messages on WhatsApp from your business'));
    expect((await settled(await send(session, { to: recipient, template: { name: 'spring_offer', language: 'en_US' } }), 'failed')).error.code).toBe('131050');
    const contact = await db().collection('contacts').findOne({ client_id: { $exists: true }, phone: recipient });
    expect(contact?.marketing_stopped_at).toBeInstanceOf(Date);

    const marketing = await settled(await send(session, { to: recipient, template: { name: 'spring_offer', language: 'en_US' } }), 'failed');
    expect(marketing.error).toMatchObject({ code: 'marketing_stopped', message: expect.stringMatching(/stopped marketing messages/) });
    await settled(await send(session, { to: recipient, template: { name: 'order_shipped', language: 'en_US' } }), 'sent');
    // The refused call, then the utility template; nothing for the second marketing one.
    expect(callsTo(recipient).map((request) => (request.json?.template as { name: string }).name)).toEqual(['spring_offer', 'order_shipped']);
  });

  it('131047: fails with the customer-service window reason', async () => {
    const session = await newSession();
    fake.script('messages', graphError(131047, 'Re-engagement message', 400, 'More than 24 hours have passed since the recipient last replied'));
    const entry = await settled(await send(session, { to: nextRecipient(), message: { text: 'Late reply' } }), 'failed');
    expect(entry.error).toEqual({ code: '131047', message: expect.stringMatching(/^Outside the customer-service window.*More than 24 hours/) });
  });

  it.each([
    [131042, 'Business eligibility payment issue'],
    [131031, 'Business Account locked'],
  ])('%i: stops the session’s sends with the reason on the session', async (code, message) => {
    const session = await newSession();
    fake.script('messages', graphError(code, message));
    const entry = await settled(await send(session, { to: nextRecipient(), message: { text: 'Anyone?' } }), 'failed');
    expect(entry.error).toMatchObject({ code: String(code) });
    const listed = await t.http.get(`/sessions/${session['X-Session-Id']}`).set(tenant.auth).expect(200);
    expect(listed.body.data).toMatchObject({ health: 'unhealthy', health_reason: expect.stringContaining(message) });
    const refused = await t.http.post('/v1/messages').set(tenant.auth).set(session).send({ to: nextRecipient(), message: { text: 'x' } }).expect(409);
    expect(refused.body.message).toContain(message);
  });

  it("an unknown code stays permanent and keeps Meta's message", async () => {
    const session = await newSession();
    const recipient = nextRecipient();
    fake.script('messages', graphError(135000, 'Generic user error', 400, 'Something about this message'));
    const entry = await settled(await send(session, { to: recipient, message: { text: 'Odd' } }), 'failed');
    expect(entry.error).toEqual({ code: '135000', message: 'Generic user error: Something about this message' });
    expect(callsTo(recipient)).toHaveLength(1);
  });

  it('FLAGGED: stored on the session, the limit it gives set on the portfolio, the running marketing broadcast paused until the client resumes it', async () => {
    const session = await newSession(2);
    const recipients = Array.from({ length: 40 }, () => nextRecipient());
    const created = await t.http
      .post('/broadcast')
      .set(tenant.auth)
      .set(session)
      .send({ send_type: 'individual', to: recipients.join(','), message: {}, template: { name: 'spring_offer', language: 'en_US' }, require_opt_in: false })
      .expect(201);
    const id = created.body.data._id as string;
    const raw = Buffer.from(
      JSON.stringify({
        object: 'whatsapp_business_account',
        entry: [{ id: WABA_ID, time: 1700000000, changes: [{ field: 'phone_number_quality_update', value: { display_phone_number: '15550783881', event: 'FLAGGED', current_limit: 'TIER_2K' } }] }],
      }),
    );
    await t.http.post('/webhooks/whatsapp').set('Content-Type', 'application/json').set('X-Hub-Signature-256', signWebhookBody(raw, 'not-the-secret')).send(raw.toString('utf8')).expect(401);
    await t.http.post('/webhooks/whatsapp').set('Content-Type', 'application/json').set('X-Hub-Signature-256', signWebhookBody(raw, 'secret')).send(raw.toString('utf8')).expect(200);

    const paused = (await t.http.get(`/broadcast/${id}`).set(tenant.auth).expect(200)).body.data;
    expect(paused).toMatchObject({ status: 'paused', paused_reason: 'number_flagged' });
    expect(paused.pending.length).toBeGreaterThan(0);
    const shown = (await t.http.get(`/sessions/${session['X-Session-Id']}`).set(tenant.auth).expect(200)).body.data;
    expect(shown).toMatchObject({ quality: { event: 'FLAGGED' }, pause_on_flag: true });
    expect((await t.http.get(`/portfolios/${shown.portfolio_id}`).set(tenant.auth).expect(200)).body.data.messaging_limit).toBe(2000);
    // The client hears of it: the number's new quality, and the broadcast it paused. (The earlier rules' sessions
    // share this number and Business Account, so each hears of it too: only this session's events are looked at.)
    type Delivered = { type: string; data: { session?: { id: string }; broadcast?: { id: string } } };
    const received = () => receiver.to('/events').map((delivery) => JSON.parse(delivery.body) as Delivered);
    const qualityOfThisSession = () => received().filter((event) => event.type === 'session.quality_changed' && event.data.session?.id === session['X-Session-Id']);
    const pausedEvent = await eventually(async () => received().find((event) => event.type === 'broadcast.paused' && event.data.broadcast?.id === id) ?? null, 'the broadcast.paused event');
    expect(pausedEvent.data).toMatchObject({ broadcast: { id, status: 'paused', paused_reason: 'number_flagged' } });
    const [changed] = await eventually(async () => (qualityOfThisSession().length > 0 ? qualityOfThisSession() : null), 'the session.quality_changed event');
    expect(changed.data).toMatchObject({
      session: { id: session['X-Session-Id'], portfolio_id: shown.portfolio_id },
      quality: 'FLAGGED',
      messaging_limit: 2000,
      paused_broadcasts: [id],
    });
    // Meta delivering the same webhook again delivers no event twice.
    await t.http.post('/webhooks/whatsapp').set('Content-Type', 'application/json').set('X-Hub-Signature-256', signWebhookBody(raw, 'secret')).send(raw.toString('utf8')).expect(200);
    await sleep(1_000);
    expect(qualityOfThisSession()).toHaveLength(1);

    await t.http.post(`/broadcast/${id}/resume`).set(tenant.auth).expect(200);
    expect((await t.http.get(`/broadcast/${id}`).set(tenant.auth).expect(200)).body.data.status).toBe('sending');
    await t.http.post(`/broadcast/${id}/cancel`).set(tenant.auth).expect(200);
  });
});
