import { getConnectionToken } from '@nestjs/mongoose';
import type { Connection } from 'mongoose';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { request as httpRequest, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Response } from 'supertest';
import { Role } from '../src/auth/permissions';
import { createTenant, issueKey, TestTenant } from './support/factories';
import * as samples from './support/media-samples';
import { describeWithMongo } from './support/mongo';
import { createTestApp, TestApp } from './support/test-app';

const RECORD_KEYS = ['_id', 'type', 'mimetype', 'name', 'path', 'size', 'client_id', 'createdAt', 'updatedAt', '__v'].sort();

function storedFiles(t: TestApp): string[] {
  const directory = t.config.attachments.directory;
  return existsSync(directory) ? readdirSync(directory) : [];
}

async function attachmentCount(t: TestApp): Promise<number> {
  return t.app.get<Connection>(getConnectionToken()).collection('attachments').countDocuments();
}

async function eventually(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Binary response bodies as a Buffer (supertest leaves unknown types unparsed otherwise). */
function binary(response: Response, callback: (error: Error | null, body: Buffer) => void): void {
  const chunks: Buffer[] = [];
  response.on('data', (chunk: Buffer) => chunks.push(chunk));
  response.on('end', () => callback(null, Buffer.concat(chunks)));
}

/** Starts a large upload over a raw socket, waits until the server is writing it, then cuts the connection. */
async function abortMidUpload(t: TestApp, tenant: TestTenant, writing: () => boolean | Promise<boolean>): Promise<void> {
  const server = t.app.getHttpServer() as Server;
  if (!server.listening) await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const boundary = 'abortboundary';
  const request = httpRequest({
    host: '127.0.0.1',
    port,
    method: 'POST',
    path: '/attachment',
    headers: { ...tenant.auth, 'Content-Type': `multipart/form-data; boundary=${boundary}`, 'Content-Length': String(10 * 1024 * 1024) },
  });
  request.on('error', () => undefined);
  request.write(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.txt"\r\nContent-Type: text/plain\r\n\r\n`);
  request.write(samples.text(1024 * 1024));
  await eventually(writing, 'the upload is being written');
  request.destroy();
}

describeWithMongo('Attachments (e2e, local storage)', () => {
  let t: TestApp;
  let alice: TestTenant;
  let bob: TestTenant;

  const upload = (tenant: TestTenant, bytes: Buffer, fileName = 'upload.bin', contentType?: string) =>
    t.http.post('/attachment').set(tenant.auth).attach('file', bytes, { filename: fileName, contentType });

  beforeAll(async () => {
    t = await createTestApp({ worker: false });
    alice = await createTenant(t.app, { name: 'Alice' });
    bob = await createTenant(t.app, { name: 'Bob' });
  });
  afterAll(() => t.close());

  it.each(samples.MEDIA_SAMPLES.map((sample) => [sample.label, sample] as const))(
    'stores a %s typed by its content, in the seed envelope',
    async (_label, sample) => {
      const bytes = sample.bytes();
      const response = await upload(alice, bytes, 'no-extension', 'application/octet-stream').expect(201);
      expect(response.body).toEqual({ status: true, message: 'Attachment uploaded successfully!', data: expect.any(Object) });
      const record = response.body.data;
      expect(Object.keys(record).sort()).toEqual(RECORD_KEYS);
      expect(record).toMatchObject({ type: sample.type, mimetype: sample.mimetype, size: bytes.length, client_id: alice.clientId, __v: 0 });
      expect(record.name).toMatch(/^[A-Z0-9]{15}$/);
      expect(record.path).toBe(`./public/attachments/${record.name}.${sample.type}`);
      expect(readFileSync(join(t.config.attachments.directory, `${record.name}.${sample.type}`)).equals(bytes)).toBe(true);
    },
  );

  it('believes the bytes, not the declared mimetype or file name, and never uses the file name in a path', async () => {
    const bytes = samples.png(4);
    const response = await upload(alice, bytes, '../../../etc/passwd.pdf', 'application/pdf').expect(201);
    expect(response.body.data).toMatchObject({ type: 'png', mimetype: 'image/png' });
    expect(response.body.data.path).not.toMatch(/passwd|\.\./);
    expect(storedFiles(t)).toContain(`${response.body.data.name}.png`);
    expect(existsSync(join(t.dataDir, 'etc'))).toBe(false);
  });

  it('answers 415 for a type WhatsApp does not accept, even when it claims to be a JPEG, and stores nothing', async () => {
    const before = await attachmentCount(t);
    const filesBefore = storedFiles(t).length;
    const response = await upload(alice, samples.gif(), 'photo.jpg', 'image/jpeg').expect(415);
    expect(response.body).toEqual({ status: false, message: expect.stringMatching(/image\/gif .*not accepted/), errors: [expect.any(String)] });
    const binaryJunk = Buffer.from([0x00, 0x01, 0x02, 0xfe, 0xff, 0x00, 0x13]);
    await upload(alice, binaryJunk, 'notes.txt', 'text/plain').expect(415);
    expect(await attachmentCount(t)).toBe(before);
    expect(storedFiles(t)).toHaveLength(filesBefore);
  });

  it('answers 415 when a file that starts as text has a NUL byte beyond the sniffing window', async () => {
    const before = storedFiles(t).length;
    const bytes = Buffer.concat([samples.text(200 * 1024), Buffer.from([0]), samples.text()]);
    const response = await upload(alice, bytes, 'log.txt').expect(415);
    expect(response.body.message).toMatch(/not valid UTF-8 text throughout/);
    expect(storedFiles(t)).toHaveLength(before);
  });

  it('answers 400 for an empty file, a missing file and extra form fields', async () => {
    const empty = await upload(alice, Buffer.alloc(0), 'empty.txt').expect(400);
    expect(empty.body.message).toBe('The file is empty');
    const truncated = await upload(alice, Buffer.from('\x89PNG\r\n\x1a\n', 'latin1'), 'cut.png').expect(400);
    expect(truncated.body.message).toBe('The file is truncated: it ends inside the header of its format');
    const missing = await t.http.post('/attachment').set(alice.auth).field('note', 'x').expect(400);
    expect(missing.body.status).toBe(false);
    const noMultipart = await t.http.post('/attachment').set(alice.auth).send({}).expect(400);
    expect(noMultipart.body.message).toMatch(/multipart\/form-data in the field "file"/);
    const before = storedFiles(t).length;
    const credentials = await upload(alice, samples.pdf()).field('session_id', alice.sessionId).expect(400);
    expect(credentials.body.errors.join(' ')).toMatch(/session_id is not read from a multipart body/);
    const wrongField = await t.http.post('/attachment').set(alice.auth).attach('document', samples.pdf(), 'a.pdf').expect(400);
    expect(wrongField.body.message).toMatch(/Unexpected/i);
    expect(storedFiles(t)).toHaveLength(before);
  });

  it('accepts an optional session in the headers and checks it', async () => {
    await upload(alice, samples.pdf()).set(alice.session).expect(201);
    await upload(alice, samples.pdf()).set({ 'X-Session-Id': alice.sessionId, 'X-Access-Token': 'wrong' }).expect(401);
  });

  it('needs attachment:write to upload and attachment:read to list', async () => {
    const readOnly = await issueKey(t.app, alice.clientId, Role.ReadOnly);
    const denied = await t.http.post('/attachment').set('x-api-key', readOnly).attach('file', samples.pdf(), 'a.pdf').expect(403);
    expect(denied.body.message).toMatch(/attachment:write/);
    await t.http.get('/attachment').set('x-api-key', readOnly).expect(200);
    await t.http.get('/attachment').expect(401);
  });

  it('downloads the exact bytes with their type, length and a safe file name', async () => {
    const bytes = samples.pdf(70 * 1024);
    const { body } = await upload(alice, bytes, 'bad"name\r\n.pdf').expect(201);
    const response = await t.http
      .get(`/attachment/${body.data._id}/download`)
      .set(alice.auth)
      .buffer(true)
      .parse(binary)
      .expect(200);
    expect(response.headers['content-type']).toBe('application/pdf');
    expect(response.headers['content-length']).toBe(String(bytes.length));
    expect(response.headers['content-disposition']).toBe(`attachment; filename="${body.data.name}.pdf"`);
    expect(Buffer.compare(response.body as Buffer, bytes)).toBe(0);
  });

  it('gets one attachment, and answers 404 for another client and for ids that do not exist', async () => {
    const { body } = await upload(alice, samples.jpeg()).expect(201);
    const id: string = body.data._id;
    const got = await t.http.get(`/attachment/${id}`).set(alice.auth).expect(200);
    expect(got.body).toEqual({ status: true, message: 'Attachment fetched successfully!', data: body.data });

    for (const [method, path] of [
      ['get', `/attachment/${id}`],
      ['get', `/attachment/${id}/download`],
      ['delete', `/attachment/${id}`],
    ] as const) {
      const foreign = await t.http[method](path).set(bob.auth).expect(404);
      const missing = await t.http[method](path.replace(id, '0123456789abcdef01234567')).set(bob.auth).expect(404);
      expect(foreign.body.message).toBe(missing.body.message.replace('0123456789abcdef01234567', id));
    }
    const list = await t.http.get('/attachment').set(bob.auth).expect(200);
    expect(list.body.data).toEqual([]);
    await t.http.get(`/attachment/${id}`).set(alice.auth).expect(200);
    await t.http.get('/attachment/not-an-id').set(alice.auth).expect(400);
  });

  it('deletes the record and its file', async () => {
    const { body } = await upload(alice, samples.mp3()).expect(201);
    const fileName = `${body.data.name}.mp3`;
    expect(storedFiles(t)).toContain(fileName);
    const deleted = await t.http.delete(`/attachment/${body.data._id}`).set(alice.auth).expect(200);
    expect(deleted.body).toEqual({ status: true, message: 'Attachment deleted successfully!', data: body.data });
    expect(storedFiles(t)).not.toContain(fileName);
    await t.http.get(`/attachment/${body.data._id}`).set(alice.auth).expect(404);
    await t.http.delete(`/attachment/${body.data._id}`).set(alice.auth).expect(404);
  });

  it('leaves neither a record nor a file behind when the client aborts mid-upload', async () => {
    const recordsBefore = await attachmentCount(t);
    const filesBefore = storedFiles(t);
    await abortMidUpload(t, alice, () => storedFiles(t).some((name) => name.endsWith('.part')));
    await eventually(() => storedFiles(t).length === filesBefore.length, 'the partial file is removed');
    expect(storedFiles(t)).toEqual(filesBefore);
    expect(await attachmentCount(t)).toBe(recordsBefore);
  });

  it('documents every route in the OpenAPI document, the upload as multipart with a binary file', async () => {
    const { body } = await t.http.get('/docs-json').expect(200);
    expect(Object.keys(body.paths)).toEqual(expect.arrayContaining(['/attachment', '/attachment/{id}', '/attachment/{id}/download']));
    const uploadBody = body.paths['/attachment'].post.requestBody.content['multipart/form-data'].schema;
    expect(uploadBody.properties.file).toEqual({ type: 'string', format: 'binary' });
    expect(body.paths['/attachment/{id}'].delete.responses['409']).toBeDefined();
    expect(body.components.schemas.AttachmentDto.properties.path.example).toBe('./public/attachments/IIETQZEPT3EPLWC.jpeg');
  });

  describe('listing', () => {
    let carol: TestTenant;
    const ids: string[] = [];

    beforeAll(async () => {
      carol = await createTenant(t.app, { name: 'Carol' });
      for (let index = 0; index < 12; index += 1) {
        const { body } = await upload(carol, samples.text()).expect(201);
        ids.push(body.data._id);
      }
    });

    it('pages newest first with a pagination block', async () => {
      const first = await t.http.get('/attachment?page=1&limit=5').set(carol.auth).expect(200);
      expect(first.body.message).toBe('Attachment fetched successfully!');
      expect(first.body.data.map((item: { _id: string }) => item._id)).toEqual(ids.slice().reverse().slice(0, 5));
      expect(first.body.pagination).toEqual({ page: 1, limit: 5, total: 12, totalPages: 3, nextPage: 2, prevPage: null });
      const last = await t.http.get('/attachment').query({ page: 3, limit: 5, type: 'all' }).set(carol.auth).expect(200);
      expect(last.body.data.map((item: { _id: string }) => item._id)).toEqual(ids.slice(0, 2).reverse());
      expect(last.body.pagination).toMatchObject({ page: 3, nextPage: null, prevPage: 2 });
    });

    it('accepts the session in the query string and refuses a limit above 100', async () => {
      await t.http.get('/attachment').query({ session_id: carol.sessionId, access_token: carol.accessToken }).set(carol.auth).expect(200);
      const response = await t.http.get('/attachment?limit=101').set(carol.auth).expect(400);
      expect(response.body.errors).toEqual(['limit must be 100 or less']);
    });
  });
});

describeWithMongo('Attachments (e2e, lowered size limits)', () => {
  const CAP = 100_000;
  let t: TestApp;
  let alice: TestTenant;

  beforeAll(async () => {
    t = await createTestApp({ worker: false, env: { ATTACHMENT_MAX_BYTES: String(CAP) } });
    alice = await createTenant(t.app);
  });
  afterAll(() => t.close());

  it('accepts a file at the limit', async () => {
    const bytes = samples.text(CAP).subarray(0, CAP);
    // Cut on a character boundary: the line is ASCII up to its multi-byte characters.
    const whole = bytes.subarray(0, bytes.lastIndexOf(0x0a) + 1);
    await t.http.post('/attachment').set(alice.auth).attach('file', whole, 'a.txt').expect(201);
  });

  it('answers 413 for an image over the limit, found in the first bytes, and stores nothing', async () => {
    const before = readdirSync(t.config.attachments.directory);
    const response = await t.http.post('/attachment').set(alice.auth).attach('file', Buffer.concat([samples.png(), Buffer.alloc(CAP)]), 'big.png').expect(413);
    expect(response.body).toEqual({ status: false, message: 'image/png files (image) may be at most 100000 bytes', errors: [expect.any(String)] });
    expect(readdirSync(t.config.attachments.directory)).toEqual(before);
  });

  it('answers 413 for a document that passes the limit while streaming, removing what was written', async () => {
    const before = readdirSync(t.config.attachments.directory);
    const records = await attachmentCount(t);
    const response = await t.http.post('/attachment').set(alice.auth).attach('file', samples.text(1024 * 1024), 'big.txt').expect(413);
    expect(response.body.message).toBe('text/plain files (document) may be at most 100000 bytes');
    expect(readdirSync(t.config.attachments.directory)).toEqual(before);
    expect(await attachmentCount(t)).toBe(records);
  });
});

describeWithMongo('Attachments (e2e, GridFS storage)', () => {
  let t: TestApp;
  let alice: TestTenant;
  let bob: TestTenant;
  const bucket = (t: TestApp, collection: 'files' | 'chunks') =>
    t.app.get<Connection>(getConnectionToken()).collection(`attachments.${collection}`);

  beforeAll(async () => {
    t = await createTestApp({ worker: false, env: { ATTACHMENT_STORAGE: 'gridfs', ATTACHMENT_MAX_BYTES: String(1536 * 1024) } });
    alice = await createTenant(t.app);
    bob = await createTenant(t.app);
  });
  afterAll(() => t.close());

  it('stores in GridFS, downloads the same bytes and deletes them with the record', async () => {
    const bytes = samples.pdf(400 * 1024);
    const { body } = await t.http.post('/attachment').set(alice.auth).attach('file', bytes, 'report.pdf').expect(201);
    expect(body.data).toMatchObject({ type: 'pdf', mimetype: 'application/pdf', size: bytes.length });
    expect(body.data.path).toBe(`gridfs://attachments/${body.data.name}.pdf`);
    expect(existsSync(t.config.attachments.directory)).toBe(false);
    expect(await bucket(t, 'files').countDocuments()).toBe(1);

    await t.http.get(`/attachment/${body.data._id}/download`).set(bob.auth).expect(404);
    const download = await t.http.get(`/attachment/${body.data._id}/download`).set(alice.auth).buffer(true).parse(binary).expect(200);
    expect(Buffer.compare(download.body as Buffer, bytes)).toBe(0);
    expect(download.headers['content-length']).toBe(String(bytes.length));

    await t.http.delete(`/attachment/${body.data._id}`).set(alice.auth).expect(200);
    expect(await bucket(t, 'files').countDocuments()).toBe(0);
    expect(await bucket(t, 'chunks').countDocuments()).toBe(0);
  });

  it('leaves neither a record nor chunks behind when the client aborts mid-upload', async () => {
    await abortMidUpload(t, alice, async () => (await bucket(t, 'chunks').countDocuments()) > 0);
    await eventually(async () => (await bucket(t, 'chunks').countDocuments()) === 0, 'the written chunks are removed');
    expect(await bucket(t, 'files').countDocuments()).toBe(0);
    expect(await attachmentCount(t)).toBe(0);
  });

  it('leaves no chunks behind when a file passes the limit mid-stream', async () => {
    await t.http.post('/attachment').set(alice.auth).attach('file', samples.text(2 * 1024 * 1024), 'big.txt').expect(413);
    expect(await bucket(t, 'files').countDocuments()).toBe(0);
    expect(await bucket(t, 'chunks').countDocuments()).toBe(0);
    expect(await attachmentCount(t)).toBe(0);
  });
});
