import { getQueueToken } from '@nestjs/bull';
import type { Queue } from 'bull';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Role } from '../src/auth/permissions';
import { Clock } from '../src/core/clock';
import { OperatorCredentialService } from '../src/operator/operator-credential.service';
import { ProviderRegistry } from '../src/sending/provider-registry';
import { SEND_QUEUE } from '../src/sending/sending.jobs';
import { Browser, describeWithBrowser, launchBrowser } from './support/browser';
import { BroadcastBody } from './support/broadcasts';
import { createTenant, issueKey, issueOperatorCredential, TestTenant } from './support/factories';
import { describeWithMongo } from './support/mongo';
import { pollUntil } from './support/polling';
import { createTestApp, TestApp } from './support/test-app';

const basic = (secret: string): string => `Basic ${Buffer.from(`operator:${secret}`).toString('base64')}`;

describeWithMongo('Queue dashboard at /admin/queues (e2e)', () => {
  let t: TestApp;
  let operator: string;
  let tenant: TestTenant;
  let other: TestTenant;

  beforeAll(async () => {
    t = await createTestApp({
      env: {
        SESSION_RATE_LIMIT_PER_SECOND: '30',
        // Fewer slots than jobs (one per recipient), so that jobs wait in Redis for the dashboard to remove.
        WORKER_CONCURRENCY: '10',
        BROADCAST_PROGRESS_FLUSH_MS: '20',
        SWEEP_INTERVAL_MS: '300',
        SWEEP_PENDING_AGE_MS: '1000',
      },
    });
    operator = (await issueOperatorCredential(t.app, 'ops')).credential;
    tenant = await createTenant(t.app, { name: 'A client' });
    other = await createTenant(t.app, { name: 'Another client' });
  });
  afterAll(() => t.close());

  it('asks for an operator credential (HTTP Basic, as the password) and refuses bad ones', async () => {
    const missing = await t.http.get('/admin/queues').expect(401);
    expect(missing.headers['www-authenticate']).toMatch(/^Basic realm="Operator/);
    expect(missing.body.message).toMatch(/Missing operator credential/);
    await t.http.get('/admin/queues/api/queues').set('Authorization', basic('wop_nonsense')).expect(401);
  });

  it("never opens to a tenant's key, whatever its role and whichever header carries it", async () => {
    const admin = await issueKey(t.app, tenant.clientId, Role.Admin);
    const attempts = [
      { Authorization: `Bearer ${tenant.apiKey}` },
      { Authorization: basic(tenant.apiKey) },
      { 'x-api-key': tenant.apiKey },
      { ApiKey: other.apiKey },
      { 'x-api-key': admin },
    ];
    for (const headers of attempts) {
      const refused = await t.http.get(`/admin/queues/api/queues?activeQueue=${SEND_QUEUE}`).set(headers).expect(401);
      expect(refused.body.message).toMatch(/tenant's API key; only an operator credential/);
      expect(JSON.stringify(refused.body)).not.toContain('"jobs"');
    }
  });

  it('shows every queue of the app to an operator credential, in any of the headers', async () => {
    const listed = await t.http.get('/admin/queues/api/queues').set('Authorization', `Bearer ${operator}`).expect(200);
    expect(listed.body.queues.map((queue: { name: string }) => queue.name).sort()).toEqual(['broadcast', 'event-webhooks', 'inbound', 'send']);
    await t.http.get('/admin/queues/api/queues').set('x-api-key', operator).expect(200);
    const page = await t.http.get('/admin/queues').set('Authorization', basic(operator)).expect(200);
    expect(page.text).toContain('<div id="root">');
  });

  it('refuses a revoked operator credential, and an expired one once its time is up (clock injected)', async () => {
    const operators = t.app.get(OperatorCredentialService);
    const revoked = await issueOperatorCredential(t.app, 'leaving');
    await t.http.get('/admin/queues/api/queues').set('Authorization', `Bearer ${revoked.credential}`).expect(200);
    await operators.revoke(revoked.id);
    const refused = await t.http.get('/admin/queues/api/queues').set('Authorization', `Bearer ${revoked.credential}`).expect(401);
    expect(refused.body.message).toMatch(/revoked/);

    const expiresAt = new Date(Date.now() + 3_600_000);
    const temporary = await issueOperatorCredential(t.app, 'contractor', expiresAt);
    await t.http.get('/admin/queues/api/queues').set('Authorization', `Bearer ${temporary.credential}`).expect(200);
    const clock = jest.spyOn(t.app.get(Clock), 'now').mockReturnValue(new Date(expiresAt.getTime() + 1000));
    try {
      const expired = await t.http.get('/admin/queues/api/queues').set('Authorization', `Bearer ${temporary.credential}`).expect(401);
      expect(expired.body.message).toMatch(/expired on/);
    } finally {
      clock.mockRestore();
    }
  });

  it('removing waiting send jobs there does not break the ledger: the sweep sends those recipients, once', async () => {
    const recipients = Array.from({ length: 300 }, (_, index) => `23481312${String(index).padStart(5, '0')}`);
    const created = await t.http
      .post('/broadcast')
      .set(tenant.auth)
      .set(tenant.session)
      .send({ send_type: 'individual', to: recipients.join(','), message: { text: 'removed and found' } })
      .expect(201);
    const id = created.body.data._id as string;
    const queue = t.app.get<Queue>(getQueueToken(SEND_QUEUE));
    // 300 jobs, ten running at once at the session's rate: the last ones wait their turn.
    const waiting = await pollUntil(() => queue.getWaiting(), (jobs) => jobs.length >= 3);
    for (const job of waiting.slice(-3)) {
      await t.http.put(`/admin/queues/api/queues/${SEND_QUEUE}/${encodeURIComponent(String(job.id))}/clean`).set('Authorization', `Bearer ${operator}`).expect(204);
      expect(await queue.getJob(job.id)).toBeNull();
    }
    const finished = await pollUntil(
      async () => (await t.http.get(`/broadcast/${id}`).set(tenant.auth).expect(200)).body.data as BroadcastBody,
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

describeWithMongo('Queue dashboard in headless Chromium (e2e)', () => {
  describeWithBrowser('the page', () => {
    let t: TestApp;
    let browser: Browser;
    let baseUrl: string;
    let operator: string;

    beforeAll(async () => {
      t = await createTestApp({ worker: false });
      operator = (await issueOperatorCredential(t.app)).credential;
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
      await page.setExtraHTTPHeaders({ Authorization: basic(operator) });
      await page.goto(`${baseUrl}/admin/queues`);
      await page.getByText('send', { exact: true }).first().waitFor({ timeout: 20_000 });
      await page.getByText('broadcast', { exact: true }).first().waitFor({ timeout: 20_000 });
      expect(refusedScripts.filter((text) => !text.includes('fonts.googleapis.com'))).toEqual([]);
    });
  });
});
