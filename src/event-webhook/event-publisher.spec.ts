import { Types } from 'mongoose';
import { setTimeout as sleep } from 'node:timers/promises';
import type { BroadcastRepository } from '../broadcast/broadcast.repository';
import type { AppConfig } from '../config';
import type { MessageLogRepository, PublishedEvents } from '../message-log/message-log.repository';
import type { MessageLogRecord } from '../message-log/message-log.schema';
import type { MessageStatus } from '../message-status/message-status';
import { EventPublisher } from './event-publisher';
import type { EventWebhookQueue } from './event-webhook.queue';
import type { NewWebhookDelivery, WebhookDeliveryRepository } from './webhook-delivery.repository';
import type { WebhookDeliveryRecord } from './webhook-delivery.schema';
import type { WebhookEndpointRecord } from './webhook-endpoint.schema';
import type { WebhookEndpointRepository } from './webhook-endpoint.repository';

const alice = new Types.ObjectId();
const bob = new Types.ObjectId();

function endpoint(clientId: Types.ObjectId, events: string[] = []): WebhookEndpointRecord {
  return { _id: new Types.ObjectId(), client_id: clientId, events, enabled: true } as unknown as WebhookEndpointRecord;
}

function entry(clientId: Types.ObjectId, status: MessageStatus, pendingEvents?: string[]): MessageLogRecord {
  return {
    _id: new Types.ObjectId(),
    client_id: clientId,
    session_id: new Types.ObjectId(),
    source: 'api',
    direction: 'outbound',
    broadcast_id: null,
    recipient: '2348000000001',
    contact: { contact_id: null, name: null, phone: '2348000000001' },
    message: { text: 'Hi', attachments: [], location: null, contactId: null, template: null },
    template_name: null,
    message_uid: 'abc',
    status,
    provider_message_ids: ['wamid.1'],
    error: null,
    status_times: { queuedAt: new Date(), sendingAt: null, sentAt: new Date(), deliveredAt: new Date(), readAt: status === 'read' ? new Date() : null, failedAt: null },
    ...(pendingEvents ? { pending_events: pendingEvents } : {}),
    createdAt: new Date(),
    updatedAt: new Date(),
  } as unknown as MessageLogRecord;
}

