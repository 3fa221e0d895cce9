import { getConnectionToken } from '@nestjs/mongoose';
import type { Connection } from 'mongoose';
import { SessionRepository } from '../src/auth';
import { TenancyService } from '../src/auth/tenancy.service';
import { NO_RATE_CARD_NOTE } from '../src/broadcast/delivery-plan';
import { ContactService } from '../src/contact/contact.service';
import { Clock } from '../src/core/clock';
import { LIMIT_WINDOW_MS } from '../src/messaging-limit/messaging-limit-counter';
import { MessagingLimits } from '../src/messaging-limit/messaging-limits';
import { createTenant, TestTenant } from './support/factories';
import { describeWithMongo } from './support/mongo';
import { createTestApp, TestApp } from './support/test-app';

/** Two who wrote to both sessions an hour ago, four who never did, one opted out, one who stopped marketing, one in the UK. */
const INSIDE = ['2348031000001', '2348031000002'];
const OUTSIDE = ['2348031000011', '2348031000012', '2348031000013', '2348031000014'];
const OPTED_OUT = '2348031000021';
const STOPPED_MARKETING = '2348031000022';
const UK = '447911123456';
const GIVEN = [...INSIDE, ...OUTSIDE, OPTED_OUT, STOPPED_MARKETING, UK, '12', 'not-a-number', `+${INSIDE[0]}`];

