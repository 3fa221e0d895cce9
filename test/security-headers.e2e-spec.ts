import type { Response } from 'supertest';
import { createTenant, issueOperatorCredential, TestTenant } from './support/factories';
import { describeWithMongo } from './support/mongo';
import { createTestApp, TestApp } from './support/test-app';

const LISTED = 'https://app.example.com';
const UNLISTED = 'https://evil.example.net';

function expectHelmetHeaders(response: Response): void {
  const csp = response.headers['content-security-policy'];
  expect(csp).toContain("default-src 'self'");
  expect(csp).toContain("script-src 'self'");
  expect(csp).toContain("frame-ancestors 'self'");
  expect(csp).not.toContain('upgrade-insecure-requests');
  expect(response.headers['x-content-type-options']).toBe('nosniff');
  expect(response.headers['x-frame-options']).toBe('SAMEORIGIN');
  expect(response.headers['strict-transport-security']).toMatch(/max-age=\d+/);
  expect(response.headers['referrer-policy']).toBe('no-referrer');
  expect(response.headers['x-powered-by']).toBeUndefined();
}

describeWithMongo('Security headers and CORS (e2e)', () => {
  let closed: TestApp;
  let open: TestApp;
  let tenant: TestTenant;

  beforeAll(async () => {
    closed = await createTestApp({ worker: false });
    open = await createTestApp({ worker: false, env: { CORS_ORIGINS: `${LISTED}, http://localhost:5173` } });
    tenant = await createTenant(open.app);
  });
  afterAll(async () => {
    await closed?.close();
    await open?.close();
  });

  it("sets helmet's headers on API answers, errors, health and the docs page", async () => {
    expectHelmetHeaders(await open.http.get('/sessions').set(tenant.auth).expect(200));
    expectHelmetHeaders(await open.http.get('/sessions').expect(401));
    expectHelmetHeaders(await closed.http.get('/health').expect(200));
    const docs = await closed.http.get('/docs').expect(200);
    expectHelmetHeaders(docs);
    // What Swagger UI needs (the docs-page suite renders it in Chromium under this policy).
    expect(docs.headers['content-security-policy']).toMatch(/style-src [^;]*'unsafe-inline'/);
    expect(docs.headers['content-security-policy']).toMatch(/img-src [^;]*data:/);
  });

  it('sends no CORS headers without CORS_ORIGINS, so browsers keep other origins out', async () => {
    const response = await closed.http.get('/health').set('Origin', LISTED).expect(200);
    expect(response.headers['access-control-allow-origin']).toBeUndefined();
    const preflight = await closed.http.options('/broadcast').set('Origin', LISTED).set('Access-Control-Request-Method', 'POST');
    expect(preflight.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('allows the listed origins only, with the key headers, and exposes the rate-limit headers', async () => {
    const response = await open.http.get('/sessions').set(tenant.auth).set('Origin', LISTED).expect(200);
    expect(response.headers['access-control-allow-origin']).toBe(LISTED);
    expect(response.headers.vary).toMatch(/Origin/);
    expect(response.headers['access-control-expose-headers']).toEqual(expect.stringContaining('X-RateLimit-Remaining'));
    expect(response.headers['access-control-expose-headers']).toEqual(expect.stringContaining('Retry-After'));
    expect(response.headers['access-control-allow-credentials']).toBeUndefined();

    const preflight = await open.http
      .options('/broadcast')
      .set('Origin', 'http://localhost:5173')
      .set('Access-Control-Request-Method', 'POST')
      .set('Access-Control-Request-Headers', 'x-api-key, content-type')
      .expect(204);
    expect(preflight.headers['access-control-allow-origin']).toBe('http://localhost:5173');
    expect(preflight.headers['access-control-allow-methods']).toContain('POST');
    expect(preflight.headers['access-control-allow-headers']).toEqual(expect.stringContaining('X-Api-Key'));

    const unlisted = await open.http.get('/sessions').set(tenant.auth).set('Origin', UNLISTED).expect(200);
    expect(unlisted.headers['access-control-allow-origin']).toBeUndefined();
  });
});

describeWithMongo('No X-Powered-By anywhere: every documented route, the queue dashboard and its assets (e2e)', () => {
  let t: TestApp;
  let tenant: TestTenant;
  let operator: string;

  beforeAll(async () => {
    t = await createTestApp({ worker: false });
    tenant = await createTenant(t.app);
    operator = (await issueOperatorCredential(t.app)).credential;
  });
  afterAll(() => t.close());

  it('walks every operation of /docs-json (ids filled in, no body) and finds the header on none', async () => {
    const spec = (await t.http.get('/docs-json').expect(200)).body as { paths: Record<string, Record<string, unknown>> };
    const operations = Object.entries(spec.paths).flatMap(([path, methods]) =>
      Object.keys(methods)
        .filter((method) => ['get', 'post', 'put', 'patch', 'delete'].includes(method))
        .map((method) => ({ method: method as 'get' | 'post' | 'put' | 'patch' | 'delete', path: path.replace(/\{[^}]+\}/g, '6571f1b2c3d4e5f6a7b8c9d0') })),
    );
    expect(operations.length).toBeGreaterThan(40);
    for (const { method, path } of operations) {
      const response = await t.http[method](path).set(tenant.auth);
      expect({ method, path, poweredBy: response.headers['x-powered-by'] }).toEqual({ method, path, poweredBy: undefined });
    }
    for (const path of ['/docs', '/docs-json', '/health', '/no-such-route']) {
      expect((await t.http.get(path)).headers['x-powered-by']).toBeUndefined();
    }
  });

  it("answers the dashboard, its API and every asset its page loads without it, under the API's security headers", async () => {
    const auth = { Authorization: `Bearer ${operator}` };
    const page = await t.http.get('/admin/queues').set(auth).expect(200);
    expectHelmetHeaders(page);
    // The page's <base href> is /admin/queues/: its scripts and styles are relative to it.
    const assets = [...page.text.matchAll(/(?:src|href)="([^"]+)"/g)]
      .map(([, url]) => (url.startsWith('static/') ? `/admin/queues/${url}` : url))
      .filter((url) => url.startsWith('/admin/queues/static/'));
    expect(assets.filter((url) => url.endsWith('.js')).length).toBeGreaterThan(1);
    for (const asset of [...assets, '/admin/queues/api/queues']) {
      const response = await t.http.get(asset).set(auth).expect(200);
      expectHelmetHeaders(response);
    }
    // Refusals too.
    expectHelmetHeaders(await t.http.get('/admin/queues').expect(401));
    expectHelmetHeaders(await t.http.get('/admin/queues').set(tenant.auth).expect(401));
  });
});
