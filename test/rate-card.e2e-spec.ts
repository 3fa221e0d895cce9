import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { getConnectionToken } from '@nestjs/mongoose';
import type { Connection } from 'mongoose';
import { TenancyService } from '../src/auth/tenancy.service';
import { ContactService } from '../src/contact/contact.service';
import { Clock } from '../src/core/clock';
import { RateCardError } from '../src/rate-card/rate-card-csv';
import { RateCards } from '../src/rate-card/rate-cards';
import { createTenant, TestTenant } from './support/factories';
import { runFromSource } from './support/run-from-source';
import { describeWithMongo, isolatedMongoUri } from './support/mongo';
import { createTestApp, TestApp } from './support/test-app';

const ROOT = join(__dirname, '..');
/** The example card in docs/ (made-up prices, effective 2026-10-01): Nigeria; Rest of Africa (GH, KE, ZA); Other. */
const EXAMPLE_CARD = join(ROOT, 'docs/examples/rate-card.example.csv');
const BAD_CARD = join(ROOT, 'test/fixtures/rate-card.bad.csv');

/** Nigeria: two who wrote an hour ago, three who never did, one opted out. Ghana: one inside, two outside. A US number (market Other). */
const NG_INSIDE = ['2348032000001', '2348032000002'];
const NG_OUTSIDE = ['2348032000011', '2348032000012', '2348032000013'];
const NG_OPTED_OUT = '2348032000021';
const GH_INSIDE = ['233241000001'];
const GH_OUTSIDE = ['233241000011', '233241000012'];
const US = '12025550123';
const LIST = [...NG_INSIDE, ...NG_OUTSIDE, NG_OPTED_OUT, ...GH_INSIDE, ...GH_OUTSIDE, US];

/** `npm run cli -- <args>` from source against the given database: its exit code and output. */
const cli = (env: Record<string, string>, args: string[]) => runFromSource('src/cli.ts', env, args);

