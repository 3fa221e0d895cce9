import { Types } from 'mongoose';
import { setTimeout as sleep } from 'node:timers/promises';
import type { BroadcastRepository } from '../broadcast/broadcast.repository';
import type { MessageLogRepository } from '../message-log/message-log.repository';
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

function entry(clientId: Types.ObjectId, status: MessageStatus): MessageLogRecord {
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
    createdAt: new Date(),
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

  beforeEach(() => {
    endpoints = [];
    entries = [];
    created = [];
    existing = new Set();
    queued = [];
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
    const messageLogs: jest.Mocked<Pick<MessageLogRepository, 'findManyById'>> = { findManyById };
    publisher = new EventPublisher(
      endpointRepository as unknown as WebhookEndpointRepository,
      deliveryRepository as unknown as WebhookDeliveryRepository,
      queue as unknown as EventWebhookQueue,
      messageLogs as unknown as MessageLogRepository,
      {} as BroadcastRepository,
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

  it('tells a delivery report only when it moved its message (a stale failure after delivery is no event)', async () => {
    endpoints = [endpoint(alice)];
    const delivered = entry(alice, 'delivered');
    const read = entry(alice, 'read');
    entries = [delivered, read];
    publisher.deliveryReportsApplied([
      { id: delivered._id.toHexString(), clientId: alice.toHexString(), status: 'failed', at: new Date() },
      { id: delivered._id.toHexString(), clientId: alice.toHexString(), status: 'delivered', at: new Date() },
      { id: read._id.toHexString(), clientId: alice.toHexString(), status: 'delivered', at: new Date() },
      { id: read._id.toHexString(), clientId: alice.toHexString(), status: 'read', at: new Date() },
    ]);
    await sleep(20);
    expect(created.map((delivery) => delivery.eventType)).toEqual(['message.delivered', 'message.delivered', 'message.read']);
  });

  it('reads a client without endpoints at most once a second', async () => {
    publisher.messagesReceived([entry(alice, 'received')]);
    await sleep(10);
    publisher.messagesReceived([entry(alice, 'received')]);
    await sleep(10);
    expect(listEnabled).toHaveBeenCalledTimes(1);
    expect(created).toEqual([]);
  });

  it("spends nothing on a client without endpoints: its messages' outcomes and reports make no event and read no message", async () => {
    const bobs = endpoint(bob);
    endpoints = [bobs];
    const alices = entry(alice, 'delivered');
    entries = [alices];
    publisher.sendOutcomesRecorded([{ entry: alices, status: 'sent', at: new Date() }]);
    publisher.deliveryReportsApplied([{ id: alices._id.toHexString(), clientId: alice.toHexString(), status: 'delivered', at: new Date() }]);
    await sleep(20);
    expect(findManyById).not.toHaveBeenCalled();
    expect(created).toEqual([]);
    // Bob, who listens, hears his.
    const bobsEntry = entry(bob, 'sent');
    publisher.sendOutcomesRecorded([{ entry: bobsEntry, status: 'sent', at: new Date() }]);
    await sleep(20);
    expect(created.map((delivery) => [delivery.endpointId, delivery.eventType])).toEqual([[bobs._id.toHexString(), 'message.sent']]);
    // An endpoint for other events only (the broadcast's completion) reads no message for reports either.
    endpoints = [bobs, endpoint(alice, ['broadcast.completed'])];
    publisher.forgetEndpointsOf(alice.toHexString());
    publisher.deliveryReportsApplied([{ id: alices._id.toHexString(), clientId: alice.toHexString(), status: 'read', at: new Date() }]);
    await sleep(20);
    expect(findManyById).not.toHaveBeenCalled();
  });
});
