import { createTenant, TestTenant } from './support/factories';
import { describeWithMongo } from './support/mongo';
import { createTestApp, TestApp } from './support/test-app';

describeWithMongo('HTTP basics: envelopes, docs and health (e2e)', () => {
  let t: TestApp;
  let tenant: TestTenant;

  beforeAll(async () => {
    t = await createTestApp({ worker: false, env: { BODY_LIMIT: '2kb' } });
    tenant = await createTenant(t.app);
  });
  afterAll(() => t.close());

  it('answers unknown routes with 404 in each envelope family', async () => {
    expect((await t.http.get('/nothing-here').expect(404)).body).toEqual({
      status: false,
      message: 'No route for GET /nothing-here',
      errors: ['No route for GET /nothing-here'],
    });
    expect((await t.http.delete('/api/whatsapp-log/x/nothing').expect(404)).body).toEqual({
      error: 'No route for DELETE /api/whatsapp-log/x/nothing',
    });
    expect((await t.http.put('/v1/contacts/123/messages').expect(404)).body).toEqual({
      statusCode: 404,
      error: 'Not Found',
      message: 'No route for PUT /v1/contacts/123/messages',
    });
    expect((await t.http.delete('/api/v1/external/api-requests').expect(404)).body).toEqual({
      code: 404,
      message: 'No route for DELETE /api/v1/external/api-requests',
      success: false,
    });
  });

  it('answers a wrong key with 401 in each envelope family', async () => {
    const wrong = { 'x-api-key': 'wak_000000000000000000000000_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' };
    const message = 'Invalid API key in x-api-key';
    expect((await t.http.get('/broadcast').set(wrong).expect(401)).body).toEqual({ status: false, message, errors: [message] });
    expect((await t.http.post('/api/whatsapp-log/count').set(wrong).expect(401)).body).toEqual({ error: message });
    expect((await t.http.get('/v1/contacts/2348179803743/messages').set(wrong).expect(401)).body).toEqual({
      statusCode: 401,
      error: 'Unauthorized',
      message,
    });
    expect((await t.http.get('/api/v1/external/api-requests').set(wrong).expect(401)).body).toEqual({ code: 401, message, success: false });
  });

  it('answers malformed JSON with 400 and oversized bodies with 413', async () => {
    const malformed = await t.http.post('/sessions').set(tenant.auth).set('Content-Type', 'application/json').send('{"name": ').expect(400);
    expect(malformed.body.status).toBe(false);
    expect(malformed.body.message).toMatch(/not valid JSON/);
    const big = await t.http.post('/sessions').set(tenant.auth).send({ name: 'x'.repeat(5000), provider: 'sandbox' }).expect(413);
    expect(big.body.status).toBe(false);
    expect(big.body.message).toMatch(/larger than the \d+ bytes allowed \(the server's BODY_LIMIT\)$/);
    const bigBroadcast = await t.http.post('/broadcast').set(tenant.auth).send({ to: '2348179803743,'.repeat(400), message: { text: 'x' } }).expect(413);
    expect(bigBroadcast.body.message).toMatch(/BODY_LIMIT\); send long recipient lists as a CSV file to POST \/broadcast\/csv$/);
  });

  it('serves the OpenAPI document with the three API-key schemes, and the Swagger UI', async () => {
    const document = (await t.http.get('/docs-json').expect(200)).body;
    expect(Object.keys(document.components.securitySchemes).sort()).toEqual(['ApiKey', 'bearer', 'x-api-key']);
    expect(document.components.securitySchemes['x-api-key']).toMatchObject({ type: 'apiKey', in: 'header', name: 'x-api-key' });
    expect(document.paths['/sessions'].get.security).toEqual(expect.arrayContaining([{ bearer: [] }, { ApiKey: [] }, { 'x-api-key': [] }]));
    const ui = await t.http.get('/docs').expect(200);
    expect(ui.text).toContain('swagger-ui');
  });

  it('reports MongoDB and Redis up on GET /health without a key', async () => {
    const response = await t.http.get('/health').expect(200);
    expect(response.body.status).toBe('ok');
    expect(response.body.details.mongodb.status).toBe('up');
    expect(response.body.details.redis.status).toBe('up');
  });
});