describeWithMongo('The delivery plan before sending (e2e)', () => {
  let t: TestApp;
  let tenant: TestTenant;
  /** Enforces the customer-service window; a portfolio of its own without a limit. */
  let strict: Record<string, string>;
  /** Free-form goes to anyone; its portfolio's limit is 3, one person already reached. */
  let limited: Record<string, string>;
  const now = Date.parse('2026-12-07T10:00:00Z');

  const db = () => t.app.get<Connection>(getConnectionToken());
  const written = async () =>
    Promise.all(['broadcasts', 'message_logs', 'contacts', 'recipient_variables'].map((name) => db().collection(name).countDocuments()));
  const plan = async (session: Record<string, string>, body: Record<string, unknown>) =>
    (await t.http.post('/broadcast/plan').set(tenant.auth).set(session).send(body).expect(200)).body.data;

  async function newSession(name: string, enforceServiceWindow: boolean, portfolioId: string | null) {
    const created = await t.app.get(TenancyService).createSession({ clientId: tenant.clientId, name, provider: 'sandbox', enforceServiceWindow, portfolioId, rateLimitPerSecond: 10 });
    return { 'X-Session-Id': created.session_id, 'X-Access-Token': created.access_token };
  }

  beforeAll(async () => {
    t = await createTestApp({ env: { SANDBOX_LATENCY_MS: '0' } });
    jest.spyOn(t.app.get(Clock), 'now').mockImplementation(() => new Date(now));
    tenant = await createTenant(t.app, { name: 'Planner' });
    strict = await newSession('Strict line', true, null);
    limited = await newSession('Limited line', false, 'planned-portfolio');
    const contacts = t.app.get(ContactService);
    for (const phone of INSIDE) {
      for (const session of [strict, limited]) await contacts.recordInbound(tenant.clientId, { phone, sessionId: session['X-Session-Id'], at: new Date(now - 3600_000), profileName: null });
    }
    const optedOut = await t.http.post('/contacts').set(tenant.auth).send({ name: 'Gone', phone: OPTED_OUT }).expect(201);
    await t.http.patch(`/contacts/${optedOut.body.data._id}`).set(tenant.auth).send({ opted_out: true }).expect(200);
    await contacts.setMarketingStopped(tenant.clientId, STOPPED_MARKETING, new Date(now));
    await t.http.put('/portfolios/planned-portfolio/messaging-limit').set(tenant.auth).send({ messaging_limit: 3 }).expect(200);
    const limitedSession = await t.app.get(SessionRepository).findById(limited['X-Session-Id']);
    expect(await t.app.get(MessagingLimits).admit(limitedSession!, OUTSIDE[0])).toBeNull();
  });
  afterAll(async () => {
    jest.restoreAllMocks();
    await t.close();
  });

  it('counts every figure of a mixed list where the window is enforced, and writes nothing', async () => {
    const before = await written();
    const data = await plan(strict, { send_type: 'individual', to: GIVEN.join(','), message: { text: 'Spring sale' } });
    expect(data).toEqual({
      planned_at: new Date(now).toISOString(),
      recipients: {
        given: 12,
        valid: 9,
        duplicates: 1,
        invalid: 2,
        invalid_numbers: [
          { input: '12', reason: '"12" is not a valid international phone number' },
          { input: 'not-a-number', reason: '"not-a-number" is not a valid international phone number' },
        ],
      },
      // Free-form outside the window fails: the six who never wrote (the opted-out one fails for that first).
      refused: { opted_out: 1, marketing_stopped: 0, without_opt_in: 0, outside_window_free_form: 6 },
      window: { inside: 2, outside: 7 },
      messaging_limit: {
        portfolio_id: strict['X-Session-Id'],
        limit: null,
        reached_in_window: 0,
        business_initiated: 0,
        within_limit: 0,
        waiting: 0,
        first_waiting_starts_at: null,
        last_waiting_starts_at: null,
      },
      will_send: 2,
      will_fail: 7,
      duration: { messages_per_second: 10, expected_seconds: 1, expected_end: new Date(now + 200).toISOString() },
      // No rate card loaded in this suite (test/rate-card.e2e-spec.ts prices plans).
      cost: null,
      cost_note: NO_RATE_CARD_NOTE,
    });
    expect(await written()).toEqual(before);
  });

  it("says who waits for the portfolio's messaging limit and from when, counting a person already reached once", async () => {
    const before = await written();
    const data = await plan(limited, { send_type: 'individual', to: GIVEN.join(','), message: { text: 'Spring sale' } });
    const dayLater = new Date(now + LIMIT_WINDOW_MS).toISOString();
    expect(data).toMatchObject({
      refused: { opted_out: 1, marketing_stopped: 0, without_opt_in: 0, outside_window_free_form: 0 },
      window: { inside: 2, outside: 7 },
      // The four who never wrote, the one who stopped marketing (a text is not marketing) and the UK number: one of them already reached.
      messaging_limit: {
        portfolio_id: 'planned-portfolio',
        limit: 3,
        reached_in_window: 1,
        business_initiated: 6,
        within_limit: 3,
        waiting: 3,
        first_waiting_starts_at: dayLater,
        last_waiting_starts_at: dayLater,
      },
      will_send: 8,
      will_fail: 1,
      duration: { messages_per_second: 10, expected_seconds: LIMIT_WINDOW_MS / 1000, expected_end: dayLater },
    });
    expect(await written()).toEqual(before);
  });

  it('plans an audience the same way as a list', async () => {
    for (const phone of [INSIDE[0], OUTSIDE[1], OPTED_OUT]) {
      const existing = await db().collection('contacts').findOne({ phone });
      const id = existing ? existing._id.toHexString() : (await t.http.post('/contacts').set(tenant.auth).send({ name: `+${phone}`, phone }).expect(201)).body.data._id;
      await t.http.post(`/contacts/${id}/tags`).set(tenant.auth).send({ tags: ['vip'] }).expect(200);
    }
    const data = await plan(limited, { send_type: 'individual', audience: { tags: ['vip'] }, message: { text: 'Hello VIPs' } });
    expect(data).toMatchObject({
      recipients: { given: 3, valid: 3, duplicates: 0, invalid: 0 },
      refused: { opted_out: 1 },
      window: { inside: 1, outside: 2 },
      messaging_limit: { business_initiated: 1, within_limit: 1, waiting: 0 },
      will_send: 2,
      will_fail: 1,
    });
  });

  it("answers the same plan in POST /broadcast's 201 and keeps it on the broadcast", async () => {
    const body = { send_type: 'individual', to: GIVEN.join(','), skip_invalid: true, message: { text: 'Spring sale' } };
    const planned = await plan(limited, body);
    const created = await t.http.post('/broadcast').set(tenant.auth).set(limited).send(body).expect(201);
    expect(created.body.data.plan).toEqual(planned);
    const kept = await t.http.get(`/broadcast/${created.body.data._id}`).set(tenant.auth).expect(200);
    expect(kept.body.data.plan).toEqual(planned);
  });

  it('answers 400 for what POST /broadcast refuses (but invalid numbers), and 401 without a session', async () => {
    const bad = await t.http.post('/broadcast/plan').set(tenant.auth).set(limited).send({ send_type: 'group', to: INSIDE.join(','), message: {} }).expect(400);
    expect(bad.body.status).toBe(false);
    expect(bad.body.errors.join(' ')).toMatch(/send_type/);
    await t.http.post('/broadcast/plan').set(tenant.auth).send({ send_type: 'individual', to: INSIDE.join(','), message: { text: 'x' } }).expect((response) => expect([400, 401]).toContain(response.status));
  });
});
