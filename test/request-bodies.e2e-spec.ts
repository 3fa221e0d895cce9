import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createTenant, TestTenant } from './support/factories';
import { describeWithMongo } from './support/mongo';
import { createTestApp, TestApp } from './support/test-app';

/** Sends `body` with no Content-Type header at all (supertest always sets one). */
function postWithoutContentType(port: number, path: string, headers: Record<string, string>, body: string): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    const request = httpRequest({ host: '127.0.0.1', port, path, method: 'POST', headers: { ...headers, 'Content-Length': Buffer.byteLength(body) } }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) }));
    });
    request.on('error', reject);
    request.end(body);
  });
}

describeWithMongo('Request bodies: JSON, JSON sent as a form, real forms, and nothing else (e2e)', () => {
  let t: TestApp;
  let tenant: TestTenant;
  let port: number;

  beforeAll(async () => {
    t = await createTestApp({ worker: false });
    await t.app.listen(0, '127.0.0.1');
    port = (t.app.getHttpServer().address() as AddressInfo).port;
    tenant = await createTenant(t.app);
  });
  afterAll(() => t.close());

  async function contactNamed(name: string): Promise<Record<string, unknown> | undefined> {
    const list = await t.http.get('/contacts').query({ limit: 100 }).set(tenant.auth).expect(200);
    return (list.body.data as Array<Record<string, unknown>>).find((contact) => contact.name === name);
  }

  it('reads JSON text sent as application/x-www-form-urlencoded (curl --data) as JSON', async () => {
    const response = await t.http.post('/contacts').set(tenant.auth).type('form').send('{"name": "Form Json", "phone": "2348179800001"}').expect(201);
    expect(response.body.data).toMatchObject({ name: 'Form Json', phone: '2348179800001' });
  });

  it('reads JSON text sent with no Content-Type at all as JSON', async () => {
    const response = await postWithoutContentType(port, '/contacts', tenant.auth, '{"name": "Untyped Json", "phone": "2348179800002"}');
    expect(response.status).toBe(201);
    expect(await contactNamed('Untyped Json')).toBeDefined();
  });

  it('reads a real form as a form, nested fields included, with the same validation as JSON', async () => {
    await t.http.post('/contacts').set(tenant.auth).type('form').send('name=Real+Form&phone=%2B234+817+980+0003').expect(201);
    expect(await contactNamed('Real Form')).toMatchObject({ phone: '2348179800003' });

    const asForm = await t.http.post('/contacts').set(tenant.auth).type('form').send('name=Bad+Phone&phone=12&nickname=x').expect(400);
    const asJson = await t.http.post('/contacts').set(tenant.auth).send({ name: 'Bad Phone', phone: '12', nickname: 'x' }).expect(400);
    expect(asForm.body).toEqual(asJson.body);
    expect(await contactNamed('Bad Phone')).toBeUndefined();

    const broadcast = await t.http.post('/broadcast').set(tenant.auth).type('form')
      .send(`session_id=${tenant.sessionId}&access_token=${tenant.accessToken}&send_type=individual&to=2348179803743&message[text]=From+a+form`)
      .expect(201);
    expect(broadcast.body.data).toMatchObject({ to: '2348179803743', message: { text: 'From a form' }, status: 'sending' });
  });

  it('reads session credentials from the body of a GET', async () => {
    const response = await t.http.get('/broadcast').set(tenant.auth).type('form')
      .send(JSON.stringify({ session_id: tenant.sessionId, access_token: tenant.accessToken })).expect(200);
    expect(response.body.data).toHaveLength(1);
    const wrong = await t.http.get('/broadcast').set(tenant.auth).type('form').send(`session_id=${tenant.sessionId}&access_token=wrong`).expect(401);
    expect(wrong.body.status).toBe(false);
  });

  it.each(['text/plain', 'application/xml', 'application/octet-stream'])('answers %s with 415 naming the accepted types, writing nothing', async (type) => {
    const response = await t.http.post('/contacts').set(tenant.auth).set('Content-Type', type).send('{"name": "Wrong Type", "phone": "2348179800004"}').expect(415);
    expect(response.body).toEqual({
      status: false,
      message: `Content-Type "${type}" is not accepted; send application/json or application/x-www-form-urlencoded (multipart/form-data for uploads)`,
      errors: [expect.any(String)],
    });
    expect(await contactNamed('Wrong Type')).toBeUndefined();
  });

  it('answers multipart on a route that takes no upload with 415, and still takes uploads', async () => {
    const response = await t.http.post('/contacts').set(tenant.auth).field('name', 'Multipart').field('phone', '2348179800005').expect(415);
    expect(response.body.message).toBe('This route does not take multipart/form-data; send application/json or application/x-www-form-urlencoded');
    expect(await contactNamed('Multipart')).toBeUndefined();
    await t.http.post('/attachment').set(tenant.auth).attach('file', Buffer.from('plain text'), { filename: 'notes.txt' }).expect(201);
  });

  it('holds forms to the same key limit as JSON', async () => {
    const fields = Array.from({ length: 6000 }, (_, index) => `f${index}=1`).join('&');
    const response = await t.http.post('/contacts').set(tenant.auth).type('form').send(fields).expect(413);
    expect(response.body.message).toMatch(/^Request body is a form that breaks a limit \(Parameter limit exceeded/);
  });
});
