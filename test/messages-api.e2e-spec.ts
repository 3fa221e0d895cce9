import { getQueueToken } from '@nestjs/bull';
import { getConnectionToken } from '@nestjs/mongoose';
import type { Queue } from 'bull';
import type { Connection } from 'mongoose';
import { Types } from 'mongoose';
import { Role } from '../src/auth/permissions';
import { SessionRepository } from '../src/auth/session.repository';
import { SEND_QUEUE } from '../src/sending/sending.jobs';
import { createTenant, issueKey, TestTenant } from './support/factories';
import { describeWithMongo } from './support/mongo';
import { createTestApp, TestApp } from './support/test-app';

describeWithMongo('POST /v1/messages, without a worker (e2e)', () => {
  let t: TestApp;
  let alice: TestTenant;
  let bob: TestTenant;

  // A fresh recipient per message: the test MongoDB ignores partial indexes, so a unique index meant for
  // broadcast recipients would also refuse a second API message to one number there (not on a real server).
  let recipients = 0;
  const nextRecipient = () => `23481798037${String(recipients++).padStart(2, '0')}`;

  const messageLogs = () => t.app.get<Connection>(getConnectionToken()).collection('message_logs');
  const sendQueue = () => t.app.get<Queue>(getQueueToken(SEND_QUEUE));
  const post = (tenant: TestTenant, body: Record<string, unknown>) => t.http.post('/v1/messages').set(tenant.auth).set(tenant.session).send(body);

  beforeAll(async () => {
    t = await createTestApp({ worker: false });
    alice = await createTenant(t.app, { name: 'Alice' });
    bob = await createTenant(t.app, { name: 'Bob' });
  });
  afterAll(() => t.close());

  it('answers 202 with a 16-hex message_uid, writes a queued api message log and enqueues one job', async () => {
    const response = await post(alice, { to: '+234 817 980 3743', message: { text: 'Your order has shipped' } }).expect(202);

    expect(response.body).toEqual({
      status: true,
      message: 'Message queued successfully!',
      data: { message_uid: expect.stringMatching(/^[0-9a-f]{16}$/), status: 'queued' },
    });
    const entry = await messageLogs().findOne({ message_uid: response.body.data.message_uid });
    expect(entry).toMatchObject({
      source: 'api',
      status: 'queued',
      recipient: '2348179803743',
      broadcast_id: null,
      message: { text: 'Your order has shipped', attachments: [], location: null, contactId: null, template: null },
    });
    expect(entry?.client_id.toHexString()).toBe(alice.clientId);
    expect(entry?.session_id.toHexString()).toBe(alice.sessionId);
    const job = await sendQueue().getJob(`message:${entry?._id.toHexString()}`);
    expect(job?.data).toEqual({ kind: 'message', messageLogId: entry?._id.toHexString() });
  });

  it('keeps every message to the same number as its own ledger entry', async () => {
    const to = nextRecipient();
    const first = await post(alice, { to, message: { text: 'one' } }).expect(202);
    const second = await post(alice, { to, message: { text: 'two' } }).expect(202);
    expect(first.body.data.message_uid).not.toEqual(second.body.data.message_uid);
    const logs = await t.http.get('/message-log').set(alice.auth).set(alice.session).query({ limit: 100 }).expect(200);
    const texts = logs.body.data.filter((log: { recipient: string }) => log.recipient === to).map((log: { message: { text: string } }) => log.message.text);
    expect(texts.sort()).toEqual(['one', 'two']);
  });

  it('stores a template, alone or with other parts, and names it on the log', async () => {
    const components = [{ type: 'body', parameters: [{ type: 'text', text: 'Ada' }, { type: 'text', text: '#1042' }] }];
    const template = { name: 'order_update', language: 'en_US', components };
    const response = await post(alice, { to: nextRecipient(), template }).expect(202);
    const entry = await messageLogs().findOne({ message_uid: response.body.data.message_uid });
    // The sandbox session's catalogue has order_update: its category rides on the stored template and the log.
    expect(entry).toMatchObject({
      template_name: 'order_update',
      template_language: 'en_US',
      template_category: 'UTILITY',
      message: { text: null, template: { ...template, category: 'UTILITY' } },
    });
  });

  describe('Idempotency-Key', () => {
    it('answers the first answer again for the same key and body, and sends nothing more', async () => {
      const body = { to: nextRecipient(), message: { text: 'Once only' } };
      const first = await post(alice, body).set('Idempotency-Key', 'order-1042-shipped').expect(202);
      const again = await post(alice, { message: { text: 'Once only' }, to: body.to }).set('Idempotency-Key', 'order-1042-shipped').expect(202);

      expect(again.body).toEqual(first.body);
      expect(await messageLogs().countDocuments({ 'message.text': 'Once only' })).toBe(1);
    });

    it('refuses the same key with a different body (422), writing nothing', async () => {
      const to = nextRecipient();
      await post(alice, { to, message: { text: 'First body' } }).set('Idempotency-Key', 'key-2').expect(202);
      const response = await post(alice, { to, message: { text: 'Second body' } }).set('Idempotency-Key', 'key-2').expect(422);
      expect(response.body).toEqual({ status: false, message: 'This Idempotency-Key was already used with a different request body', errors: [expect.any(String)] });
      expect(await messageLogs().countDocuments({ 'message.text': 'Second body' })).toBe(0);
    });

    it('keeps keys of different clients apart', async () => {
      const mine = await post(alice, { to: nextRecipient(), message: { text: 'Alice says' } }).set('Idempotency-Key', 'shared-key').expect(202);
      const theirs = await post(bob, { to: nextRecipient(), message: { text: 'Bob says' } }).set('Idempotency-Key', 'shared-key').expect(202);
      expect(theirs.body.data.message_uid).not.toBe(mine.body.data.message_uid);
    });

    it('lets a key be used again after a request that failed validation', async () => {
      await post(alice, { to: nextRecipient(), message: { attachments: [new Types.ObjectId().toHexString()] } })
        .set('Idempotency-Key', 'retry-after-fix')
        .expect(400);
      await post(alice, { to: nextRecipient(), message: { text: 'Fixed' } }).set('Idempotency-Key', 'retry-after-fix').expect(202);
    });

    it('refuses a malformed key', async () => {
      const response = await post(alice, { to: nextRecipient(), message: { text: 'x' } }).set('Idempotency-Key', 'x'.repeat(256)).expect(400);
      expect(response.body.errors).toEqual(['Idempotency-Key must be 1-255 visible ASCII characters']);
    });
  });

  it('answers 400 naming each problem and writes nothing', async () => {
    const before = await messageLogs().countDocuments();
    const invalid = await post(alice, { to: '12345', message: { text: 'x' }, extra: true }).expect(400);
    expect(invalid.body.errors).toEqual(
      expect.arrayContaining([expect.stringMatching(/to must be a valid international phone number/), 'property extra should not exist']),
    );
    const empty = await post(alice, { to: nextRecipient(), message: {} }).expect(400);
    expect(empty.body.errors).toEqual([expect.stringMatching(/needs at least one of message.text/)]);
    const badTemplate = await post(alice, { to: nextRecipient(), template: { name: 'Order Update!', language: 'english' } }).expect(400);
    expect(badTemplate.body.errors).toEqual(
      expect.arrayContaining([expect.stringMatching(/template.name must be/), expect.stringMatching(/template.language must be/)]),
    );
    const foreignAttachment = await post(alice, { to: nextRecipient(), message: { attachments: [new Types.ObjectId().toHexString()] } }).expect(400);
    expect(foreignAttachment.body.errors).toEqual([expect.stringMatching(/is not one of your attachments/)]);
    expect(await messageLogs().countDocuments()).toBe(before);
  });

  it('needs a session and the message:send permission', async () => {
    const missing = await t.http.post('/v1/messages').set(alice.auth).send({ to: nextRecipient(), message: { text: 'x' } }).expect(400);
    expect(missing.body.message).toMatch(/give session_id and access_token/);
    const readOnly = await issueKey(t.app, alice.clientId, Role.ReadOnly);
    const response = await t.http
      .post('/v1/messages')
      .set('x-api-key', readOnly)
      .set(alice.session)
      .send({ to: nextRecipient(), message: { text: 'x' } })
      .expect(403);
    expect(response.body.message).toMatch(/message:send/);
  });

  it('documents POST /v1/messages and the webhook in the OpenAPI document', async () => {
    const document = (await t.http.get('/docs-json').expect(200)).body;
    const send = document.paths['/v1/messages'].post;
    expect(Object.keys(send.responses)).toEqual(expect.arrayContaining(['202', '400', '401', '403', '409', '422']));
    expect(send.parameters).toEqual(expect.arrayContaining([expect.objectContaining({ name: 'Idempotency-Key', in: 'header' })]));
    expect(document.components.schemas.SendMessageDto.properties).toEqual(
      expect.objectContaining({ to: expect.any(Object), message: expect.any(Object), template: expect.any(Object) }),
    );
    const webhook = document.paths['/webhooks/whatsapp'];
    expect(webhook.get.parameters.map((parameter: { name: string }) => parameter.name)).toEqual(
      expect.arrayContaining(['hub.mode', 'hub.verify_token', 'hub.challenge']),
    );
    expect(webhook.post.parameters).toEqual(expect.arrayContaining([expect.objectContaining({ name: 'X-Hub-Signature-256' })]));
    expect(webhook.post.security).toEqual([]); // no API key: the HMAC signature authenticates it
  });

  it('refuses to queue for a session marked unhealthy, saying why', async () => {
    const carol = await createTenant(t.app, { name: 'Carol' });
    await t.app.get(SessionRepository).setHealth(carol.sessionId, 'unhealthy', 'Cloud API access token expired (190)');
    const response = await post(carol, { to: nextRecipient(), message: { text: 'x' } }).expect(409);
    expect(response.body.message).toMatch(/cannot send: Cloud API access token expired \(190\)/);
  });
});
