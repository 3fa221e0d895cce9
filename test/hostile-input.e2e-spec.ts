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

  describe('requests built to stall the process', () => {
    /** A JSON object of `count` keys, under the 2 MB body limit as in the reports that found the stall (150,000 keys in 1.7 MB). */
    const manyKeys = (count: number, value = '1'): string => `{${Array.from({ length: count }, (_, index) => `"${index}":${value}`).join(',')}}`;

    /** Sends the hostile request and, while it runs, asks /health; both must answer, the hostile one fast and small. */
    let contactsBefore: number;
    beforeAll(async () => {
      contactsBefore = await contactCount();
    });

    async function refusedFastWhileHealthAnswers(send: () => Promise<{ status: number; text: string }>): Promise<{ status: number; text: string }> {
      const started = Date.now();
      const [hostile, health] = await Promise.all([send(), t.http.get('/health')]);
      const elapsedMs = Date.now() - started;
      // A loud bound, far above the few milliseconds this takes: the stall it guards against lasted 24 to 54 s.
      if (elapsedMs > 3000) throw new Error(`The hostile request took ${elapsedMs} ms: something walks its keys one by one`);
      expect(health.status).toBe(200);
      expect(hostile.text.length).toBeLessThan(1000);
      return hostile;
    }

    it('refuses a get-list select of 150,000 keys with a short 413', async () => {
      const body = `{"select":${manyKeys(150_000)}}`;
      const response = await refusedFastWhileHealthAnswers(() =>
        t.http.post('/api/whatsapp-log/get-list').set(tenant.auth).set('Content-Type', 'application/json').send(body),
      );
      expect(response.status).toBe(413);
      expect(JSON.parse(response.text)).toEqual({ error: 'Request body has an object with 150000 keys at select; at most 100 are allowed' });
    });

    it('refuses a count query of 150,000 keys with a short 413', async () => {
      const body = `{"query":${manyKeys(150_000)}}`;
      const response = await refusedFastWhileHealthAnswers(() =>
        t.http.post('/api/whatsapp-log/count').set(tenant.auth).set('Content-Type', 'application/json').send(body),
      );
      expect(response.status).toBe(413);
      expect(JSON.parse(response.text).error).toMatch(/^Request body has an object with 150000 keys at query/);
    });

    it('refuses a contact with 150,000 unknown fields with a short 413, and writes nothing', async () => {
      const response = await refusedFastWhileHealthAnswers(() =>
        t.http.post('/contacts').set(tenant.auth).set('Content-Type', 'application/json').send(manyKeys(150_000)),
      );
      expect(response.status).toBe(413);
      expect(JSON.parse(response.text)).toEqual({
        status: false,
        message: 'Request body has an object with 150000 keys; at most 100 are allowed',
        errors: ['Request body has an object with 150000 keys; at most 100 are allowed'],
      });
      expect(await contactCount()).toBe(contactsBefore);
    });

    it('lists the first 20 problems and how many more, never one line per hostile key', async () => {
      const fields = Object.fromEntries(Array.from({ length: 60 }, (_, index) => [`extra${index}`, 'x']));
      const response = await t.http.post('/contacts').set(tenant.auth).send({ name: 'Ada', phone: '2348179803743', ...fields }).expect(400);
      expect(response.body.errors).toHaveLength(21);
      expect(response.body.errors[0]).toBe('property extra0 should not exist');
      expect(response.body.errors[20]).toBe('and 40 more');
      const select = Object.fromEntries(Array.from({ length: 25 }, (_, index) => [`nope${index}`, true]));
      const list = await t.http.post('/api/whatsapp-log/get-list').set(tenant.auth).send({ select }).expect(400);
      expect((list.body.error as string).split('; ')).toHaveLength(21);
      expect((list.body.error as string).endsWith('; and 5 more')).toBe(true);
      expect((list.body.error as string).match(/\(fields: /g)).toHaveLength(1);
      expect(await contactCount()).toBe(contactsBefore);
    });
  });

  it('accepts UTF-8 only: a body declared UTF-7 (or UTF-16) is a 415, not decoded', async () => {
    const contactsBefore = await contactCount();
    for (const charset of ['utf-7', 'utf-16', 'utf-16le']) {
      const response = await t.http.post('/contacts').set(tenant.auth).set('Content-Type', `application/json; charset=${charset}`)
        .send('{"name":"+ADw-script+AD4-","phone":"2348179803743"}').expect(415);
      expect(response.body.message).toBe(`Request body charset "${charset}" is not supported; send UTF-8`);
    }
    expect(await contactCount()).toBe(contactsBefore);
    const invalid = await t.http.post('/contacts').set(tenant.auth).set('Content-Type', 'application/json')
      .serialize((bytes: Buffer) => bytes as unknown as string) // send the bytes as they are
      .send(Buffer.from('{"name":"\xff\xfe"}', 'latin1')).expect(400);
    expect(invalid.body.message).toBe('Request body is not valid UTF-8');
    const ascii = await t.http.post('/contacts').set(tenant.auth).set('Content-Type', 'application/json; charset=us-ascii')
      .send('{"name":"Ascii Ada","phone":"2349048988056"}').expect(201);
    await t.http.delete(`/contacts/${ascii.body.data._id}`).set(tenant.auth).expect(200);
  });

  it.each(['__proto__', 'constructor', 'prototype'])('refuses the key %s with a 400 naming it, in bodies, forms and query strings', async (key) => {
    const contactsBefore = await contactCount();
    const contact = await t.http.post('/contacts').set(tenant.auth).set('Content-Type', 'application/json')
      .send(`{"name":"Ada","phone":"2348179803743","${key}":{"isAdmin":true}}`).expect(400);
    expect(contact.body.message).toBe(`Request body key "${key}" (at ${key}) is not allowed`);
    const query = await t.http.post('/api/whatsapp-log/count').set(tenant.auth).set('Content-Type', 'application/json')
      .send(`{"query":{"${key}":{"status":"sent"}}}`).expect(400);
    expect(query.body).toEqual({ error: `Request body key "${key}" (at query.${key}) is not allowed` });
    const form = await t.http.post('/contacts').set(tenant.auth).type('form').send(`name=Ada&phone=2348179803743&${key}[isAdmin]=1`).expect(400);
    expect(form.body.message).toBe(`Request body key "${key}" (in form field "${key}[isAdmin]") is not allowed`);
    const queryString = await t.http.get(`/contacts?${key}=1`).set(tenant.auth).expect(400);
    expect(queryString.body.message).toBe(`Query string key "${key}" (at ${key}) is not allowed`);
    expect(await contactCount()).toBe(contactsBefore);
  });

  it('refuses JSON text holding half of a surrogate pair (\\ud800, a validator threw on it) or a NUL character with a 400 naming where', async () => {
    const contactsBefore = await contactCount();
    for (const body of ['{"name":"X","phone":"2348100003333","email":"\\ud800"}', '{"name":"X\\udc00","phone":"2348100003333"}']) {
      const refused = await t.http.post('/contacts').set(tenant.auth).set('Content-Type', 'application/json').send(body).expect(400);
      expect(refused.body.message).toMatch(/^Request body holds text that is not valid Unicode \(half of a surrogate pair\) at (email|name)$/);
    }
    const nul = await t.http.post('/contacts').set(tenant.auth).set('Content-Type', 'application/json').send('{"name":"Ada\\u0000Obi","phone":"2348100003333"}').expect(400);
    expect(nul.body.message).toBe('Request body holds a NUL character (\\u0000) at name');
    expect(await contactCount()).toBe(contactsBefore);
  });

  it('refuses a webhook whose signature no session secret verifies, even when it names no sender', async () => {
    for (const body of ['{"object":"whatsapp_business_account","entry":[]}', '[1,2,3]']) {
      const response = await t.http.post('/webhooks/whatsapp').set('Content-Type', 'application/json').set('X-Hub-Signature-256', `sha256=${'0'.repeat(64)}`)
        .send(body).expect(401);
      expect(response.body.message).toBe('Invalid X-Hub-Signature-256 signature');
    }
  });
});