describe('EventPublisher', () => {
  let endpoints: WebhookEndpointRecord[];
  let entries: MessageLogRecord[];
  let created: NewWebhookDelivery[];
  let existing: Set<string>;
  let queued: string[];
  let publisher: EventPublisher;
  let listEnabled: jest.Mock;
  let findManyById: jest.Mock;
  let cleared: PublishedEvents[];

  beforeEach(() => {
    endpoints = [];
    entries = [];
    created = [];
    existing = new Set();
    queued = [];
    cleared = [];
    listEnabled = jest.fn(async (clientIds: string[]) => endpoints.filter((candidate) => clientIds.includes(candidate.client_id.toHexString())));
    const endpointRepository: jest.Mocked<Pick<WebhookEndpointRepository, 'listEnabledOfClients'>> = { listEnabledOfClients: listEnabled };
    const deliveryRepository: jest.Mocked<Pick<WebhookDeliveryRepository, 'createMany'>> = {
      createMany: jest.fn(async (deliveries: NewWebhookDelivery[]) => {
        const fresh = deliveries.filter((delivery) => !existing.has(`${delivery.endpointId}:${delivery.eventId}`));
        for (const delivery of fresh) existing.add(`${delivery.endpointId}:${delivery.eventId}`);
        created.push(...fresh);
        return fresh.map((delivery) => ({ _id: new Types.ObjectId(), event_id: delivery.eventId }) as unknown as WebhookDeliveryRecord);
      }),
    };
    const queue: jest.Mocked<Pick<EventWebhookQueue, 'deliver'>> = { deliver: jest.fn(async (ids: string[]) => void queued.push(...ids)) };
    findManyById = jest.fn(async (ids: string[]) => entries.filter((candidate) => ids.includes(candidate._id.toHexString())));
    const messageLogs: jest.Mocked<Pick<MessageLogRepository, 'findManyById' | 'clearPendingEvents'>> = {
      findManyById,
      clearPendingEvents: jest.fn(async (published: PublishedEvents[]) => void cleared.push(...published)),
    };
    publisher = new EventPublisher(
      endpointRepository as unknown as WebhookEndpointRepository,
      deliveryRepository as unknown as WebhookDeliveryRepository,
      queue as unknown as EventWebhookQueue,
      messageLogs as unknown as MessageLogRepository,
      {} as BroadcastRepository,
      { webhooks: { crashBeforePublishForTests: false } } as AppConfig,
    );
  });

  it("delivers an event to its own client's subscribed endpoints only, once however often it is published", async () => {
    const all = endpoint(alice);
    const readOnly = endpoint(alice, ['message.read']);
    endpoints = [all, readOnly, endpoint(bob)];
    const sent = entry(alice, 'sending');
    publisher.sendOutcomesRecorded([{ entry: sent, status: 'sent', at: new Date() }]);
    publisher.sendOutcomesRecorded([{ entry: sent, status: 'sent', at: new Date() }]);
    await sleep(20);
    expect(created.map((delivery) => [delivery.endpointId, delivery.eventType])).toEqual([[all._id.toHexString(), 'message.sent']]);
    expect(queued).toHaveLength(1);
    expect(JSON.parse(created[0].payload)).toMatchObject({ type: 'message.sent', data: { message: { status: 'sent', to: '2348000000001' } } });
  });

  it("publishes what the reports recorded in their entries' outboxes, and takes it off (a report that moved nothing is no event)", async () => {
    endpoints = [endpoint(alice)];
    const delivered = entry(alice, 'delivered', ['message.delivered']);
    const read = entry(alice, 'read', ['message.delivered', 'message.read']);
    // A stale failure after delivery moved nothing: its entry's outbox is empty.
    const stale = entry(alice, 'delivered');
    entries = [delivered, read, stale];
    publisher.deliveryReportsApplied([
      { id: stale._id.toHexString(), clientId: alice.toHexString(), status: 'failed', at: new Date() },
      { id: delivered._id.toHexString(), clientId: alice.toHexString(), status: 'delivered', at: new Date() },
      { id: read._id.toHexString(), clientId: alice.toHexString(), status: 'delivered', at: new Date() },
      { id: read._id.toHexString(), clientId: alice.toHexString(), status: 'read', at: new Date() },
    ]);
    await sleep(20);
    expect(created.map((delivery) => delivery.eventType)).toEqual(['message.delivered', 'message.delivered', 'message.read']);
    expect(queued).toHaveLength(3);
    expect(cleared).toEqual([
      { id: delivered._id.toHexString(), clientId: alice.toHexString(), types: ['message.delivered'] },
      { id: read._id.toHexString(), clientId: alice.toHexString(), types: ['message.delivered', 'message.read'] },
    ]);
  });

  it('takes an outcome\'s event off its entry only once its delivery is queued: a failed publish leaves it for the sweep', async () => {
    endpoints = [endpoint(alice)];
    const sent = entry(alice, 'sending');
    const createMany = jest.spyOn(publisher['deliveries'], 'createMany').mockRejectedValueOnce(new Error('MongoDB away'));
    publisher.sendOutcomesRecorded([{ entry: sent, status: 'sent', at: new Date() }]);
    await sleep(20);
    expect(createMany).toHaveBeenCalledTimes(1);
    expect(cleared).toEqual([]);
    // The sweep reads the entry with its outbox and publishes it: the same event id, now queued and taken off.
    expect(await publisher.publishPending([{ ...sent, status: 'sent', pending_events: ['message.sent'] }])).toBe(1);
    expect(cleared).toEqual([{ id: sent._id.toHexString(), clientId: alice.toHexString(), types: ['message.sent'] }]);
    expect(created.map((delivery) => delivery.eventType)).toEqual(['message.sent']);
    expect(queued).toHaveLength(1);
  });

  it('reads a client without endpoints at most once a second', async () => {
    publisher.messagesReceived([entry(alice, 'received')]);
    await sleep(10);
    publisher.messagesReceived([entry(alice, 'received')]);
    await sleep(10);
    expect(listEnabled).toHaveBeenCalledTimes(1);
    expect(created).toEqual([]);
  });

  it('records events only for clients with an endpoint for them, and for every client when the endpoints cannot be read', async () => {
    const bobs = endpoint(bob);
    endpoints = [bobs, endpoint(alice, ['broadcast.completed'])];
    const clients = [alice.toHexString(), bob.toHexString()];
    expect(await publisher.clientsRecordingEvents(clients, ['message.sent', 'message.failed'])).toEqual(new Set([bob.toHexString()]));
    // Cached: a batch a moment later reads nothing.
    expect(await publisher.clientsRecordingEvents(clients, ['message.delivered'])).toEqual(new Set([bob.toHexString()]));
    expect(listEnabled).toHaveBeenCalledTimes(1);
    const carol = new Types.ObjectId().toHexString();
    listEnabled.mockRejectedValueOnce(new Error('MongoDB away'));
    expect(await publisher.clientsRecordingEvents([carol, bob.toHexString()], ['message.sent'])).toEqual(new Set([carol, bob.toHexString()]));
  });
});