describeWithMongo('Cost from a rate card (e2e)', () => {
  // Built when the suite runs: a skipped suite's body still runs, and without MongoDB there is no URI to build on.
  let env: Record<string, string>;
  let t: TestApp;
  let tenant: TestTenant;
  /** Sandbox, free-form to anyone (the window is not enforced), no messaging limit. */
  let session: Record<string, string>;
  const now = Date.parse('2026-12-07T10:00:00Z');

  const db = () => t.app.get<Connection>(getConnectionToken());
  const written = async () => Promise.all(['broadcasts', 'message_logs', 'contacts', 'recipient_variables', 'rate_cards'].map((name) => db().collection(name).countDocuments()));
  const plan = async (body: Record<string, unknown>) => (await t.http.post('/broadcast/plan').set(tenant.auth).set(session).send(body).expect(200)).body.data;
  const withTemplate = (name: string) => ({ send_type: 'individual', to: LIST.join(','), message: {}, template: { name, language: 'en' } });

  async function approvedTemplate(name: string, category: string): Promise<void> {
    const created = await t.http.post('/templates').set(tenant.auth).set(session).send({ name, language: 'en', category, components: [{ type: 'BODY', text: 'Your order has shipped' }] }).expect(201);
    await t.http.post(`/templates/${created.body.data._id}/sandbox-status`).set(tenant.auth).set(session).send({ status: 'APPROVED' }).expect(200);
  }

  beforeAll(async () => {
    env = { MONGODB_URI: isolatedMongoUri(), REDIS_URL: process.env.REDIS_URL ?? '', CREDENTIALS_ENCRYPTION_KEY: randomBytes(32).toString('base64'), LOG_LEVEL: 'error' };
    t = await createTestApp({ env: { ...env, SANDBOX_LATENCY_MS: '0' } });
    jest.spyOn(t.app.get(Clock), 'now').mockImplementation(() => new Date(now));
    tenant = await createTenant(t.app, { name: 'Priced' });
    const created = await t.app.get(TenancyService).createSession({ clientId: tenant.clientId, name: 'Priced line', provider: 'sandbox', enforceServiceWindow: false, portfolioId: null, rateLimitPerSecond: 10 });
    session = { 'X-Session-Id': created.session_id, 'X-Access-Token': created.access_token };
    const contacts = t.app.get(ContactService);
    for (const phone of [...NG_INSIDE, ...GH_INSIDE]) await contacts.recordInbound(tenant.clientId, { phone, sessionId: session['X-Session-Id'], at: new Date(now - 3600_000), profileName: null });
    const optedOut = await t.http.post('/contacts').set(tenant.auth).send({ name: 'Gone', phone: NG_OPTED_OUT }).expect(201);
    await t.http.patch(`/contacts/${optedOut.body.data._id}`).set(tenant.auth).send({ opted_out: true }).expect(200);
    await approvedTemplate('order_shipped', 'UTILITY');
    await approvedTemplate('winter_sale', 'MARKETING');
  });
  afterAll(async () => {
    jest.restoreAllMocks();
    await t?.close();
  });

  it('refuses a bad card from the CLI, naming the line and column, and writes nothing', async () => {
    const result = await cli(env, ['rate-card:load', '--file', BAD_CARD]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('The rate card is invalid and nothing was loaded (1 problem):');
    expect(result.stderr).toContain('line 3, column 4 (utility): "not-a-price" is not a price (a number of 0 or more, e.g. 0.0250)');
    expect(await db().collection('rate_cards').countDocuments()).toBe(0);
    await expect(t.app.get(RateCards).loadFile(BAD_CARD)).rejects.toBeInstanceOf(RateCardError);
    expect(await db().collection('rate_cards').countDocuments()).toBe(0);
  });

  it('plans without a cost, saying why, while no card is loaded', async () => {
    const data = await plan(withTemplate('order_shipped'));
    expect(data.cost).toBeNull();
    expect(data.cost_note).toMatch(/No rate card is loaded/);
  });

  it('loads the example card from the CLI', async () => {
    const result = await cli(env, ['rate-card:load', '--file', EXAMPLE_CARD]);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ currency: 'USD', effective_from: '2026-10-01', markets: 4, source: 'rate-card.example.csv' });
  });

  it('prices a utility template by market, free inside the window, and writes nothing', async () => {
    const before = await written();
    const data = await plan(withTemplate('order_shipped'));
    // Nine will be sent (the opted-out one is not): utility is 0.0100 in Nigeria, 0.0050 in Rest of Africa, 0.0100 in Other.
    expect(data.will_send).toBe(9);
    expect(data.cost).toEqual({
      currency: 'USD',
      rate_card_effective_from: '2026-10-01',
      category: 'utility',
      category_source: 'template',
      estimated_total: 0.05,
      by_category: { utility: { messages: 9, free: 3, amount: 0.05 } },
      by_market: {
        Nigeria: { messages: 5, free: 2, amount: 0.03 },
        Other: { messages: 1, free: 0, amount: 0.01 },
        'Rest of Africa': { messages: 3, free: 1, amount: 0.01 },
      },
    });
    expect(data.cost_note).toBeNull();
    expect(await written()).toEqual(before);
  });

  it('prices a marketing template inside the window too, and none of those it refuses', async () => {
    // Marketing needs an opt-in by default: no one has one, so nothing is sent and nothing is priced.
    const consented = await plan(withTemplate('winter_sale'));
    expect(consented.refused.without_opt_in).toBe(10);
    expect(consented.cost).toMatchObject({ category: 'marketing', estimated_total: 0, by_category: {}, by_market: {} });
    const data = await plan({ ...withTemplate('winter_sale'), require_opt_in: false });
    expect(data.will_send).toBe(9);
    expect(data.cost).toMatchObject({
      category: 'marketing',
      estimated_total: 0.4,
      by_market: {
        Nigeria: { messages: 5, free: 0, amount: 0.25 },
        Other: { messages: 1, free: 0, amount: 0.06 },
        'Rest of Africa': { messages: 3, free: 0, amount: 0.09 },
      },
    });
  });

  it('prices free-form as service (free in the example card)', async () => {
    const data = await plan({ send_type: 'individual', to: LIST.join(','), message: { text: 'Hello' } });
    expect(data.cost).toMatchObject({ category: 'service', category_source: 'free_form', estimated_total: 0, by_category: { service: { messages: 9, free: 3, amount: 0 } } });
  });

  it('keeps the cost on the broadcast and shows it beside the billed figures in the report', async () => {
    const body = withTemplate('order_shipped');
    const planned = await plan(body);
    const created = await t.http.post('/broadcast').set(tenant.auth).set(session).send(body).expect(201);
    expect(created.body.data.plan.cost).toEqual(planned.cost);
    const report = await t.http.get(`/broadcast/${created.body.data._id}/report`).set(tenant.auth).expect(200);
    expect(report.body.data.cost).toMatchObject({ planned: { currency: 'USD', estimated_total: 0.05, rate_card_effective_from: '2026-10-01' } });
  });
});
