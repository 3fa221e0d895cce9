import { randomBytes } from 'node:crypto';
import type { Response } from 'supertest';
import { Role } from '../src/auth/permissions';
import { TenancyService } from '../src/auth/tenancy.service';
import { createTenant, issueKey, TestTenant } from './support/factories';
import { describeWithMongo, isolatedMongoUri } from './support/mongo';
import { createTestApp, TestApp } from './support/test-app';

/** Two API processes as production runs them: one Redis (same key prefix), one database. */
async function twoApiProcesses(env: Record<string, string>): Promise<[TestApp, TestApp]> {
  const shared = { MONGODB_URI: isolatedMongoUri(), QUEUE_PREFIX: `t${randomBytes(4).toString('hex')}`, ...env };
  return [await createTestApp({ worker: false, env: shared }), await createTestApp({ worker: false, env: shared })];
}

function expectRateLimitHeaders(response: Response, limit: number, remaining: number): void {
  expect(response.headers['x-ratelimit-limit']).toBe(String(limit));
  expect(response.headers['x-ratelimit-remaining']).toBe(String(remaining));
  expect(Number(response.headers['x-ratelimit-reset'])).toBeGreaterThan(0);
  expect(Number(response.headers['x-ratelimit-reset'])).toBeLessThanOrEqual(60);
}

function expectRefusalHeaders(response: Response, limit: number): void {
  expectRateLimitHeaders(response, limit, 0);
  const retryAfter = Number(response.headers['retry-after']);
  expect(retryAfter).toBeGreaterThan(0);
  expect(retryAfter).toBeLessThanOrEqual(60);
}

