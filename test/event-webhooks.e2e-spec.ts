import { getQueueToken } from '@nestjs/bull';
import { getConnectionToken } from '@nestjs/mongoose';
import type { Queue } from 'bull';
import { Types, type Connection } from 'mongoose';
import { setTimeout as sleep } from 'node:timers/promises';
import { signWebhookBody } from '@app/whatsapp';
import { cloudMessagesWebhook, cloudTextMessage } from './support/fake-cloud-api';
import { TenancyService } from '../src/auth/tenancy.service';
import { eventId } from '../src/event-webhook/client-events';
import { EventOutboxSweeper, OUTBOX_SWEEP_AGE_MS } from '../src/event-webhook/event-outbox-sweeper';
import { verifyEventSignature } from '../src/event-webhook/event-signature';
import { EVENT_WEBHOOK_QUEUE } from '../src/event-webhook/event-webhook.jobs';
import { EventWebhookQueue } from '../src/event-webhook/event-webhook.queue';
import { WebhookDeliveryRepository } from '../src/event-webhook/webhook-delivery.repository';
import type { RedisClient } from '../src/core/redis-connection';
import { REDIS } from '../src/core/redis.module';
import { REDIS_GENERATION_KEY, RedisLossMarker } from '../src/recovery/redis-loss-marker';
import { createTenant, TestTenant } from './support/factories';
import { describeWithMongo } from './support/mongo';
import { eventually } from './support/polling';
import { createTestApp, TestApp } from './support/test-app';
import { WebhookReceiver } from './support/webhook-receiver';

const MAX_ATTEMPTS = 4;
/** Several retries, each behind Bull's delay timer: room for a machine busy with other suites. */
const RETRY_WAIT_MS = 20_000;
const RANK: Record<string, number> = { 'message.sent': 1, 'message.delivered': 2, 'message.read': 3, 'message.failed': 4 };

interface Event {
  id: string;
  type: string;
  created_at: string;
  data: { message?: { id: string; status: string; to?: string; from?: string; text: string | null; error: unknown }; broadcast?: Record<string, unknown> };
}

