import { gzipSync } from 'node:zlib';
import { createTenant, TestTenant } from './support/factories';
import { describeWithMongo } from './support/mongo';
import { createTestApp, TestApp } from './support/test-app';

/** `{"a":{"a":...}}` nested `depth` levels: valid JSON that recursive validators cannot walk. */
function nestedJson(depth: number): string {
  return '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
}

describeWithMongo('Hostile input answers 4xx naming the problem and writes nothing (e2e)', () => {
  let t: TestApp;
  let tenant: TestTenant;

  beforeAll(async () => {
    t = await createTestApp({ worker: false });
    tenant = await createTenant(t.app);
  });
  afterAll(() => t.close());

  async function contactCount(): Promise<number> {
    return (await t.http.get('/contacts').set(tenant.auth).expect(200)).body.pagination.total as number;
  }

  it('answers a body in an unsupported charset with 415, in the envelope of its path', async () => {
    const body = JSON.stringify({ name: 'Ada', phone: '2348179803743' });
    const contacts = await t.http.post('/contacts').set(tenant.auth).set('Content-Type', 'application/json; charset=latin1').send(body).expect(415);
    expect(contacts.body).toEqual({
      status: false,
      message: 'Request body charset "latin1" is not supported; send UTF-8',
      errors: ['Request body charset "latin1" is not supported; send UTF-8'],
    });
    const count = await t.http.post('/api/whatsapp-log/count').set(tenant.auth).set('Content-Type', 'application/json; charset=latin1').send('{}').expect(415);
    expect(count.body).toEqual({ error: 'Request body charset "latin1" is not supported; send UTF-8' });
    expect(await contactCount()).toBe(0);
  });

  it('answers an unknown or corrupt Content-Encoding with a 4xx, and still reads real gzip', async () => {
    const unknown = await t.http.post('/contacts').set(tenant.auth).set('Content-Type', 'application/json').set('Content-Encoding', 'x-foo').send('{}').expect(415);
    expect(unknown.body.message).toBe('Content-Encoding "x-foo" is not supported; send identity, gzip, deflate or br');
    const corrupt = await t.http.post('/contacts').set(tenant.auth).set('Content-Type', 'application/json').set('Content-Encoding', 'gzip').send('not gzip').expect(400);
    // zlib's own reason follows in parentheses (jest's sandbox hides it behind "Bad Request": the error crosses realms)
    expect(corrupt.body.message).toMatch(/^Request body could not be decompressed as Content-Encoding "gzip" \(.+\)$/);
    expect(await contactCount()).toBe(0);

    const gzipped = gzipSync(Buffer.from(JSON.stringify({ name: 'Gzip Ada', phone: '2348179803743' })));
    const created = await t.http.post('/contacts').set(tenant.auth).set('Content-Type', 'application/json').set('Content-Encoding', 'gzip')
      .serialize((bytes: Buffer) => bytes as unknown as string) // send the bytes as they are; superagent would JSON-encode a Buffer
      .send(gzipped).expect(201);
    expect(created.body.data.name).toBe('Gzip Ada');
    await t.http.delete(`/contacts/${created.body.data._id}`).set(tenant.auth).expect(200);
  });

  it('answers bodies nested thousands of levels deep with 400, not a stack overflow', async () => {
    const message = 'Request body nests objects or arrays more than 32 levels deep';
    const contacts = await t.http.post('/contacts').set(tenant.auth).set('Content-Type', 'application/json')
      .send(`{"name":"Ada","phone":"2348179803743","organization":${nestedJson(5000)}}`).expect(400);
    expect(contacts.body).toEqual({ status: false, message, errors: [message] });
    const list = await t.http.post('/api/whatsapp-log/get-list').set(tenant.auth).set('Content-Type', 'application/json')
      .send(`{"query":{"status":${'['.repeat(5000)}${']'.repeat(5000)}}}`).expect(400);
    expect(list.body).toEqual({ error: message });
    const send = await t.http.post('/v1/messages').set(tenant.auth).set(tenant.session).set('Content-Type', 'application/json')
      .send(`{"to":"2348179803743","template":{"name":"x","language":"en","components":[${nestedJson(5000)}]}}`).expect(400);
    expect(send.body.message).toBe(message);
    expect(await contactCount()).toBe(0);
  });

  it('refuses names that are only whitespace instead of failing in the database, and trims the others', async () => {
    const blank = await t.http.post('/contacts').set(tenant.auth).send({ name: '   ', phone: '2348179803743' }).expect(400);
    expect(blank.body).toEqual({ status: false, message: 'Validation failed', errors: ['name must not be blank'] });
    expect(await contactCount()).toBe(0);

    const created = await t.http.post('/contacts').set(tenant.auth).send({ name: '  Ada Obi ', phone: '2348179803743' }).expect(201);
    expect(created.body.data.name).toBe('Ada Obi');
    const id = created.body.data._id as string;
    const patched = await t.http.patch(`/contacts/${id}`).set(tenant.auth).send({ name: '\t \n' }).expect(400);
    expect(patched.body.errors).toEqual(['name must not be blank']);
    expect((await t.http.get(`/contacts/${id}`).set(tenant.auth).expect(200)).body.data.name).toBe('Ada Obi');

    const session = await t.http.post('/sessions').set(tenant.auth).send({ name: ' ', provider: 'sandbox' }).expect(400);
    expect(session.body.errors).toEqual(['name must not be blank']);
    expect((await t.http.get('/sessions').set(tenant.auth).expect(200)).body.data).toHaveLength(1);
  });

  it('names each missing webhook handshake parameter once, as JSON although the handshake answers text', async () => {
    const response = await t.http.get('/webhooks/whatsapp').expect(400).expect('Content-Type', /^application\/json/);
    expect(response.body.errors).toEqual([
      'hub.mode must be "subscribe"',
      'hub.verify_token is required, as 1 to 512 characters',
      'hub.challenge is required, as 1 to 512 characters',
    ]);
  });

  it('answers in the envelope of the route however the path is capitalised (the router ignores case)', async () => {
    const contactMessages = await t.http.get('/V1/Contacts/not-a-number/Messages').set(tenant.auth).expect(400);
    expect(Object.keys(contactMessages.body).sort()).toEqual(['error', 'message', 'statusCode']);
    const count = await t.http.post('/API/whatsapp-log/count').set(tenant.auth).send({ query: { $where: '1' } }).expect(400);
    expect(Object.keys(count.body)).toEqual(['error']);
    const external = await t.http.get('/Api/V1/External/api-requests?sent=yes').set(tenant.auth).expect(400);
    expect(external.body).toEqual({ code: 400, message: 'sent must be true or false', success: false });
  });
});