describeWithMongo('Rate limits shared by two API processes (e2e)', () => {
  let a: TestApp;
  let b: TestApp;

  beforeAll(async () => {
    [a, b] = await twoApiProcesses({
      RATE_LIMIT_PER_MINUTE: '6',
      RATE_LIMIT_EXPENSIVE_PER_MINUTE: '2',
      RATE_LIMIT_PUBLIC_PER_MINUTE: '4',
    });
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
  });

  it('counts one limit per API key across both processes, then answers 429 with Retry-After', async () => {
    const tenant = await createTenant(a.app);
    for (let request = 1; request <= 6; request += 1) {
      const response = await (request % 2 ? a : b).http.get('/sessions').set(tenant.auth).expect(200);
      expectRateLimitHeaders(response, 6, 6 - request);
    }
    const refused = await b.http.get('/sessions').set(tenant.auth).expect(429);
    expect(refused.body).toEqual({
      status: false,
      message: expect.stringMatching(/^Rate limit exceeded: this API key may make 6 requests per minute; retry in \d+ s$/),
      errors: [refused.body.message],
    });
    expectRefusalHeaders(refused, 6);
    await a.http.get('/sessions').set(tenant.auth).expect(429);

    // Per key, not per client or address: the client's other key still has its whole minute.
    const otherKey = await issueKey(a.app, tenant.clientId, Role.Owner);
    expectRateLimitHeaders(await a.http.get('/sessions').set('x-api-key', otherKey).expect(200), 6, 5);
  });

  it('holds expensive routes to their stricter limit, each route on its own, in its envelope', async () => {
    const tenant = await createTenant(a.app);
    const first = await a.http.post('/api/whatsapp-log/count').set(tenant.auth).send({}).expect(200);
    // The tightest limit on the route is the one shown.
    expectRateLimitHeaders(first, 2, 1);
    await b.http.post('/api/whatsapp-log/count').set(tenant.auth).send({}).expect(200);
    const refused = await a.http.post('/api/whatsapp-log/count').set(tenant.auth).send({}).expect(429);
    expect(refused.body).toEqual({
      error: expect.stringMatching(/^Rate limit exceeded: this API key may call POST \/api\/whatsapp-log\/count 2 times per minute; retry in \d+ s$/),
    });
    expectRefusalHeaders(refused, 2);

    // Another expensive route has its own count; ordinary routes only the key's overall one (4 of 6 used by now).
    await b.http.post('/api/whatsapp-log/get-list').set(tenant.auth).send({}).expect(200);
    expectRateLimitHeaders(await a.http.get('/sessions').set(tenant.auth).expect(200), 6, 1);
  });

  it("applies a key's own limit, set from the CLI's service, and answers 429 in each envelope family", async () => {
    const tenancy = a.app.get(TenancyService);
    const tenant: TestTenant = await createTenant(a.app);
    const external = await issueKey(a.app, tenant.clientId, Role.Owner);
    const contacts = await issueKey(a.app, tenant.clientId, Role.Owner);
    for (const key of [external, contacts]) {
      expect(await tenancy.setApiKeyRateLimits(key.split('_')[1], { perMinute: 1 })).toMatchObject({ rate_limit_per_minute: 1 });
    }

    expectRateLimitHeaders(await a.http.get('/api/v1/external/api-requests').set('x-api-key', external).expect(200), 1, 0);
    const externalRefusal = await b.http.get('/api/v1/external/api-requests').set('x-api-key', external).expect(429);
    expect(externalRefusal.body).toEqual({
      code: 429,
      message: expect.stringMatching(/this API key may make 1 requests per minute/),
      success: false,
    });
    expectRefusalHeaders(externalRefusal, 1);

    await a.http.get('/v1/contacts/2348179803743/messages').set('x-api-key', contacts).expect(200);
    const contactsRefusal = await b.http.get('/v1/contacts/2348179803743/messages').set('x-api-key', contacts).expect(429);
    expect(contactsRefusal.body).toEqual({
      statusCode: 429,
      error: 'Too Many Requests',
      message: expect.stringMatching(/this API key may make 1 requests per minute/),
    });

    // The tenant's own key keeps the configured default.
    expectRateLimitHeaders(await a.http.get('/sessions').set(tenant.auth).expect(200), 6, 5);
  });

  it('counts routes without a key per address, across both processes', async () => {
    for (let request = 1; request <= 4; request += 1) {
      expectRateLimitHeaders(await (request % 2 ? a : b).http.get('/health').expect(200), 4, 4 - request);
    }
    const refused = await a.http.get('/health').expect(429);
    expect(refused.body).toEqual({
      status: false,
      message: expect.stringMatching(/^Too many requests from this address: 4 per minute allowed; retry in \d+ s$/),
      errors: [refused.body.message],
    });
    expectRefusalHeaders(refused, 4);
  });

  it('documents the 429 and its headers on every operation, and the stricter limit on the expensive ones', async () => {
    const document = (await a.http.get('/docs-json').expect(200)).body as {
      paths: Record<string, Record<string, { responses: Record<string, { description: string; headers?: Record<string, unknown> }> }>>;
    };
    const operations = Object.entries(document.paths).flatMap(([path, item]) =>
      Object.entries(item).map(([method, operation]) => ({ name: `${method.toUpperCase()} ${path}`, tooMany: operation.responses['429'] })),
    );
    expect(operations.filter(({ tooMany }) => !tooMany).map(({ name }) => name)).toEqual([]);
    for (const { tooMany } of operations) {
      expect(Object.keys(tooMany.headers ?? {}).sort()).toEqual(['Retry-After', 'X-RateLimit-Limit', 'X-RateLimit-Remaining', 'X-RateLimit-Reset']);
    }
    const stricter = operations.filter(({ tooMany }) => tooMany.description.includes('RATE_LIMIT_EXPENSIVE_PER_MINUTE')).map(({ name }) => name);
    expect(stricter.sort()).toEqual(
      [
        'POST /broadcast',
        'POST /broadcast/csv',
        'POST /attachment',
        'GET /api/whatsapp-log/get-list',
        'POST /api/whatsapp-log/get-list',
        'GET /api/whatsapp-log/{id}/get-item',
        'POST /api/whatsapp-log/{id}/get-item',
        'POST /api/whatsapp-log/count',
        'POST /contacts/import',
        'GET /contacts/export',
        // A whole list checked against contacts and the messaging limit, or a whole broadcast streamed.
        'POST /broadcast/plan',
        'POST /broadcast/csv/plan',
        'GET /broadcast/{id}/recipients.csv',
        // Each a round of Graph API calls.
        'POST /templates',
        'POST /templates/sync',
      ].sort(),
    );
  });
});

describeWithMongo('Failed authentications slowed down per address (e2e)', () => {
  let a: TestApp;
  let b: TestApp;

  beforeAll(async () => {
    [a, b] = await twoApiProcesses({ AUTH_FAILURE_LIMIT_PER_MINUTE: '3' });
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
  });

  it('answers 429 to an address after 3 failed authentications in a minute, in either process, even with a good key', async () => {
    const tenant = await createTenant(a.app);
    await a.http.get('/sessions').set(tenant.auth).expect(200);
    const wrong = `wak_${'0'.repeat(24)}_${'A'.repeat(43)}`;
    await a.http.get('/sessions').set('x-api-key', wrong).expect(401);
    await b.http.get('/broadcast').expect(401);
    await a.http.post('/api/whatsapp-log/count').set('x-api-key', wrong).expect(401);

    const refused = await b.http.get('/sessions').set('x-api-key', wrong).expect(429);
    expect(refused.body.message).toMatch(/^Too many failed authentications from this address: 3 per minute allowed; retry in \d+ s$/);
    expectRefusalHeaders(refused, 3);
    // Checked before the key, so that guessing gets no answer about the key until the minute is over.
    const withGoodKey = await a.http.post('/api/whatsapp-log/count').set(tenant.auth).expect(429);
    expect(withGoodKey.body).toEqual({ error: expect.stringMatching(/Too many failed authentications/) });
    // Routes that need no key are not affected.
    await b.http.get('/health').expect(200);
  });
});