describeWithMongo('Event webhooks to the client (e2e, local receiver, real Redis and MongoDB)', () => {
  let t: TestApp;
  let receiver: WebhookReceiver;
  let alice: TestTenant;
  let bob: TestTenant;
  let paths = 0;

  const db = () => t.app.get<Connection>(getConnectionToken());
  const events = (path: string): Event[] => receiver.to(path).map((delivery) => JSON.parse(delivery.body) as Event);

  async function createEndpoint(tenant: TestTenant, body: Record<string, unknown> = {}): Promise<{ id: string; secret: string; path: string }> {
    const path = `/hooks/${paths++}`;
    const response = await t.http.post('/webhook-endpoints').set(tenant.auth).send({ url: `${receiver.baseUrl}${path}`, ...body }).expect(201);
    return { id: response.body.data._id as string, secret: response.body.data.secret as string, path };
  }

  async function sendMessage(tenant: TestTenant, to: string, text = 'Your order shipped'): Promise<string> {
    const response = await t.http.post('/v1/messages').set(tenant.auth).set(tenant.session).send({ to, message: { text } }).expect(202);
    const entry = await eventually(() => db().collection('message_logs').findOne({ message_uid: response.body.data.message_uid }), 'the entry');
    return entry._id.toHexString();
  }

  const deliveries = async (tenant: TestTenant, endpointId: string, query = '') =>
    (await t.http.get(`/webhook-endpoints/${endpointId}/deliveries?limit=100${query}`).set(tenant.auth).expect(200)).body.data as Array<Record<string, unknown>>;

  beforeAll(async () => {
    receiver = await WebhookReceiver.start();
    t = await createTestApp({
      env: { WEBHOOK_ALLOW_PRIVATE_URLS: 'true', WEBHOOK_BACKOFF_MS: '40', WEBHOOK_MAX_ATTEMPTS: String(MAX_ATTEMPTS), WEBHOOK_TIMEOUT_MS: '2000' },
    });
    alice = await createTenant(t.app, { name: 'Alice' });
    bob = await createTenant(t.app, { name: 'Bob' });
  });
  afterAll(async () => {
    await t.close();
    await receiver.close();
  });

  describe('/webhook-endpoints', () => {
    it('shows the secret once, never again, and lets the client change and delete the endpoint', async () => {
      const created = await t.http
        .post('/webhook-endpoints')
        .set(alice.auth)
        .send({ url: `${receiver.baseUrl}/crud`, events: ['message.read', 'message.failed'], description: 'CRM' })
        .expect(201);
      expect(created.body).toMatchObject({ status: true, message: 'Webhook endpoint created successfully!' });
      expect(created.body.data).toMatchObject({ url: `${receiver.baseUrl}/crud`, events: ['message.read', 'message.failed'], enabled: true, disabled_reason: null });
      expect(created.body.data.secret).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
      const id = created.body.data._id as string;

      const fetched = await t.http.get(`/webhook-endpoints/${id}`).set(alice.auth).expect(200);
      const listed = await t.http.get('/webhook-endpoints').set(alice.auth).expect(200);
      for (const body of [fetched.body, listed.body]) {
        expect(JSON.stringify(body)).not.toContain(created.body.data.secret as string);
        expect(JSON.stringify(body)).not.toContain('secret');
      }
      expect(listed.body.pagination).toBeDefined();

      const patched = await t.http.patch(`/webhook-endpoints/${id}`).set(alice.auth).send({ enabled: false, events: [] }).expect(200);
      expect(patched.body.data).toMatchObject({ enabled: false, events: [] });
      await t.http.get(`/webhook-endpoints/${id}`).set(bob.auth).expect(404);
      await t.http.patch(`/webhook-endpoints/${id}`).set(bob.auth).send({ enabled: true }).expect(404);
      await t.http.delete(`/webhook-endpoints/${id}`).set(bob.auth).expect(404);
      await t.http.delete(`/webhook-endpoints/${id}`).set(alice.auth).expect(200);
      await t.http.get(`/webhook-endpoints/${id}`).set(alice.auth).expect(404);
    });

    it('answers 400 naming the problem, and writes nothing', async () => {
      const cases: Array<[Record<string, unknown>, RegExp]> = [
        [{ url: 'ftp://example.com/hook' }, /http:\/\/ or https:\/\//],
        [{ url: 'not a url' }, /absolute http/],
        [{ url: 'https://user:pw@example.com/hook' }, /credentials/],
        [{ url: 'https://example.com/hook', events: ['message.exploded'] }, /each of events must be one of: message\.sent/],
        [{ url: 'https://example.com/hook', enabled: 'yes' }, /enabled must be true or false/],
        [{ url: 'https://example.com/hook', secret: 'mine' }, /secret should not exist/],
        [{}, /url/],
      ];
      for (const [body, message] of cases) {
        const response = await t.http.post('/webhook-endpoints').set(alice.auth).send(body).expect(400);
        expect(JSON.stringify(response.body)).toMatch(message);
      }
      await t.http.get('/webhook-endpoints/not-an-id').set(alice.auth).expect(400);
      expect(await db().collection('webhook_endpoints').countDocuments({ url: /example\.com/ })).toBe(0);
      // A change with null where null means nothing is refused by name, for an endpoint that exists or not.
      const endpoint = await createEndpoint(alice);
      for (const id of [endpoint.id, new Types.ObjectId().toHexString()]) {
        for (const [body, message] of [
          [{ url: null }, 'url must be a string'],
          [{ events: null }, 'events must be an array of event names'],
          [{ enabled: null }, 'enabled must be true or false'],
        ] as const) {
          const response = await t.http.patch(`/webhook-endpoints/${id}`).set(alice.auth).send(body).expect(400);
          expect(response.body.errors).toContain(message);
        }
      }
      const cleared = await t.http.patch(`/webhook-endpoints/${endpoint.id}`).set(alice.auth).send({ description: null }).expect(200);
      expect(cleared.body.data).toMatchObject({ description: null, enabled: true, url: expect.stringContaining(endpoint.path) });
      await t.http.delete(`/webhook-endpoints/${endpoint.id}`).set(alice.auth).expect(200);
    });

    it('needs the webhook:manage permission', async () => {
      const member = await createTenant(t.app, { name: 'Member', role: 'member' as never });
      await t.http.get('/webhook-endpoints').set(member.auth).expect(403);
      await t.http.get('/webhook-endpoints').expect(401);
    });
  });

  describe('the outbox', () => {
    const entryOf = (messageId: string) => db().collection('message_logs').findOne({ _id: new Types.ObjectId(messageId) });

    it("keeps an event whose publish failed in its message's ledger entry, and the sweep delivers it once, under the same id", async () => {
      const carol = await createTenant(t.app, { name: 'Carol' });
      const endpoint = await createEndpoint(carol, { events: ['message.sent'] });
      // Redis refuses the delivery's job: the publish fails after the ledger write (and after the delivery record).
      const failing = jest.spyOn(t.app.get(EventWebhookQueue), 'deliver').mockRejectedValue(new Error('Redis unreachable (simulated)'));
      let messageId: string;
      try {
        messageId = await sendMessage(carol, '2348031117771');
        await eventually(async () => ((await entryOf(messageId))?.status_times?.sentAt ? true : null), 'the message sent', 15_000);
        await eventually(async () => failing.mock.calls.length > 0 || null, 'the publish to be tried');
      } finally {
        failing.mockRestore();
      }
      await sleep(300);
      expect((await entryOf(messageId))?.pending_events).toEqual(['message.sent']);
      expect(receiver.to(endpoint.path)).toEqual([]);
      expect(await deliveries(carol, endpoint.id)).toMatchObject([{ event_type: 'message.sent', status: 'pending', attempt_count: 0 }]);

      // A worker's sweep, once the event is OUTBOX_SWEEP_AGE_MS old.
      const sweeper = t.app.get(EventOutboxSweeper);
      expect(await sweeper.sweep(new Date(Date.now() + OUTBOX_SWEEP_AGE_MS + 1000))).toBeGreaterThanOrEqual(1);
      const [delivery] = await eventually(async () => (receiver.to(endpoint.path).length > 0 ? receiver.to(endpoint.path) : null), 'the swept event', 15_000);
      const event = JSON.parse(delivery.body) as Event;
      expect(event).toMatchObject({ id: eventId(messageId, 'message.sent'), type: 'message.sent', data: { message: { id: messageId, status: 'sent', to: '2348031117771' } } });
      expect(delivery.headers['x-event-id']).toBe(event.id);
      expect(verifyEventSignature(endpoint.secret, delivery.headers['x-signature'] as string, delivery.body)).toBe(true);
      expect((await entryOf(messageId))?.pending_events).toBeUndefined();

      // Swept again (another worker, a late fast path): nothing more reaches the receiver.
      await sweeper.sweep(new Date(Date.now() + OUTBOX_SWEEP_AGE_MS + 1000));
      await sleep(500);
      expect(receiver.to(endpoint.path)).toHaveLength(1);
      expect(await deliveries(carol, endpoint.id)).toMatchObject([{ status: 'succeeded', attempt_count: 1 }]);
    });

    it('keeps a received message whose publish failed (its deliveries not written) in its entry, and the sweep tells it once', async () => {
      const erin = await createTenant(t.app, { name: 'Erin' });
      const endpoint = await createEndpoint(erin, { events: ['message.received'] });
      await t.app.get(TenancyService).createSession({
        clientId: erin.clientId,
        name: 'Erin line',
        provider: 'cloud-api',
        credentials: { phone_number_id: '777000222', access_token: 'EAAG-outbox', app_secret: 'outbox-secret', verify_token: 'v' },
      });
      const raw = cloudMessagesWebhook('777000222', [cloudTextMessage('2348031117773', 'wamid.outbox.1', 'Still there?')], [{ wa_id: '2348031117773', profile: { name: 'Tunde' } }]);
      // MongoDB refuses the deliveries' write: the publish fails before anything is queued.
      const failing = jest.spyOn(t.app.get(WebhookDeliveryRepository), 'createMany').mockRejectedValue(new Error('MongoDB unreachable (simulated)'));
      try {
        await t.http.post('/webhooks/whatsapp').set('Content-Type', 'application/json').set('X-Hub-Signature-256', signWebhookBody(raw, 'outbox-secret')).send(raw.toString()).expect(200);
        await eventually(async () => failing.mock.calls.length > 0 || null, 'the publish to be tried');
      } finally {
        failing.mockRestore();
      }
      const entry = await db().collection('message_logs').findOne({ client_id: new Types.ObjectId(erin.clientId), direction: 'inbound' });
      expect(entry?.pending_events).toEqual(['message.received']);
      await sleep(300);
      expect(receiver.to(endpoint.path)).toEqual([]);

      await t.app.get(EventOutboxSweeper).sweep(new Date(Date.now() + OUTBOX_SWEEP_AGE_MS + 1000));
      const [event] = await eventually(async () => (events(endpoint.path).length > 0 ? events(endpoint.path) : null), 'the swept message.received', 15_000);
      expect(event).toMatchObject({
        id: eventId(entry!._id.toHexString(), 'message.received'),
        type: 'message.received',
        data: { message: { id: entry!._id.toHexString(), from: '2348031117773', text: 'Still there?', status: 'received', contact: { name: 'Tunde' } } },
      });
      await sleep(500);
      expect(events(endpoint.path)).toHaveLength(1);
      expect((await db().collection('message_logs').findOne({ _id: entry!._id }))?.pending_events).toBeUndefined();
    });

    it("keeps a broadcast's completion whose publish failed in the broadcast's outbox, and the sweep tells it once", async () => {
      const frank = await createTenant(t.app, { name: 'Frank' });
      const endpoint = await createEndpoint(frank, { events: ['broadcast.completed'] });
      const failing = jest.spyOn(t.app.get(EventWebhookQueue), 'deliver').mockRejectedValue(new Error('Redis unreachable (simulated)'));
      let id: string;
      try {
        const created = await t.http
          .post('/broadcast')
          .set(frank.auth)
          .set(frank.session)
          .send({ send_type: 'individual', to: '2348031117774,2348031117775', message: { text: 'Sale' } })
          .expect(201);
        id = created.body.data._id as string;
        const broadcasts = db().collection('broadcasts');
        await eventually(async () => ((await broadcasts.findOne({ _id: new Types.ObjectId(id) }))?.finished_at ? true : null), 'the broadcast to finish', 15_000);
        await eventually(async () => failing.mock.calls.length > 0 || null, 'the publish to be tried');
      } finally {
        failing.mockRestore();
      }
      const stored = await db().collection('broadcasts').findOne({ _id: new Types.ObjectId(id) });
      expect(stored?.pending_completions).toEqual([{ status: 'completed', finished_at: stored?.finished_at }]);
      // Bookkeeping, never shown by the API.
      const shown = await t.http.get(`/broadcast/${id}`).set(frank.auth).expect(200);
      expect(JSON.stringify(shown.body)).not.toContain('pending_completions');
      await sleep(300);
      expect(receiver.to(endpoint.path)).toEqual([]);

      const sweeper = t.app.get(EventOutboxSweeper);
      await sweeper.sweep(new Date(Date.now() + OUTBOX_SWEEP_AGE_MS + 1000));
      const [event] = await eventually(async () => (events(endpoint.path).length > 0 ? events(endpoint.path) : null), 'the swept broadcast.completed', 15_000);
      expect(event).toMatchObject({
        id: eventId(id, 'broadcast.completed', (stored!.finished_at as Date).toISOString()),
        type: 'broadcast.completed',
        data: { broadcast: { id, status: 'completed', recipients: 2, sent: 2, failed: 0 } },
      });
      await sweeper.sweep(new Date(Date.now() + OUTBOX_SWEEP_AGE_MS + 1000));
      await sleep(500);
      expect(events(endpoint.path)).toHaveLength(1);
      expect(await db().collection('broadcasts').findOne({ _id: new Types.ObjectId(id) })).not.toHaveProperty('pending_completions');
    });

    it("keeps a template's change and the pause it causes in the template's and the broadcast's outboxes when the publish fails, and the sweep tells each once", async () => {
      const grace = await createTenant(t.app, { name: 'Grace' });
      const endpoint = await createEndpoint(grace, { events: ['template.status_changed', 'broadcast.paused'] });
      const sendAt = new Date(Date.now() + 3_600_000).toISOString();
      const created = await t.http
        .post('/broadcast')
        .set(grace.auth)
        .set(grace.session)
        .send({ send_type: 'individual', to: '2348031117781,2348031117782', message: {}, template: { name: 'hello_world', language: 'en_US' }, send_at: sendAt })
        .expect(201);
      const broadcastId = created.body.data._id as string;
      const listed = (await t.http.get('/templates?limit=100').set(grace.auth).set(grace.session).expect(200)).body.data as Array<{ _id: string; name: string }>;
      const templateId = listed.find(({ name }) => name === 'hello_world')!._id;

      const failing = jest.spyOn(t.app.get(EventWebhookQueue), 'deliver').mockRejectedValue(new Error('Redis unreachable (simulated)'));
      try {
        await t.http.post(`/templates/${templateId}/sandbox-status`).set(grace.auth).set(grace.session).send({ status: 'PAUSED' }).expect(200);
        expect(failing).toHaveBeenCalled();
      } finally {
        failing.mockRestore();
      }
      expect((await t.http.get(`/broadcast/${broadcastId}`).set(grace.auth).expect(200)).body.data).toMatchObject({ status: 'paused', paused_reason: 'template_paused' });
      const template = await db().collection('message_templates').findOne({ _id: new Types.ObjectId(templateId) });
      const broadcast = await db().collection('broadcasts').findOne({ _id: new Types.ObjectId(broadcastId) });
      expect(template?.client_events.map((recorded: { event: { event: { type: string } } }) => recorded.event.event.type)).toEqual(['template.status_changed']);
      expect(broadcast?.client_events.map((recorded: { event: { event: { type: string } } }) => recorded.event.event.type)).toEqual(['broadcast.paused']);
      // Bookkeeping, never shown by the API.
      expect(JSON.stringify((await t.http.get(`/templates/${templateId}`).set(grace.auth).set(grace.session).expect(200)).body)).not.toContain('client_events');
      expect(JSON.stringify((await t.http.get(`/broadcast/${broadcastId}`).set(grace.auth).expect(200)).body)).not.toContain('client_events');
      await sleep(300);
      expect(receiver.to(endpoint.path)).toEqual([]);

      const sweeper = t.app.get(EventOutboxSweeper);
      await sweeper.sweep(new Date(Date.now() + OUTBOX_SWEEP_AGE_MS + 1000));
      const told = await eventually(async () => (events(endpoint.path).length >= 2 ? events(endpoint.path) : null), 'the swept events', 15_000);
      expect(told.map(({ type }) => type).sort()).toEqual(['broadcast.paused', 'template.status_changed']);
      expect(told.find(({ type }) => type === 'broadcast.paused')?.data.broadcast).toMatchObject({ id: broadcastId, status: 'paused', paused_reason: 'template_paused' });
      await sweeper.sweep(new Date(Date.now() + OUTBOX_SWEEP_AGE_MS + 1000));
      await sleep(500);
      expect(events(endpoint.path)).toHaveLength(2);
      expect(await db().collection('message_templates').findOne({ _id: new Types.ObjectId(templateId) })).not.toHaveProperty('client_events');
      expect(await db().collection('broadcasts').findOne({ _id: new Types.ObjectId(broadcastId) })).not.toHaveProperty('client_events');
      await t.http.post(`/broadcast/${broadcastId}/cancel`).set(grace.auth).expect(200);
    });

    it('queues again a published delivery whose job Redis lost, once a worker notices the loss', async () => {
      const grace = await createTenant(t.app, { name: 'Grace' });
      const endpoint = await createEndpoint(grace, { events: ['message.sent'] });
      // The job is added and then lost with Redis's data: here it never reaches Redis, the delivery is made and the outbox cleared.
      const lost = jest.spyOn(t.app.get(EventWebhookQueue), 'deliver').mockResolvedValue(undefined);
      let messageId: string;
      try {
        messageId = await sendMessage(grace, '2348031117776');
        await eventually(async () => ((await deliveries(grace, endpoint.id)).length > 0 ? true : null), 'the delivery record', 15_000);
        await eventually(async () => ((await entryOf(messageId))?.pending_events ? null : true), 'the outbox cleared');
      } finally {
        lost.mockRestore();
      }
      await sleep(300);
      expect(receiver.to(endpoint.path)).toEqual([]);

      // A worker notices that Redis lost its data (the generation key is gone).
      const marker = t.app.get(RedisLossMarker);
      await t.app.get<RedisClient>(REDIS).del(REDIS_GENERATION_KEY);
      expect(await marker.check()).toBe(true);
      const [delivery] = await eventually(async () => (receiver.to(endpoint.path).length > 0 ? receiver.to(endpoint.path) : null), 'the delivery queued again', 15_000);
      expect(JSON.parse(delivery.body)).toMatchObject({ id: eventId(messageId, 'message.sent'), type: 'message.sent' });
      await sleep(500);
      expect(receiver.to(endpoint.path)).toHaveLength(1);
    });

    it('delivers the event of a job that came back without its name and data (Redis lost its data under it)', async () => {
      const heidi = await createTenant(t.app, { name: 'Heidi' });
      const endpoint = await createEndpoint(heidi, { events: ['message.sent'] });
      const lost = jest.spyOn(t.app.get(EventWebhookQueue), 'deliver').mockResolvedValue(undefined);
      let messageId: string;
      try {
        messageId = await sendMessage(heidi, '2348031117775');
        await eventually(async () => ((await deliveries(heidi, endpoint.id)).length > 0 ? true : null), 'the delivery record', 15_000);
      } finally {
        lost.mockRestore();
      }
      const [record] = await db().collection('webhook_deliveries').find({ endpoint_id: new Types.ObjectId(endpoint.id) }).toArray();
      const deliveryId = record._id.toHexString();
      // What Bull leaves when Redis loses a job under a worker: its try's bookkeeping re-creates the hash
      // (attempts, error) without name, data or options, and the job id, still taken, comes round again.
      const queue = t.app.get<Queue>(getQueueToken(EVENT_WEBHOOK_QUEUE));
      await queue.client.hset(queue.toKey(deliveryId), 'attemptsMade', '1', 'failedReason', 'Connection is closed.');
      await queue.client.lpush(queue.toKey('wait'), deliveryId);
      await queue.client.publish(queue.toKey('added'), deliveryId);

      const [delivery] = await eventually(async () => (receiver.to(endpoint.path).length > 0 ? receiver.to(endpoint.path) : null), 'the event of the nameless job', 15_000);
      expect(JSON.parse(delivery.body)).toMatchObject({ id: eventId(messageId, 'message.sent'), type: 'message.sent' });
      await sleep(500);
      expect(receiver.to(endpoint.path)).toHaveLength(1);
    });

    it("records nothing for a client without an endpoint: its messages' entries never carry an outbox", async () => {
      const dave = await createTenant(t.app, { name: 'Dave' });
      const messageId = await sendMessage(dave, '2348031117772');
      const entry = await eventually(async () => {
        const found = await entryOf(messageId);
        return found?.status === 'read' ? found : null;
      }, 'the message read', 15_000);
      expect(entry).not.toHaveProperty('pending_events');
    });
  });

  describe('deliveries', () => {
    it('signs each delivery (HMAC-SHA256 of timestamp and body), with stable event ids, and never goes backwards per message', async () => {
      const endpoint = await createEndpoint(alice);
      const messageIds = await Promise.all(['2348031110001', '2348031110002', '2348031110003'].map((to) => sendMessage(alice, to)));
      await eventually(async () => events(endpoint.path).filter((event) => event.type === 'message.read').length === 3 || null, 'every message read', 15_000);

      for (const delivery of receiver.to(endpoint.path)) {
        const signature = delivery.headers['x-signature'] as string;
        expect(signature).toMatch(new RegExp(`^t=${delivery.headers['x-timestamp'] as string},v1=[0-9a-f]{64}$`));
        expect(verifyEventSignature(endpoint.secret, signature, delivery.body)).toBe(true);
        expect(verifyEventSignature('whsec_wrong', signature, delivery.body)).toBe(false);
        expect(verifyEventSignature(endpoint.secret, signature, `${delivery.body} `)).toBe(false);
        const event = JSON.parse(delivery.body) as Event;
        expect(delivery.headers['x-event-id']).toBe(event.id);
        expect(delivery.headers['x-event-type']).toBe(event.type);
        expect(event.id).toMatch(/^evt_[0-9a-f]{24}$/);
      }
      for (const messageId of messageIds) {
        const mine = events(endpoint.path).filter((event) => event.data.message?.id === messageId);
        const ranks = mine.map((event) => RANK[event.type]);
        expect(ranks).toEqual([...ranks].sort((a, b) => a - b));
        expect(new Set(mine.map((event) => event.id)).size).toBe(mine.length);
        expect(mine.at(-1)).toMatchObject({ type: 'message.read', data: { message: { status: 'read', text: 'Your order shipped' } } });
      }
      const listed = await deliveries(alice, endpoint.id);
      expect(listed.every((delivery) => ['succeeded', 'superseded'].includes(delivery.status as string))).toBe(true);
      expect(listed.find((delivery) => delivery.status === 'succeeded')).toMatchObject({ attempt_count: 1, response_code: 200, attempts: [expect.objectContaining({ response_code: 200 })] });
    });

    it('a receiver that fails twice then succeeds gets the event once as a success', async () => {
      const endpoint = await createEndpoint(alice, { events: ['message.failed'] });
      receiver.script(endpoint.path, 503, 500);
      const messageId = await sendMessage(alice, '2348031119999'); // sandbox: always fails permanently
      const [delivery] = await eventually(async () => {
        const listed = await deliveries(alice, endpoint.id);
        return listed[0]?.status === 'succeeded' ? listed : null;
      }, 'the delivery to succeed', RETRY_WAIT_MS);
      expect(delivery).toMatchObject({ status: 'succeeded', attempt_count: 3, response_code: 200, error: null });
      expect((delivery.attempts as Array<{ response_code: number }>).map((attempt) => attempt.response_code)).toEqual([503, 500, 200]);
      const got = receiver.to(endpoint.path);
      expect(got.map((request) => request.answered)).toEqual([503, 500, 200]);
      expect(new Set(got.map((request) => JSON.parse(request.body).id)).size).toBe(1);
      expect(events(endpoint.path)[0]).toMatchObject({ type: 'message.failed', data: { message: { id: messageId, status: 'failed', error: { code: '131026' } } } });
      await sleep(300);
      expect(receiver.to(endpoint.path)).toHaveLength(3);
    });

    it('a 410 stops retries at once; other 4xx too, while 408 and 429 are retried', async () => {
      const gone = await createEndpoint(alice, { events: ['message.sent'] });
      const throttled = await createEndpoint(alice, { events: ['message.sent'] });
      receiver.answerAlways(gone.path, 410);
      receiver.script(throttled.path, 429, 408);
      await sendMessage(alice, '2348031110010');
      const [goneDelivery] = await eventually(async () => {
        const listed = await deliveries(alice, gone.id);
        return listed[0]?.status === 'failed' ? listed : null;
      }, 'the 410 to end the delivery');
      expect(goneDelivery).toMatchObject({ attempt_count: 1, response_code: 410, next_attempt_at: null });
      await eventually(async () => (await deliveries(alice, throttled.id))[0]?.status === 'succeeded' || null, 'the throttled delivery', RETRY_WAIT_MS);
      await sleep(400);
      expect(receiver.to(gone.path)).toHaveLength(1);
      expect(receiver.to(throttled.path).map((request) => request.answered)).toEqual([429, 408, 200]);
      // A lone failure does not disable the endpoint.
      expect((await t.http.get(`/webhook-endpoints/${gone.id}`).set(alice.auth).expect(200)).body.data.enabled).toBe(true);
    });

    it("another client's endpoint never sees an event", async () => {
      const alices = await createEndpoint(alice);
      const bobs = await createEndpoint(bob);
      const messageId = await sendMessage(alice, '2348031110020');
      await eventually(async () => events(alices.path).some((event) => event.type === 'message.read') || null, "alice's read event");
      await sleep(300);
      expect(events(bobs.path).filter((event) => event.data.message?.id === messageId)).toEqual([]);
      expect(JSON.stringify(events(bobs.path))).not.toContain(messageId);
    });

    it('an endpoint that keeps failing is disabled, says why, and can be enabled and redelivered to', async () => {
      const endpoint = await createEndpoint(alice, { events: ['message.sent'] });
      receiver.answerAlways(endpoint.path, 503);
      await sendMessage(alice, '2348031110030');
      const disabled = await eventually(async () => {
        const { body } = await t.http.get(`/webhook-endpoints/${endpoint.id}`).set(alice.auth).expect(200);
        return body.data.enabled === false ? body.data : null;
      }, 'the endpoint to be disabled', RETRY_WAIT_MS);
      expect(disabled.disabled_reason).toMatch(new RegExp(`failed ${MAX_ATTEMPTS} tries .*HTTP 503`));
      expect(receiver.to(endpoint.path)).toHaveLength(MAX_ATTEMPTS);
      const [failed] = await deliveries(alice, endpoint.id, '&status=failed');
      expect(failed).toMatchObject({ status: 'failed', attempt_count: MAX_ATTEMPTS });

      // Disabled: no new deliveries, and redelivery asks for it to be enabled first.
      await sendMessage(alice, '2348031110031');
      await sleep(300);
      expect(receiver.to(endpoint.path)).toHaveLength(MAX_ATTEMPTS);
      await t.http.post(`/webhook-endpoints/${endpoint.id}/deliveries/${failed._id as string}/redeliver`).set(alice.auth).expect(409);

      receiver.answerAlways(endpoint.path, 200);
      const enabled = await t.http.patch(`/webhook-endpoints/${endpoint.id}`).set(alice.auth).send({ enabled: true }).expect(200);
      expect(enabled.body.data).toMatchObject({ enabled: true, disabled_reason: null });
      const redelivered = await t.http.post(`/webhook-endpoints/${endpoint.id}/deliveries/${failed._id as string}/redeliver`).set(alice.auth).expect(202);
      expect(redelivered.body.data.status).toBe('pending');
      await eventually(async () => (await deliveries(alice, endpoint.id, '&status=succeeded')).length === 1 || null, 'the redelivery');
      const last = receiver.to(endpoint.path).at(-1)!;
      expect(JSON.parse(last.body).id).toBe(JSON.parse(receiver.to(endpoint.path)[0].body).id);
      await t.http.post(`/webhook-endpoints/${endpoint.id}/deliveries/${failed._id as string}/redeliver`).set(bob.auth).expect(404);
    });

    it('tells message.received for an inbound message, once however often the webhook repeats it', async () => {
      const endpoint = await createEndpoint(alice, { events: ['message.received'] });
      const session = await t.app.get(TenancyService).createSession({
        clientId: alice.clientId,
        name: 'Cloud line',
        provider: 'cloud-api',
        credentials: { phone_number_id: '777000111', access_token: 'EAAG-events', app_secret: 'events-secret', verify_token: 'v' },
      });
      const raw = cloudMessagesWebhook('777000111', [cloudTextMessage('2348031110040', 'wamid.events.1', 'Hi')], [{ wa_id: '2348031110040', profile: { name: 'Ngozi' } }]);
      for (let i = 0; i < 3; i++) {
        await t.http.post('/webhooks/whatsapp').set('Content-Type', 'application/json').set('X-Hub-Signature-256', signWebhookBody(raw, 'events-secret')).send(raw.toString()).expect(200);
      }
      const [event] = await eventually(async () => (events(endpoint.path).length > 0 ? events(endpoint.path) : null), 'message.received');
      expect(event).toMatchObject({
        type: 'message.received',
        data: { message: { from: '2348031110040', text: 'Hi', status: 'received', direction: 'inbound', session_id: session.session_id, contact: { name: 'Ngozi' } } },
      });
      await sleep(300);
      expect(events(endpoint.path)).toHaveLength(1);
    });

    it('tells broadcast.completed with its counts', async () => {
      const endpoint = await createEndpoint(alice, { events: ['broadcast.completed'] });
      const created = await t.http
        .post('/broadcast')
        .set(alice.auth)
        .set(alice.session)
        .send({ send_type: 'individual', to: '2348031110050,2348031119999', message: { text: 'Sale' } })
        .expect(201);
      const [event] = await eventually(async () => (events(endpoint.path).length > 0 ? events(endpoint.path) : null), 'broadcast.completed', 15_000);
      expect(event).toMatchObject({
        type: 'broadcast.completed',
        data: { broadcast: { id: created.body.data._id, status: 'completed_with_errors', recipients: 2, sent: 1, failed: 1 } },
      });
    });

    it('tells broadcast.completed exactly once per completion: once when it finishes, once more when a retry finishes it again', async () => {
      const endpoint = await createEndpoint(alice, { events: ['broadcast.completed'] });
      const created = await t.http
        .post('/broadcast')
        .set(alice.auth)
        .set(alice.session)
        .send({ send_type: 'individual', to: '2348031110060,2348031129999', message: { text: 'Twice over' } })
        .expect(201);
      const id = created.body.data._id as string;
      const completions = (): Event[] => events(endpoint.path).filter((event) => event.data.broadcast?.id === id);
      await eventually(async () => (completions().length > 0 ? completions() : null), 'the first broadcast.completed', 15_000);
      // The fan-out, the progress flush and the sweep may each see it finished: still one event.
      await sleep(1500);
      expect(completions()).toHaveLength(1);

      await t.http.post(`/broadcast/${id}/retry`).set(alice.auth).send({ include_permanent: true }).expect(200);
      await eventually(async () => (completions().length > 1 ? completions() : null), 'the second broadcast.completed', 15_000);
      await sleep(1500);
      const [first, second] = completions();
      expect(completions()).toHaveLength(2);
      expect(second.id).not.toBe(first.id);
      for (const event of [first, second]) {
        expect(event).toMatchObject({ type: 'broadcast.completed', data: { broadcast: { id, status: 'completed_with_errors', recipients: 2, sent: 1, failed: 1 } } });
      }
      expect(new Date(String(second.data.broadcast?.finished_at)).getTime()).toBeGreaterThan(new Date(String(first.data.broadcast?.finished_at)).getTime());
    });
  });
});
