import { readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { ConsoleMessage, Page } from 'playwright-core';
import { buildConsole, isConsoleBuilt } from '../scripts/build-console';
import { SessionRepository } from '../src/auth/session.repository';
import { TenancyService } from '../src/auth/tenancy.service';
import type { BroadcastReport } from '../src/results/broadcast-report';
import { Browser, launchBrowser } from './support/browser';
import { BROWSER_SKIP_REASON_VARIABLE } from './support/browser-env';
import { mobileNumbers } from './support/broadcasts';
import { createTenant, TestTenant } from './support/factories';
import { describeWithMongo } from './support/mongo';
import { eventually } from './support/polling';
import { createTestApp, TestApp } from './support/test-app';

const UI_TIMEOUT_MS = 30_000;
/** 498 numbers that are sent and read, and two that always fail (the sandbox's 9999 ending). */
const RECIPIENTS = [...mobileNumbers(498, '8036'), '2348037009999', '2348037019999'];

/** Needs MongoDB (the app) and a browser: skipped, with the reason printed once, without either. */
const describeWithMongoAndBrowser: jest.Describe = process.env[BROWSER_SKIP_REASON_VARIABLE] ? describe.skip : describeWithMongo;

describeWithMongoAndBrowser('Console at /console in headless Chromium (e2e, sandbox)', () => {
  let t: TestApp;
  let baseUrl: string;
  let browser: Browser;
  let alice: TestTenant;
  let mallory: TestTenant;
  let page: Page;
  const problems: string[] = [];

  /** Console errors and CSP violations. */
  const watch = (watched: Page) => {
    watched.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    watched.on('console', (message: ConsoleMessage) => {
      if (message.type() !== 'error' && !/Content Security Policy/i.test(message.text())) return;
      problems.push(`console ${message.type()}: ${message.text()} (${message.location().url})`);
    });
  };

  const report = async (id: string): Promise<BroadcastReport> => (await t.http.get(`/broadcast/${id}/report`).set(alice.auth).expect(200)).body.data as BroadcastReport;
  const statusOf = async (id: string): Promise<string> => (await t.http.get(`/broadcast/${id}?fields=summary`).set(alice.auth).expect(200)).body.data.status as string;

  async function signIn(target: Page, key: string): Promise<void> {
    await target.goto(`${baseUrl}/console`);
    await target.fill('input[name=api_key]', key);
    await target.click('button[type=submit]');
    await target.locator('h1', { hasText: 'Broadcasts' }).waitFor({ timeout: UI_TIMEOUT_MS });
  }

  beforeAll(async () => {
    // `npm test` alone (no `npm run build` before it) still has a console to serve.
    if (!isConsoleBuilt()) await buildConsole();
    t = await createTestApp({ env: { SANDBOX_STATUS_DELAY_MS: '20', SESSION_RATE_LIMIT_PER_SECOND: '200' } });
    const server: Server = t.app.getHttpServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    alice = await createTenant(t.app, { name: 'Alice' });
    mallory = await createTenant(t.app, { name: 'Mallory' });
    browser = await launchBrowser();
    page = await browser.context.newPage();
    watch(page);
  });

  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  afterEach(() => {
    expect(problems).toEqual([]);
  });

  it('signs in, creates a broadcast of 500 from the form, and its progress bar reaches 100% without a reload', async () => {
    let loads = 0;
    page.on('load', () => (loads += 1));
    await signIn(page, alice.apiKey);
    expect(await page.evaluate('sessionStorage.getItem("console.apiKey")')).toBe(alice.apiKey);
    expect(await page.evaluate('localStorage.length')).toBe(0);

    await page.click('text=New broadcast');
    await page.fill('input[name=session_id]', alice.sessionId);
    await page.fill('input[name=access_token]', alice.accessToken);
    await page.fill('textarea[name=to]', RECIPIENTS.join('\n'));
    await page.fill('textarea[name=text]', 'Console sale');
    await page.click('button:has-text("Review")');
    // The delivery plan (POST /broadcast/plan) before anything is sent: all 500 valid, none refused.
    const plan = page.locator('[data-testid=delivery-plan]').first();
    await plan.waitFor({ timeout: UI_TIMEOUT_MS });
    expect(await plan.locator('[data-figure=will_send] > dd').first().textContent()).toBe(String(RECIPIENTS.length));
    expect(await plan.locator('[data-figure=valid] > dd').first().textContent()).toBe(String(RECIPIENTS.length));
    expect(await plan.locator('[data-figure=will_fail] > dd').first().textContent()).toBe('0');
    await page.click('button:has-text("Send")');

    const row = page.locator('tr[data-broadcast-id]').first();
    await row.waitFor({ timeout: UI_TIMEOUT_MS });
    const id = await row.getAttribute('data-broadcast-id');
    await row.locator('[role=progressbar][aria-valuenow="100"]').waitFor({ timeout: UI_TIMEOUT_MS });
    await row.locator('.status', { hasText: 'completed_with_errors' }).waitFor({ timeout: UI_TIMEOUT_MS });
    expect(await statusOf(id!)).toBe('completed_with_errors');
    expect(loads).toBe(1);
    if (process.env.CONSOLE_SCREENSHOTS_DIR) {
      // The bar's last step is animated.
      await page.waitForTimeout(500);
      await page.screenshot({ path: join(process.env.CONSOLE_SCREENSHOTS_DIR, 'console-broadcasts.png'), fullPage: true });
    }
  });

  it("opens the broadcast: its funnel has the report's numbers, failures by reason, and the CSV export downloads every recipient", async () => {
    const id = (await page.locator('tr[data-broadcast-id]').first().getAttribute('data-broadcast-id'))!;
    // The sandbox reports delivered and read shortly after each send.
    const final = await eventually(async () => {
      const current = await report(id);
      return current.read === 498 ? current : null;
    }, 'every read report', 20_000);
    await page.click(`tr[data-broadcast-id="${id}"] a`);
    await page.locator('.funnel').waitFor({ timeout: UI_TIMEOUT_MS });
    const funnel = async () =>
      page.$$eval('.funnel-step', (steps) => Object.fromEntries(steps.map((step) => [step.getAttribute('data-step'), Number(step.querySelector('.funnel-value')?.textContent)])));
    await eventually(async () => (await funnel()).read === 498, 'the funnel to show every read');
    expect(await funnel()).toEqual({ recipients: 500, sent: 498, delivered: 498, read: 498, replied: final.replied, failed: 2 });
    expect(final).toMatchObject({ recipients: 500, sent: 498, delivered: 498, read: 498, failed: 2 });
    expect(await page.locator('table.failures tr').allInnerTexts()).toEqual([expect.stringMatching(/131026\s+Message undeliverable\s+2/)]);
    await page.locator('.series-chart canvas').first().waitFor({ timeout: UI_TIMEOUT_MS });

    const [download] = await Promise.all([page.waitForEvent('download'), page.click('button[name=export]')]);
    const csv = readFileSync(await download.path(), 'utf8').trim().split('\n');
    expect(csv[0]).toBe('number,contact_name,status,sent_at,delivered_at,read_at,replied_at,failure_code,failure_reason,cost_usd_cents');
    const rows = csv.slice(1).map((line) => line.split(','));
    expect(rows).toHaveLength(500);
    expect(new Set(rows.map(([number]) => number))).toEqual(new Set(RECIPIENTS));
    expect(rows.filter(([, , status]) => status === 'read')).toHaveLength(498);
    expect(rows.filter(([, , status, , , , , code]) => status === 'failed' && code === '131026')).toHaveLength(2);
    if (process.env.CONSOLE_SCREENSHOTS_DIR) await page.screenshot({ path: join(process.env.CONSOLE_SCREENSHOTS_DIR, 'console-broadcast.png'), fullPage: true });
  });

  it('pauses and resumes a running broadcast, then cancels it', async () => {
    // A session limited to 2 messages a second keeps this one running for a while.
    const slow = await t.app.get(TenancyService).createSession({ clientId: alice.clientId, name: 'slow line', provider: 'sandbox', rateLimitPerSecond: 2 });
    const created = await t.http
      .post('/broadcast')
      .set(alice.auth)
      .set({ 'X-Session-Id': slow.session_id, 'X-Access-Token': slow.access_token })
      .send({ send_type: 'individual', to: mobileNumbers(60, '8038'), message: { text: 'Slow one' } })
      .expect(201);
    const id = created.body.data._id as string;
    await page.goto(`${baseUrl}/console#/broadcasts/${id}`);
    await page.locator('button[name=pause]').click({ timeout: UI_TIMEOUT_MS });
    await page.locator('.page-header .status', { hasText: 'paused' }).waitFor({ timeout: UI_TIMEOUT_MS });
    expect(await statusOf(id)).toBe('paused');
    await page.locator('button[name=resume]').click({ timeout: UI_TIMEOUT_MS });
    await page.locator('.page-header .status', { hasText: 'sending' }).waitFor({ timeout: UI_TIMEOUT_MS });
    expect(await statusOf(id)).toBe('sending');
    await page.locator('button[name=cancel]').click({ timeout: UI_TIMEOUT_MS });
    await page.locator('.page-header .status', { hasText: 'cancelled' }).waitFor({ timeout: UI_TIMEOUT_MS });
    expect(await statusOf(id)).toBe('cancelled');
  });

  it("shows each session's health, its number's last quality event and its portfolio's messaging limit", async () => {
    await t.http.put(`/portfolios/${alice.sessionId}/messaging-limit`).set(alice.auth).send({ messaging_limit: 2000 }).expect(200);
    await t.app.get(SessionRepository).setQuality(alice.sessionId, 'UPGRADE', new Date());
    const reached = ((await t.http.get(`/portfolios/${alice.sessionId}`).set(alice.auth).expect(200)).body.data as { reached_in_window: number }).reached_in_window;
    await page.goto(`${baseUrl}/console#/sessions`);
    const row = page.locator(`tr[data-session-id="${alice.sessionId}"]`);
    await row.locator('.messaging-limit', { hasText: 'of 2,000' }).waitFor({ timeout: UI_TIMEOUT_MS });
    expect(await row.locator('.messaging-limit').textContent()).toBe(`${reached.toLocaleString('en-US')} of 2,000 reached in 24 h`);
    expect(await row.locator('.quality').textContent()).toBe('UPGRADE');
    // The slow line of the test before names no portfolio and has no limit set: none enforced.
    expect(await page.locator('tr[data-session-id] .messaging-limit', { hasText: 'none enforced' }).count()).toBe(1);
  });

  it("lists the session's template catalogue with status, category and quality, filtered by status and category", async () => {
    // A template in review beside the sandbox's four approved starters.
    await t.http
      .post('/templates')
      .set(alice.auth)
      .set(alice.session)
      .send({ name: 'console_offer', language: 'en_US', category: 'MARKETING', components: [{ type: 'BODY', text: 'Our winter offer is here' }] })
      .expect(201);
    await page.goto(`${baseUrl}/console#/templates`);
    // The session entered for the broadcast earlier is remembered in this tab, so the catalogue loads at once.
    expect(await page.inputValue('input[name=session_id]')).toBe(alice.sessionId);
    const rows = page.locator('table.templates tbody tr');
    const shown = async () => Object.fromEntries((await rows.evaluateAll((trs) => trs.map((tr) => [tr.getAttribute('data-template'), [...tr.children].slice(2, 4).map((td) => td.textContent)]))) as Array<[string, string[]]>);
    await page.locator('tr[data-template="console_offer:en_US"]').waitFor({ timeout: UI_TIMEOUT_MS });
    expect(await shown()).toEqual({
      'hello_world:en_US': ['UTILITY', 'APPROVED'],
      'order_update:en_US': ['UTILITY', 'APPROVED'],
      'seasonal_promo:en_US': ['MARKETING', 'APPROVED'],
      'login_code:en_US': ['AUTHENTICATION', 'APPROVED'],
      'console_offer:en_US': ['MARKETING', 'PENDING'],
    });
    expect(await page.locator('tr[data-template="seasonal_promo:en_US"] .message-cell').textContent()).toMatch(/\S/);

    await page.selectOption('select[name=category]', 'MARKETING');
    await eventually(async () => Object.keys(await shown()).length === 2, 'the MARKETING filter');
    expect(Object.keys(await shown()).sort()).toEqual(['console_offer:en_US', 'seasonal_promo:en_US']);
    await page.selectOption('select[name=status]', 'PENDING');
    await eventually(async () => Object.keys(await shown()).length === 1, 'the PENDING filter');
    expect(await shown()).toEqual({ 'console_offer:en_US': ['MARKETING', 'PENDING'] });
    if (process.env.CONSOLE_SCREENSHOTS_DIR) {
      await page.selectOption('select[name=status]', '');
      await page.selectOption('select[name=category]', '');
      await eventually(async () => Object.keys(await shown()).length === 5, 'every template again');
      await page.screenshot({ path: join(process.env.CONSOLE_SCREENSHOTS_DIR, 'console-templates.png'), fullPage: true });
    }
  });

  it("shows another tenant's broadcast as not found", async () => {
    const id = (await t.http.get('/broadcast?fields=summary&type=all&limit=1').set(alice.auth).expect(200)).body.data[0]._id as string;
    const other = await browser.context.newPage();
    watch(other);
    // Chromium logs the API's 404 answer itself: that one is expected here.
    other.removeAllListeners('console');
    await signIn(other, mallory.apiKey);
    await other.goto(`${baseUrl}/console#/broadcasts/${id}`);
    await other.locator('[role=alert]', { hasText: `Broadcast ${id} not found` }).waitFor({ timeout: UI_TIMEOUT_MS });
    expect(await other.locator('.funnel').count()).toBe(0);
    await other.close();
  });
});
