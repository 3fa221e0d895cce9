import { Role } from '../src/auth/permissions';
import { TenancyService } from '../src/auth/tenancy.service';
import { createTenant, issueKey, TestTenant } from './support/factories';
import { describeWithMongo } from './support/mongo';
import { createTestApp, TestApp } from './support/test-app';

describeWithMongo('Authentication and tenancy (e2e)', () => {
  let t: TestApp;
  let alice: TestTenant;
  let bob: TestTenant;

  beforeAll(async () => {
    t = await createTestApp({ worker: false });
    alice = await createTenant(t.app, { name: 'Alice' });
    bob = await createTenant(t.app, { name: 'Bob' });
  });
  afterAll(() => t.close());

  it.each([
    ['Authorization: Bearer', (key: string) => ({ Authorization: `Bearer ${key}` })],
    ['ApiKey', (key: string) => ({ ApiKey: key })],
    ['x-api-key', (key: string) => ({ 'x-api-key': key })],
  ])('accepts a key in %s', async (_name, headers) => {
    const response = await t.http.get('/sessions').set(headers(alice.apiKey)).expect(200);
    expect(response.body.status).toBe(true);
    expect(response.body.data.map((session: { session_id: string }) => session.session_id)).toEqual([alice.sessionId]);
  });

  it('answers 401 in the envelope without a key', async () => {
    const response = await t.http.get('/sessions').expect(401);
    expect(response.body).toEqual({ status: false, message: expect.stringMatching(/Missing API key/), errors: [expect.any(String)] });
  });

  it('answers 401 for an unknown key and for a malformed one', async () => {
    const forged = alice.apiKey.slice(0, -4) + 'AAAA';
    await t.http.get('/sessions').set('x-api-key', forged).expect(401);
    const response = await t.http.get('/sessions').set('ApiKey', 'not-a-key').expect(401);
    expect(response.body.message).toMatch(/Invalid API key in ApiKey/);
  });

  it('answers 401 when two headers carry keys of different clients, and accepts two keys of one client', async () => {
    const response = await t.http.get('/sessions').set(alice.auth).set('x-api-key', bob.apiKey).expect(401);
    expect(response.body.message).toMatch(/different clients/);
    const second = await issueKey(t.app, alice.clientId, Role.Member);
    await t.http.get('/sessions').set(alice.auth).set('x-api-key', second).expect(200);
  });

  it('answers 401 for a revoked key', async () => {
    const key = await issueKey(t.app, alice.clientId, Role.Owner);
    await t.http.get('/sessions').set('x-api-key', key).expect(200);
    await t.app.get(TenancyService).revokeApiKey(key.split('_')[1]);
    const response = await t.http.get('/sessions').set('x-api-key', key).expect(401);
    expect(response.body.message).toMatch(/revoked/);
  });

  it('answers 403 when the key lacks the permission', async () => {
    const readOnly = await issueKey(t.app, alice.clientId, Role.ReadOnly);
    const response = await t.http
      .post('/sessions')
      .set('x-api-key', readOnly)
      .send({ name: 'second', provider: 'sandbox' })
      .expect(403);
    expect(response.body.message).toMatch(/session:manage/);
    expect(await t.app.get(TenancyService).listSessions(alice.clientId)).toHaveLength(1);
  });

  it('checks session credentials from headers, query string and body', async () => {
    await t.http.get('/sessions').set(alice.auth).set(alice.session).expect(200);
    await t.http.get('/sessions').set(alice.auth).query({ session_id: alice.sessionId, access_token: alice.accessToken }).expect(200);
    await t.http.get('/sessions').set(alice.auth).send({ session_id: alice.sessionId, access_token: alice.accessToken }).expect(200);
  });

  it('answers 401 when the access_token does not match the session, or the session is another client\'s', async () => {
    const mismatch = await t.http
      .get('/sessions')
      .set(alice.auth)
      .set({ 'X-Session-Id': alice.sessionId, 'X-Access-Token': bob.accessToken })
      .expect(401);
    expect(mismatch.body.message).toBe('Invalid session_id or access_token');
    await t.http.get('/sessions').set(alice.auth).set(bob.session).expect(401);
    await t.http.get('/sessions').set(alice.auth).query({ session_id: alice.sessionId }).expect(401);
  });

  it("answers 404 for another client's record, exactly as for a missing one", async () => {
    const foreign = await t.http.get(`/sessions/${bob.sessionId}`).set(alice.auth).expect(404);
    const missing = await t.http.get('/sessions/64ac509d05a7cc2b8c2bd9ab').set(alice.auth).expect(404);
    expect(foreign.body.errors).toHaveLength(1);
    expect(Object.keys(foreign.body)).toEqual(Object.keys(missing.body));
    await t.http.get(`/sessions/${alice.sessionId}`).set(alice.auth).expect(200);
  });

  it('creates a session through the API, returning its token once and never its credentials', async () => {
    const created = await t.http
      .post('/sessions')
      .set(alice.auth)
      .send({ name: 'cloud', provider: 'cloud-api', credentials: { access_token: 'EAAG-secret', phone_number_id: '123', app_secret: 'app-secret', verify_token: 'verify' } })
      .expect(201);
    expect(created.body.data.access_token).toMatch(/^st_/);
    expect(JSON.stringify(created.body)).not.toContain('EAAG-secret');
    const listed = await t.http.get('/sessions').set(alice.auth).expect(200);
    expect(JSON.stringify(listed.body)).not.toContain('EAAG-secret');
    expect(JSON.stringify(listed.body)).not.toContain(created.body.data.access_token);
  });

  it('rejects unknown fields and wrong types with 400 naming them, writing nothing', async () => {
    const before = (await t.app.get(TenancyService).listSessions(bob.clientId)).length;
    const response = await t.http.post('/sessions').set(bob.auth).send({ name: 5, provider: 'pigeon', admin: true }).expect(400);
    expect(response.body.status).toBe(false);
    const errors = response.body.errors.join('\n');
    expect(errors).toMatch(/property admin should not exist/);
    expect(errors).toMatch(/name must be a string/);
    expect(errors).toMatch(/provider must be one of: sandbox, cloud-api/);
    expect(await t.app.get(TenancyService).listSessions(bob.clientId)).toHaveLength(before);
  });

  it('answers 400 for a non-ObjectId id', async () => {
    const response = await t.http.get('/sessions/not-an-id').set(alice.auth).expect(400);
    expect(response.body.errors).toEqual(['id must be a 24-character hexadecimal id']);
  });
});
