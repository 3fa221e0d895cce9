import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import request from 'supertest';
import type { AppConfig } from '../src/config';
import { AppMetrics, WorkerMetricsServer } from '../src/metrics';
import { QueueSampler } from '../src/metrics/queue-sampler';
import { BroadcastBody } from './support/broadcasts';
import { createTenant, issueOperatorCredential, TestTenant } from './support/factories';
import { describeWithMongo } from './support/mongo';
import { pollUntil } from './support/polling';
import { createTestApp, TestApp } from './support/test-app';

const RECIPIENTS = ['2348031230001', '2348031230002', '2348031230003', '2348031239999'];

/** The value of one sample line (`name{labels} value`), or undefined when the exposition has none. */
function sample(exposition: string, name: string, labels: Record<string, string> = {}): number | undefined {
  const wanted = Object.entries(labels).map(([label, value]) => `${label}="${value}"`);
  const line = exposition
    .split('\n')
    .find((text) => text.startsWith(`${name}{`) || text.startsWith(`${name} `) ? wanted.every((pair) => text.includes(pair)) : false);
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

describeWithMongo('GET /metrics (e2e)', () => {
  let t: TestApp;
  let alice: TestTenant;
  let operator: string;

  beforeAll(async () => {
    t = await createTestApp({ env: { BROADCAST_PROGRESS_FLUSH_MS: '20', METRICS_QUEUE_SAMPLE_MS: '1000' } });
    alice = await createTenant(t.app, { name: 'Alice' });
    operator = (await issueOperatorCredential(t.app)).credential;
  });
  afterAll(() => t.close());

  const scrape = async (): Promise<string> => {
    const response = await t.http.get('/metrics').set('Authorization', `Bearer ${operator}`).expect(200);
    expect(response.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
    return response.text;
  };

  it('counts a broadcast: provider calls by outcome and error code, their latency, recipients moved, per route pattern', async () => {
    const created = await t.http
      .post('/broadcast')
      .set(alice.auth)
      .set(alice.session)
      .send({ send_type: 'individual', to: RECIPIENTS.join(','), message: { text: 'counted' } })
      .expect(201);
    const id = created.body.data._id as string;
    await pollUntil(
      async () => (await t.http.get(`/broadcast/${id}`).set(alice.auth).expect(200)).body.data as BroadcastBody,
      (broadcast) => broadcast.status !== 'sending',
    );
    const text = await pollUntil(scrape, (exposition) => sample(exposition, 'whatsapp_broadcast_recipients_total', { outcome: 'failed' }) === 1);

    expect(sample(text, 'whatsapp_messages_sent_total', { provider: 'sandbox' })).toBe(3);
    const failed = text.split('\n').filter((line) => line.startsWith('whatsapp_messages_failed_total{'));
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatch(/provider="sandbox"/);
    expect(failed[0]).toMatch(/kind="permanent"/);
    expect(sample(text, 'whatsapp_provider_request_duration_seconds_count', { provider: 'sandbox', outcome: 'sent' })).toBe(3);
    expect(sample(text, 'whatsapp_broadcast_recipients_total', { outcome: 'sent' })).toBe(3);

    // Routes are patterns: the broadcast's id never becomes a label value, nor does any phone number.
    expect(sample(text, 'whatsapp_http_request_duration_seconds_count', { method: 'GET', route: '/broadcast/:id', status: '200' })).toBeGreaterThan(0);
    expect(sample(text, 'whatsapp_http_request_duration_seconds_count', { method: 'POST', route: '/broadcast', status: '201' })).toBe(1);
    expect(text).not.toContain(id);
    for (const number of RECIPIENTS) expect(text).not.toContain(number);
  });

  it("is the operator's without METRICS_TOKEN: no credential and a tenant's owner key get 401, an operator credential is served", async () => {
    const anonymous = await t.http.get('/metrics').expect(401);
    expect(anonymous.headers['www-authenticate']).toMatch(/^Bearer/);
    const tenantKey = await t.http.get('/metrics').set(alice.auth).expect(401);
    expect(tenantKey.body.message).toMatch(/tenant's API key; only an operator credential/);
    await t.http.get('/metrics').set('x-api-key', alice.apiKey).expect(401);
    await t.http.get('/metrics').set('Authorization', `Bearer ${operator}`).expect(200);
  });

  it('labels requests no route matched as such, not by their path', async () => {
    await t.http.get('/no/such/route/2348031230001').set(alice.auth).expect(404);
    const text = await scrape();
    expect(sample(text, 'whatsapp_http_request_duration_seconds_count', { method: 'GET', route: 'unmatched', status: '404' })).toBeGreaterThan(0);
    expect(text).not.toContain('/no/such/route');
  });

  it('samples every queue by state, and Node process metrics', async () => {
    await t.app.get(QueueSampler).sample();
    const text = await scrape();
    for (const queue of ['broadcast', 'send']) {
      for (const state of ['waiting', 'active', 'delayed', 'failed']) {
        expect(sample(text, 'whatsapp_queue_jobs', { queue, state })).toBeGreaterThanOrEqual(0);
      }
    }
    expect(sample(text, 'process_cpu_user_seconds_total')).toBeGreaterThan(0);
    expect(sample(text, 'nodejs_eventloop_lag_seconds')).toBeGreaterThanOrEqual(0);
  });

  it('serves every metric the Grafana dashboard in deploy/grafana queries', async () => {
    const dashboard = readFileSync(join(__dirname, '..', 'deploy', 'grafana', 'whatsapp-backend.json'), 'utf8');
    const queried = new Set([...dashboard.matchAll(/\b((?:whatsapp|process|nodejs)_[a-z0-9_]+)/g)].map(([, name]) => name));
    const text = await scrape();
    // Declared metrics (with or without samples yet), histograms with their series.
    const served = new Set(
      [...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].flatMap(([, name, type]) =>
        type === 'histogram' ? [`${name}_bucket`, `${name}_sum`, `${name}_count`] : [name],
      ),
    );
    expect([...queried].filter((name) => !served.has(name))).toEqual([]);
    expect(queried.size).toBeGreaterThan(8);
  });

  it('counts event-webhook deliveries by outcome, through the recording method other features call', async () => {
    const metrics = t.app.get(AppMetrics);
    metrics.recordEventWebhookDelivery('delivered');
    metrics.recordEventWebhookDelivery('delivered');
    metrics.recordEventWebhookDelivery('gave_up');
    const text = await scrape();
    expect(sample(text, 'whatsapp_event_webhook_deliveries_total', { outcome: 'delivered' })).toBe(2);
    expect(sample(text, 'whatsapp_event_webhook_deliveries_total', { outcome: 'gave_up' })).toBe(1);
  });

  it('keeps error codes a bounded label: odd ones and those past the first hundred are "other"', async () => {
    const metrics = t.app.get(AppMetrics);
    metrics.recordProviderFailed('cloud-api', { code: 'not a code: +2348031230001', kind: 'permanent' }, 0.01);
    for (let code = 0; code < 120; code++) metrics.recordProviderFailed('cloud-api', { code: `c${code}`, kind: 'transient' }, 0.01);
    const codes = new Set(
      (await scrape())
        .split('\n')
        .filter((line) => line.startsWith('whatsapp_messages_failed_total{'))
        .map((line) => /error_code="([^"]*)"/.exec(line)?.[1]),
    );
    expect(codes.size).toBeLessThanOrEqual(101);
    expect(codes).toContain('other');
    expect([...codes].some((code) => code?.includes('2348031230001'))).toBe(false);
  });
});

describeWithMongo('GET /metrics with METRICS_TOKEN, and the worker\'s metrics port (e2e)', () => {
  const TOKEN = 'metrics-token-0123456789';
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ env: { METRICS_TOKEN: TOKEN, METRICS_PORT: '0' } });
  });
  afterAll(() => t.close());

  it('needs the bearer token on the API port, and no API key', async () => {
    const refused = await t.http.get('/metrics').expect(401);
    expect(refused.headers['www-authenticate']).toMatch(/^Bearer/);
    await t.http.get('/metrics').set('Authorization', 'Bearer wrong-token-0123456789').expect(401);
    const served = await t.http.get('/metrics').set('Authorization', `Bearer ${TOKEN}`).expect(200);
    expect(served.text).toContain('# TYPE whatsapp_http_request_duration_seconds histogram');
  });

  it("takes an operator credential too, never a tenant's key", async () => {
    const { credential } = await issueOperatorCredential(t.app);
    await t.http.get('/metrics').set('Authorization', `Bearer ${credential}`).expect(200);
    const owner = await createTenant(t.app);
    const refused = await t.http.get('/metrics').set(owner.auth).expect(401);
    expect(refused.body.message).toMatch(/an operator credential or METRICS_TOKEN/);
  });

  it("serves the same registry on the worker's own port, with the same token", async () => {
    const port = await t.app.get(WorkerMetricsServer).listen();
    const worker = request(`http://127.0.0.1:${port}`);
    await worker.get('/metrics').expect(401);
    const served = await worker.get('/metrics').set('Authorization', `Bearer ${TOKEN}`).expect(200);
    expect(served.text).toContain('# TYPE whatsapp_queue_jobs gauge');
    await worker.get('/other').set('Authorization', `Bearer ${TOKEN}`).expect(404);
  });

  it('refuses to start on a METRICS_PORT that was set and is taken, saying what to do', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, resolve));
    try {
      const port = (taken.address() as AddressInfo).port;
      const config = { ...t.config, metrics: { ...t.config.metrics, workerPort: port } } as AppConfig;
      await expect(new WorkerMetricsServer(t.app.get(AppMetrics), config).listen()).rejects.toThrow(
        `METRICS_PORT ${port} is already in use (another worker on this machine?): give each worker its own METRICS_PORT, or 0 for any free port`,
      );
    } finally {
      taken.close();
    }
  });
});
