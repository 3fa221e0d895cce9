import { MessageLogRecord } from '../src/message-log/message-log.schema';
import { createTenant, TestTenant } from './support/factories';
import { insertMessageLogs, MessageLogSeed } from './support/message-logs';
import { describeWithMongo } from './support/mongo';
import { createTestApp, TestApp } from './support/test-app';

/** A valid 1×1 PNG: enough for the attachment store's content sniffing. */
const PNG_1X1 = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==',
  'base64',
);

const ADA_PHONE = '2348179803743';
const STRANGER_PHONE = '14155550123';
const BASE_TIME = Date.UTC(2025, 6, 2, 8, 0, 0);

interface MessageBody {
  id: string;
  createdAt: string;
  status: string;
  messageUid: string;
  attachments: Array<Record<string, unknown>>;
  contact: Record<string, unknown>;
  user: Record<string, unknown> | null;
  [field: string]: unknown;
}

interface PageBody {
  data: MessageBody[];
  nextCursor: string | null;
  prevCursor: string | null;
}

describeWithMongo('Contact messages, seed 003 (e2e)', () => {
  let t: TestApp;
  let alice: TestTenant;
  let bob: TestTenant;
  let adaId: string;
  let attachmentId: string;
  /** Alice's messages to Ada, newest first (the order the endpoint must give). */
  let adaLogs: MessageLogRecord[];

  const toAda = (minute: number, extra: Partial<MessageLogSeed> = {}): MessageLogSeed => ({
    clientId: alice.clientId,
    sessionId: alice.sessionId,
    source: 'broadcast',
    recipient: ADA_PHONE,
    contactId: adaId,
    contactName: 'Ada Obi',
    createdAt: new Date(BASE_TIME + minute * 60_000),
    ...extra,
  });

  beforeAll(async () => {
    t = await createTestApp({ worker: false });
    alice = await createTenant(t.app, { name: 'Alice' });
    bob = await createTenant(t.app, { name: 'Bob' });
    const contact = await t.http.post('/contacts').set(alice.auth).send({ name: 'Ada Obi', phone: `+${ADA_PHONE}`, email: 'ada@example.com' }).expect(201);
    adaId = contact.body.data._id;
    const upload = await t.http.post('/attachment').set(alice.auth).attach('file', PNG_1X1, 'dot.png').expect(201);
    attachmentId = upload.body.data._id;

    // 25 messages; minutes 10, 11 and 12 hold three messages each at the same instant, so
    // that page boundaries fall inside ties and the _id tie-breaker is exercised.
    const minutes = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 10, 10, 11, 11, 11, 12, 12, 12, 13, 14, 15, 16, 17, 18];
    adaLogs = await insertMessageLogs(t.app, [
      ...minutes.map((minute, index) =>
        toAda(minute, {
          status: index === 24 ? 'read' : 'delivered',
          attachments: index === 24 ? [attachmentId] : [],
        }),
      ),
    ]);
    // Alice's message to someone else, and Bob's to Ada's number: never in Alice's list for Ada.
    await insertMessageLogs(t.app, [
      { clientId: alice.clientId, sessionId: alice.sessionId, recipient: STRANGER_PHONE, contactName: 'Stranger', createdAt: new Date(BASE_TIME) },
      { clientId: bob.clientId, sessionId: bob.sessionId, recipient: ADA_PHONE, createdAt: new Date(BASE_TIME) },
    ]);
  });
  afterAll(() => t.close());

  const list = (identifier: string, query: Record<string, string | number> = {}) =>
    t.http.get(`/v1/contacts/${encodeURIComponent(identifier)}/messages`).query(query).set(alice.auth);
  const ids = (body: PageBody): string[] => body.data.map((message) => message.id);
  const expectedIds = (): string[] => adaLogs.map((log) => log._id.toHexString());

  it('lists a contact\'s messages newest first, 20 by default, with the seed\'s envelope', async () => {
    const response = await list(adaId).expect(200);
    expect(Object.keys(response.body)).toEqual(['data', 'nextCursor', 'prevCursor']);
    expect(ids(response.body)).toEqual(expectedIds().slice(0, 20));
    expect(response.body.nextCursor).toEqual(expect.any(String));
    expect(response.body.prevCursor).toBeNull();
  });

  it("renders the seed's message shape: attachments with the download url, contact and user blocks, nulls where nothing matches", async () => {
    const response = await list(adaId, { perPage: 1 }).expect(200);
    const [message] = response.body.data as MessageBody[];
    const log = adaLogs[0];
    expect(message).toMatchObject({
      id: log._id.toHexString(),
      createdAt: log.createdAt.toISOString(),
      conversationId: null,
      contactInboxId: null,
      workspaceId: alice.clientId,
      text: 'Hello',
      contentAttributes: null,
      sourceId: log.provider_message_ids[0],
      senderId: null,
      clientId: alice.clientId,
      status: 'read',
      messageUid: log.message_uid,
      source: 'broadcast',
      broadcastId: log.broadcast_id?.toHexString(),
    });
    expect(message.attachments).toEqual([
      expect.objectContaining({
        id: attachmentId,
        mimeType: 'image/png',
        size: PNG_1X1.length,
        name: expect.stringMatching(/^[A-Z0-9]{15}$/),
        width: -1,
        height: -1,
        thumbnailPath: null,
        messageId: log._id.toHexString(),
        url: `/attachment/${attachmentId}/download`,
      }),
    ]);
    expect(message.contact).toMatchObject({
      id: adaId,
      phoneNumber: `+${ADA_PHONE}`,
      email: 'ada@example.com',
      fullName: 'Ada Obi',
      firstName: null,
      avatar: null,
      blockedAt: null,
      workspaceId: alice.clientId,
    });
    expect(message.user).toMatchObject({ id: alice.sessionId, name: 'test session', email: null, image: null });
    // The url really downloads the attachment.
    const download = await t.http.get(message.attachments[0].url as string).set(alice.auth).expect(200);
    expect(Buffer.compare(download.body as Buffer, PNG_1X1)).toBe(0);
  });

  it('walks every message once with nextCursor, and back again with prevCursor', async () => {
    const pages: PageBody[] = [];
    let cursor: string | null = null;
    do {
      const query: Record<string, string | number> = cursor ? { perPage: 7, cursor } : { perPage: 7 };
      const page = (await list(adaId, query).expect(200)).body as PageBody;
      pages.push(page);
      cursor = page.nextCursor;
    } while (cursor);
    expect(pages.map((page) => page.data.length)).toEqual([7, 7, 7, 4]);
    expect(pages.flatMap(ids)).toEqual(expectedIds());
    expect(pages[0].prevCursor).toBeNull();
    expect(pages.at(-1)!.nextCursor).toBeNull();

    const backwards: PageBody[] = [pages.at(-1)!];
    let previous = pages.at(-1)!.prevCursor;
    while (previous) {
      const response = await list(adaId, { perPage: 7, cursor: previous }).expect(200);
      backwards.unshift(response.body as PageBody);
      previous = (response.body as PageBody).prevCursor;
    }
    expect(backwards.map(ids)).toEqual(pages.map(ids));
  });

  it('keeps pages correct when new messages arrive between requests', async () => {
    const first = (await list(adaId, { perPage: 5 }).expect(200)).body as PageBody;
    const arrived = await insertMessageLogs(t.app, [toAda(30), toAda(31), toAda(32)]);
    const second = (await list(adaId, { perPage: 5, cursor: first.nextCursor! }).expect(200)).body as PageBody;
    expect(ids(second)).toEqual(expectedIds().slice(5, 10));
    // Back from the second page: the same first page, and now a way on to the new messages.
    const back = (await list(adaId, { perPage: 5, cursor: second.prevCursor! }).expect(200)).body as PageBody;
    expect(ids(back)).toEqual(ids(first));
    expect(back.prevCursor).toEqual(expect.any(String));
    const newest = (await list(adaId, { perPage: 5, cursor: back.prevCursor! }).expect(200)).body as PageBody;
    expect(ids(newest)).toEqual(arrived.map((log) => log._id.toHexString()));
    expect(newest.prevCursor).toBeNull();
    adaLogs = [...arrived, ...adaLogs];
  });

  it('takes a phone number, in any usual writing, as the identifier', async () => {
    const byId = (await list(adaId, { perPage: 100 }).expect(200)).body as PageBody;
    for (const phone of [ADA_PHONE, `+${ADA_PHONE}`, '+234 817 980 3743']) {
      const byPhone = (await list(phone, { perPage: 100 }).expect(200)).body as PageBody;
      expect(ids(byPhone)).toEqual(ids(byId));
    }
    expect(ids(byId)).toEqual(expectedIds());
  });

  it('shows a number that is not a saved contact with what the message recorded', async () => {
    const response = await list(`+${STRANGER_PHONE}`).expect(200);
    expect(response.body.data).toHaveLength(1);
    expect(response.body.data[0].contact).toMatchObject({ id: null, createdAt: null, phoneNumber: `+${STRANGER_PHONE}`, fullName: 'Stranger' });
    const nobody = await list('+2348031234567').expect(200);
    expect(nobody.body).toEqual({ data: [], nextCursor: null, prevCursor: null });
  });

  it("answers 404 for an unknown contact id and for another client's, in the seed's error shape", async () => {
    const missing = await list('64ac509d05a7cc2b8c2bd9ab').expect(404);
    expect(missing.body).toEqual({ statusCode: 404, error: 'Not Found', message: 'Contact 64ac509d05a7cc2b8c2bd9ab not found' });
    const bobContact = await t.http.post('/contacts').set(bob.auth).send({ name: 'Ada for Bob', phone: ADA_PHONE }).expect(201);
    const foreign = await list(bobContact.body.data._id).expect(404);
    expect(foreign.body).toEqual({ ...missing.body, message: `Contact ${bobContact.body.data._id} not found` });
  });

  it.each([
    [{ perPage: 0 }, 'perPage must be 1 or more'],
    [{ perPage: 101 }, 'perPage must be 100 or less'],
    [{ perPage: 'many' }, 'perPage must be a whole number'],
    [{ cursor: 'bm90LWEtY3Vyc29y' }, 'cursor is not valid: use the nextCursor or prevCursor of a previous answer'],
    [{ page: 2 }, 'property page should not exist'],
  ])('answers 400 in the seed\'s error shape for %j', async (query, message) => {
    const response = await list(adaId, query).expect(400);
    expect(response.body).toEqual({ statusCode: 400, error: 'Bad Request', message: expect.anything() });
    // One problem is a string; several (a non-number breaks every rule on perPage) are a list.
    expect([response.body.message].flat()).toContain(message);
  });

  it('answers 400 for a tampered cursor, never 500', async () => {
    const { nextCursor } = (await list(adaId, { perPage: 2 }).expect(200)).body as PageBody;
    const payload = JSON.parse(Buffer.from(nextCursor!, 'base64url').toString()) as Record<string, unknown>;
    for (const forged of [{ ...payload, id: { $gt: '' } }, { ...payload, t: 'yesterday' }, { ...payload, d: 'sideways' }]) {
      const cursor = Buffer.from(JSON.stringify(forged)).toString('base64url');
      await list(adaId, { cursor }).expect(400);
    }
    await list(adaId, { cursor: nextCursor!.slice(0, -4) }).expect(400);
  });

  it('answers 400 for an identifier that is neither a contact id nor a phone number', async () => {
    for (const identifier of ['ada', '12', '64ac509d05a7cc2b8c2bd9zz']) {
      const response = await list(identifier).expect(400);
      expect(response.body).toEqual({
        statusCode: 400,
        error: 'Bad Request',
        message: 'identifier must be a contact id (24 hexadecimal characters) or a valid phone number with its country code',
      });
    }
  });

  it('answers 401 in the seed\'s error shape without a valid key', async () => {
    const missing = await t.http.get(`/v1/contacts/${adaId}/messages`).expect(401);
    expect(missing.body).toEqual({ statusCode: 401, error: 'Unauthorized', message: expect.stringMatching(/API key/) });
    await t.http.get(`/v1/contacts/${adaId}/messages`).set('Authorization', 'Bearer nope').expect(401);
  });
});
