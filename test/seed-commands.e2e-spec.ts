import { execFile, execFileSync } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import { BroadcastBody } from './support/broadcasts';
import { createTenant, TestTenant } from './support/factories';
import * as samples from './support/media-samples';
import { insertMessageLogs } from './support/message-logs';
import { describeWithMongo } from './support/mongo';
import { pollUntil } from './support/polling';
import { createTestApp, TestApp } from './support/test-app';

/**
 * The curl commands of the five seed documents (the API documents the service was specified from), run as written with real
 * `curl` against the app listening on loopback: only the base URL and an API key are added,
 * and real ids and credentials stand in for the samples. curl's `--data` sends the JSON text
 * as `application/x-www-form-urlencoded`, which is what these tests are about.
 */

const run = promisify(execFile);

interface CurlAnswer {
  status: number;
  contentType: string;
  body: Record<string, unknown>;
}

async function curl(...args: string[]): Promise<CurlAnswer> {
  const { stdout } = await run('curl', ['--silent', '--show-error', '--write-out', '\n%{http_code} %{content_type}', ...args]);
  const cut = stdout.lastIndexOf('\n');
  const [status, contentType] = stdout.slice(cut + 1).split(' ');
  return { status: Number(status), contentType, body: JSON.parse(stdout.slice(0, cut)) as Record<string, unknown> };
}

/** The `--data` text of seeds 000 and 001, laid out as they show it, with a real session. */
const credentialsData = (tenant: TestTenant): string => `{
"session_id": "${tenant.sessionId}",
"access_token": "${tenant.accessToken}"
}`;

