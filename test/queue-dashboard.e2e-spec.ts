import { getQueueToken } from '@nestjs/bull';
import type { Queue } from 'bull';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Role } from '../src/auth/permissions';
import { ProviderRegistry } from '../src/sending/provider-registry';
import { SEND_QUEUE } from '../src/sending/sending.jobs';
import { Browser, describeWithBrowser, launchBrowser } from './support/browser';
import { BroadcastBody } from './support/broadcasts';
import { createTenant, issueKey, TestTenant } from './support/factories';
import { describeWithMongo, isolatedMongoUri } from './support/mongo';
import { pollUntil } from './support/polling';
import { createTestApp, TestApp } from './support/test-app';

const basic = (key: string): string => `Basic ${Buffer.from(`operator:${key}`).toString('base64')}`;

describeWithMongo('Queue dashboard at /admin/queues (e2e)', () => {
  let t: TestApp;
  let operator: TestTenant;
  let tenant: TestTenant;

  beforeAll(async () => {
    // QUEUE_DASHBOARD_CLIENTS names a client that exists: a first app (no worker) creates the tenants
    // in the database the app under test then opens with that setting.
    const mongoUri = isolatedMongoUri();
    const setup = await createTestApp({ worker: false, env: { MONGODB_URI: mongoUri } });
    operator = await createTenant(setup.app, { name: 'Operator' });
    tenant = await createTenant(setup.app, { name: 'Another client' });
    await setup.app.close();
    t = await createTestApp({
      env: {
        MONGODB_URI: mongoUri,
        QUEUE_DASHBOARD_CLIENTS: operator.clientId,
        SESSION_RATE_LIMIT_PER_SECOND: '30',
        // Fewer slots than jobs (one per recipient), so that jobs wait in Redis for the dashboard to remove.
        WORKER_CONCURRENCY: '10',
        BROADCAST_PROGRESS_FLUSH_MS: '20',
        SWEEP_INTERVAL_MS: '300',
        SWEEP_PENDING_AGE_MS: '1000',
      },
    });
  });
  afterAll(() => t.close());

  it('asks for a key (HTTP Basic, the key as the password) and refuses bad ones', async () => {
    const missing = await t.http.get('/admin/queues').expect(401);
    expect(missing.headers['www-authenticate']).toMatch(/^Basic realm=/);
    expect(missing.body.message).toMatch(/Missing API key/);
    await t.http.get('/admin/queues/api/queues').set('Authorization', basic('wak_nonsense')).expect(401);
  });

  it('is closed to member keys, and to owners of clients not in QUEUE_DASHBOARD_CLIENTS', async () => {
    const member = await issueKey(t.app, tenant.clientId, Role.Member);
    const refused = await t.http.get('/admin/queues/api/queues').set('x-api-key', member).expect(403);
    expect(refused.body.message).toMatch(/owner or admin key/);
    const otherOwner = await t.http.get('/admin/queues/api/queues').set(tenant.auth).expect(403);
    expect(otherOwner.body.message).toMatch(/QUEUE_DASHBOARD_CLIENTS/);
  });

  it('shows every queue of the app to an owner key of a listed client, in any of the key headers', async () => {
    const listed = await t.http.get('/admin/queues/api/queues').set(operator.auth).expect(200);
    expect(listed.body.queues.map((queue: { name: string }) => queue.name).sort()).toEqual(['broadcast', 'event-webhooks', 'inbound', 'send']);
    const admin = await issueKey(t.app, operator.clientId, Role.Admin);
    await t.http.get('/admin/queues/api/queues').set('ApiKey', admin).expect(200);
    const page = await t.http.get('/admin/queues').set('Authorization', basic(operator.apiKey)).expect(200);
    expect(page.text).toContain('<div id="root">');
  });

  it('removing waiting send jobs there does not break the ledger: the sweep sends those recipients, once', async () => {
    const recipients = Array.from({ length: 300 }, (_, index) => `23481312${String(index).padStart(5, '0')}`);
    const created = await t.http
      .post('/broadcast')
      .set(operator.auth)
      .set(operator.session)
      .send({ send_type: 'individual', to: recipients.join(','), message: { text: 'removed and found' } })
      .expect(201);
    const id = created.body.data._id as string;
    const queue = t.app.get<Queue>(getQueueToken(SEND_QUEUE));
    // 300 jobs, ten running at once at the session's rate: the last ones wait their turn.
    const waiting = await pollUntil(() => queue.getWaiting(), (jobs) => jobs.length >= 3);
    for (const job of waiting.slice(-3)) {
      await t.http.put(`/admin/queues/api/queues/${SEND_QUEUE}/${encodeURIComponent(String(job.id))}/clean`).set(operator.auth).expect(204);
      expect(await queue.getJob(job.id)).toBeNull();
    }
    const finished = await pollUntil(
      async () => (await t.http.get(`/broadcast/${id}`).set(operator.auth).expect(200)).body.data as BroadcastBody,
      (broadcast) => broadcast.status !== 'sending',
      45_000,
    );
    expect(finished.status).toBe('completed');
    expect([...finished.sent].sort()).toEqual([...recipients].sort());
    expect(finished.pending).toEqual([]);
    expect(finished.failed).toEqual([]);
    expect(t.app.get(ProviderRegistry).sandbox.duplicateSends()).toEqual([]);
  });
});

describeWithMongo('Queue dashboard without QUEUE_DASHBOARD_CLIENTS (e2e)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ worker: false });
  });
  afterAll(() => t.close());

  it('is closed even to owner keys, saying which variable opens it', async () => {
    const owner = await createTenant(t.app);
    const refused = await t.http.get('/admin/queues').set(owner.auth).expect(403);
    expect(refused.body.message).toMatch(/closed until QUEUE_DASHBOARD_CLIENTS/);
  });
});

describeWithMongo('Queue dashboard in headless Chromium (e2e)', () => {
  describeWithBrowser('the page', () => {
    let t: TestApp;
    let browser: Browser;
    let baseUrl: string;
    let owner: TestTenant;

    beforeAll(async () => {
      t = await createTestApp({ worker: false, env: { QUEUE_DASHBOARD_CLIENTS: '*' } });
      owner = await createTenant(t.app);
      const server = (await t.app.listen(0, '127.0.0.1')) as Server;
      baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      browser = await launchBrowser();
    });
    afterAll(async () => {
      await browser?.close();
      await t.close();
    });

    it('renders both queues under the security headers, once the browser sends the key', async () => {
      const page = await browser.context.newPage();
      const refusedScripts: string[] = [];
      page.on('console', (message) => {
        if (message.type() === 'error' && /Content Security Policy/i.test(message.text())) refusedScripts.push(message.text());
      });
      await page.setExtraHTTPHeaders({ Authorization: basic(owner.apiKey) });
      await page.goto(`${baseUrl}/admin/queues`);
      await page.getByText('send', { exact: true }).first().waitFor({ timeout: 20_000 });
      await page.getByText('broadcast', { exact: true }).first().waitFor({ timeout: 20_000 });
      expect(refusedScripts.filter((text) => !text.includes('fonts.googleapis.com'))).toEqual([]);
    });
  });
});