const curlAvailable = (() => {
  try {
    execFileSync('curl', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    process.stdout.write('seed curl commands skipped: curl is not installed (apt-get install curl)\n');
    return false;
  }
})();

(curlAvailable ? describeWithMongo : describe.skip)("The seeds' curl commands, run verbatim (e2e)", () => {
  let t: TestApp;
  let tenant: TestTenant;
  let base: string;
  let bearer: string;
  let attachmentIds: string[];
  let contactId: string;
  let broadcastId: string;
  const today = new Date().toISOString().slice(0, 10);
  const apiMessageUid = '6a7d01ee8de8488a';

  beforeAll(async () => {
    // No delivered/read reports, so that seed 004's `sent=true&read=false` keeps matching.
    t = await createTestApp({ env: { SANDBOX_STATUS_DELAY_MS: '0' } });
    await t.app.listen(0, '127.0.0.1');
    base = `http://127.0.0.1:${(t.app.getHttpServer().address() as AddressInfo).port}`;
    tenant = await createTenant(t.app, { name: 'Seed reader' });
    bearer = `Authorization: Bearer ${tenant.apiKey}`;
    attachmentIds = [];
    for (const bytes of [samples.jpeg(), samples.jpeg()]) {
      const uploaded = await t.http.post('/attachment').set(tenant.auth).attach('file', bytes, { filename: 'photo.jpeg' }).expect(201);
      attachmentIds.push(uploaded.body.data._id as string);
    }
    const contact = await t.http.post('/contacts').set(tenant.auth).send({ name: 'Ada Lovelace', phone: '2348179803743' }).expect(201);
    contactId = contact.body.data._id as string;
    await insertMessageLogs(t.app, [
      { clientId: tenant.clientId, sessionId: tenant.sessionId, source: 'api', status: 'sent', templateName: 'location', messageUid: apiMessageUid, recipient: '2348179803743' },
    ]);
  });
  afterAll(() => t.close());

  describe('seed 001 (broadcasts)', () => {
    it('POST Create: curl --location /broadcast --data {...} creates the broadcast and sends it', async () => {
      const answer = await curl('--location', `${base}/broadcast`, '-H', bearer, '--data', `{
"session_id": "${tenant.sessionId}",
"access_token": "${tenant.accessToken}",
"send_type": "individual",
"to": "2348179803743,2349048988056",
"message": {
"text": "New Test Broadcasts text",
"attachments": [
"${attachmentIds[0]}",
"${attachmentIds[1]}"
],
"location": {
"name": "optional",
"lat": "6.556452",
"lng": "3.2774487"
},
"contactId": "${contactId}"
}
}`);
      expect(answer.status).toBe(201);
      expect(answer.contentType).toMatch(/^application\/json/);
      expect(answer.body).toEqual({
        status: true,
        message: 'Broadcast group created successfully!',
        data: expect.objectContaining({
          client_id: tenant.clientId,
          send_type: 'individual',
          to: '2348179803743,2349048988056',
          message: expect.objectContaining({
            text: 'New Test Broadcasts text',
            attachments: attachmentIds,
            // Coordinates are stored as numbers, whichever form they came in.
            location: expect.objectContaining({ name: 'optional', lat: 6.556452, lng: 3.2774487 }),
            contactId,
          }),
          status: 'sending',
          sent: expect.any(Array),
          pending: expect.any(Array),
          failed: [],
          _id: expect.any(String),
          createdAt: expect.any(String),
          updatedAt: expect.any(String),
          __v: expect.any(Number),
        }),
      });
      broadcastId = (answer.body.data as { _id: string })._id;
      const finished = await pollUntil(
        async () => (await t.http.get(`/broadcast/${broadcastId}`).set(tenant.auth).expect(200)).body.data as BroadcastBody,
        (broadcast) => broadcast.status !== 'sending',
      );
      expect(finished).toMatchObject({ status: 'completed', pending: [], failed: [] });
      expect([...finished.sent].sort()).toEqual(['2348179803743', '2349048988056']);
    });

    it("GET Get All: the seed's command (GET /attachment with the session in a --data body) lists attachments", async () => {
      const answer = await curl('--location', '--request', 'GET', `${base}/attachment`, '-H', bearer, '--data', credentialsData(tenant));
      expect(answer.status).toBe(200);
      expect(answer.body).toMatchObject({ status: true, message: 'Attachment fetched successfully!' });
      expect((answer.body.data as Array<{ _id: string }>).map((attachment) => attachment._id).sort()).toEqual([...attachmentIds].sort());
    });

    it('GET Get All on /broadcast with the session in a --data body lists the session\'s broadcasts', async () => {
      const answer = await curl('--location', '--request', 'GET', `${base}/broadcast`, '-H', bearer, '--data', credentialsData(tenant));
      expect(answer.status).toBe(200);
      expect(answer.body).toMatchObject({ status: true, data: [expect.objectContaining({ _id: broadcastId })] });
    });

    it('GET Get One: /attachment/:id and /broadcast/:id with a --data body', async () => {
      const attachment = await curl('--location', '--request', 'GET', `${base}/attachment/${attachmentIds[0]}`, '-H', bearer, '--data', credentialsData(tenant));
      expect(attachment.status).toBe(200);
      expect(attachment.body).toMatchObject({
        status: true,
        message: 'Attachment fetched successfully!',
        data: { _id: attachmentIds[0], type: 'jpeg', mimetype: 'image/jpeg', client_id: tenant.clientId },
      });
      const broadcast = await curl('--location', '--request', 'GET', `${base}/broadcast/${broadcastId}`, '-H', bearer, '--data', credentialsData(tenant));
      expect(broadcast.status).toBe(200);
      expect(broadcast.body).toMatchObject({ status: true, data: { _id: broadcastId, status: 'completed' } });
    });
  });

  describe('seed 000 (message logs)', () => {
    it('GET Get All: /message-log?page=1&limit=10 with the session in a --data body', async () => {
      const answer = await curl('--location', '--request', 'GET', `${base}/message-log?page=1&limit=10`, '-H', bearer, '--data', credentialsData(tenant));
      expect(answer.status).toBe(200);
      expect(answer.body).toMatchObject({ status: true, pagination: expect.objectContaining({ page: 1, limit: 10, total: 3 }) });
      expect((answer.body.data as Array<{ recipient: string }>).map((log) => log.recipient).sort()).toEqual(['2348179803743', '2348179803743', '2349048988056']);
    });

    it('GET Get All (For All Bots): /message-log?type=all&page=1&limit=10', async () => {
      const answer = await curl('--location', '--request', 'GET', `${base}/message-log?type=all&page=1&limit=10`, '-H', bearer, '--data', credentialsData(tenant));
      expect(answer.status).toBe(200);
      expect(answer.body).toMatchObject({ status: true, pagination: expect.objectContaining({ total: 3 }) });
    });

    it('GET Get One: /message-log/:id with a --data body', async () => {
      const list = await t.http.get('/message-log').query({ type: 'all' }).set(tenant.auth).expect(200);
      const id = (list.body.data as Array<{ _id: string }>)[0]._id;
      const answer = await curl('--location', '--request', 'GET', `${base}/message-log/${id}`, '-H', bearer, '--data', credentialsData(tenant));
      expect(answer.status).toBe(200);
      expect(answer.body).toMatchObject({ status: true, data: { _id: id } });
    });

    it('the same commands with the seed\'s empty session_id and access_token: /attachment needs no session, /message-log says what to add', async () => {
      const empty = '{\n"session_id": "",\n"access_token": ""\n}';
      const attachments = await curl('--location', '--request', 'GET', `${base}/attachment`, '-H', bearer, '--data', empty);
      expect(attachments.status).toBe(200);
      const logs = await curl('--location', '--request', 'GET', `${base}/message-log?page=1&limit=10`, '-H', bearer, '--data', empty);
      expect(logs.status).toBe(400);
      expect(logs.body).toMatchObject({ status: false, message: expect.stringMatching(/needs session_id and access_token.*type=all/) });
    });
  });

  describe('seed 002 (WhatsApp log)', () => {
    const select = `{
    "projectId": true,
    "status": true,
    "toNumber": true,
    "whatsAppCostInUSDCents": true,
    "_id": true
  }`;
    const listCommand = (query: string) => [
      '--location', `${base}/api/whatsapp-log/get-list?skip=0&limit=10`, '-H', 'Content-Type: application/json', '-H', `ApiKey: ${tenant.apiKey}`,
      '--data', `{
  "select": ${select},
  "query": ${query},
  "sort": {
    "createdAt": -1
  }
}`,
    ];

    it('POST get-list with the seed\'s body answers count, limit, skip and the selected fields', async () => {
      const example = await curl(...listCommand('{\n    "status": "Example status of the whatsapp message"\n  }'));
      expect(example.status).toBe(200);
      expect(example.body).toEqual({ count: 0, limit: 10, skip: 0, data: [] });
      const sent = await curl(...listCommand('{\n    "status": "sent"\n  }'));
      expect(sent.status).toBe(200);
      // One WhatsApp log per provider call: each recipient got text, two images, a location and a contact card.
      expect(sent.body).toMatchObject({ limit: 10, skip: 0 });
      expect(sent.body.count).toBeGreaterThanOrEqual(2);
      for (const log of sent.body.data as Array<Record<string, unknown>>) {
        expect(Object.keys(log).sort()).toEqual(['_id', 'projectId', 'status', 'toNumber', 'whatsAppCostInUSDCents']);
        expect(log).toMatchObject({ projectId: tenant.clientId, status: 'sent' });
      }
    });

    it('GET get-list, POST :id/get-item and POST count', async () => {
      const list = await curl('--location', '--request', 'GET', `${base}/api/whatsapp-log/get-list?skip=0&limit=10`, '-H', `ApiKey: ${tenant.apiKey}`);
      expect(list.status).toBe(200);
      const id = (list.body.data as Array<{ _id: string }>)[0]._id;
      const item = await curl('--location', `${base}/api/whatsapp-log/${id}/get-item`, '-H', 'Content-Type: application/json', '-H', `ApiKey: ${tenant.apiKey}`, '--data', `{\n  "select": ${select}\n}`);
      expect(item.status).toBe(200);
      expect(Object.keys(item.body).sort()).toEqual(['_id', 'projectId', 'status', 'toNumber', 'whatsAppCostInUSDCents']);
      const count = await curl('--location', `${base}/api/whatsapp-log/count`, '-H', 'Content-Type: application/json', '-H', `ApiKey: ${tenant.apiKey}`,
        '--data', '{\n  "query": {\n    "status": "Example status of the whatsapp message"\n  }\n}');
      expect(count.status).toBe(200);
      expect(count.body).toEqual({ count: 0 });
    });
  });

  it("seed 003: curl --request GET --url .../v1/contacts/{identifier}/messages --header 'Authorization: Bearer <token>'", async () => {
    for (const identifier of [contactId, '2348179803743']) {
      const answer = await curl('--request', 'GET', '--url', `${base}/v1/contacts/${identifier}/messages`, '--header', bearer);
      expect(answer.status).toBe(200);
      expect(answer.body).toEqual({ data: expect.any(Array), nextCursor: null, prevCursor: null });
      expect((answer.body.data as Array<{ contact: { phoneNumber: string } }>).map((message) => message.contact.phoneNumber)).toEqual([
        '+2348179803743',
        '+2348179803743',
      ]);
    }
  });

  it('seed 004: GET /api/v1/external/api-requests with every filter and x-api-key', async () => {
    const query = `page=3&limit=10&sent=true&read=false&template_name=location&message_uid=${apiMessageUid}&start_date=${today}&end_date=${today}`;
    const third = await curl(`${base}/api/v1/external/api-requests?${query}`, '-H', `x-api-key: ${tenant.apiKey}`);
    expect(third.status).toBe(200);
    expect(third.body).toEqual({
      code: 200,
      message: 'API logs fetched successfully',
      success: true,
      data: {
        totalMessages: 1,
        sentCount: 1,
        deliveredCount: 0,
        readCount: 0,
        failedCount: 0,
        logs: [],
        // Past the last page, prevPage leads back to the last one.
        paginationDetails: { totalCount: 1, totalPages: 1, currentPage: 3, nextPage: null, prevPage: 1 },
      },
    });
    const first = await curl(`${base}/api/v1/external/api-requests?${query.replace('page=3', 'page=1')}`, '-H', `x-api-key: ${tenant.apiKey}`);
    expect((first.body.data as { logs: unknown[] }).logs).toEqual([
      {
        template_name: 'location',
        message_uid: apiMessageUid,
        contact_number: '+2348179803743',
        contact_name: null,
        sent: true,
        delivered: false,
        read: false,
        failed: false,
        createdAt: expect.any(String),
      },
    ]);
  });
});
