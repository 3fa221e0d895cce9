import { Injectable, Logger } from '@nestjs/common';
import { BroadcastRepository } from '../broadcast/broadcast.repository';
import { LedgerEvents, ReplyAttributed, SendOutcomeRecorded } from '../message-log/ledger-events';
import { DeliveryRollup, MessageLogRepository } from '../message-log/message-log.repository';
import type { MessageLogRecord } from '../message-log/message-log.schema';
import { MessageStatus, statusesBefore } from '../message-status/message-status';
import {
  broadcastCompletedEvent,
  messageReceivedEvent,
  messageRepliedEvent,
  messageStatusEvent,
  MessageStatusEventType,
  PublishedEvent,
} from './client-events';
import { EventWebhookQueue } from './event-webhook.queue';
import { WebhookDeliveryRepository } from './webhook-delivery.repository';
import type { WebhookEndpointRecord } from './webhook-endpoint.schema';
import { WebhookEndpointRepository } from './webhook-endpoint.repository';

/** A client's enabled endpoints are read at most this often per process: a new endpoint hears events within a second. */
export const ENDPOINT_CACHE_TTL_MS = 1000;
const MAX_CACHED_CLIENTS = 10_000;

const EVENT_OF_ROLLUP: Record<DeliveryRollup['status'], MessageStatusEventType> = {
  delivered: 'message.delivered',
  read: 'message.read',
  failed: 'message.failed',
};

/**
 * Turns what the ledger's writers announce into events for the clients' endpoints: one
 * delivery record per (event, endpoint) subscribed to it (an event published twice makes
 * no second one), and one queued job per new delivery. Clients without an endpoint cost
 * one cached read per second. Publishing never fails the write it follows: problems are
 * logged (an event lost that way is the price of not holding up the ledger).
 */
@Injectable()
export class EventPublisher implements LedgerEvents {
  private readonly logger = new Logger(EventPublisher.name);
  private readonly endpointsByClient = new Map<string, { endpoints: WebhookEndpointRecord[]; loadedAt: number }>();

  constructor(
    private readonly endpoints: WebhookEndpointRepository,
    private readonly deliveries: WebhookDeliveryRepository,
    private readonly queue: EventWebhookQueue,
    private readonly messageLogs: MessageLogRepository,
    private readonly broadcasts: BroadcastRepository,
  ) {}

  sendOutcomesRecorded(outcomes: SendOutcomeRecorded[]): void {
    if (outcomes.length === 0) return;
    this.inBackground('send outcomes', async () => {
      // Events are made only for clients with an endpoint for them (a broadcast's outcomes are thousands).
      const listening = await this.clientsListeningTo(
        outcomes.map(({ entry }) => entry.client_id.toHexString()),
        ['message.sent', 'message.failed'],
      );
      const heard = outcomes.filter(({ entry }) => listening.has(entry.client_id.toHexString()));
      await this.publish(heard.map(({ entry, status, failure, at }) => messageStatusEvent(entry, status === 'sent' ? 'message.sent' : 'message.failed', at, failure)));
    });
  }

  deliveryReportsApplied(rollups: DeliveryRollup[]): void {
    if (rollups.length === 0) return;
    this.inBackground('delivery reports', async () => {
      const listening = await this.clientsListeningTo(
        rollups.map((rollup) => rollup.clientId),
        Object.values(EVENT_OF_ROLLUP),
      );
      const heard = rollups.filter((rollup) => listening.has(rollup.clientId));
      if (heard.length === 0) return;
      // Only reports that moved their message are events: read what each message reached (one query for the batch).
      const entries = await this.messageLogs.findManyById([...new Set(heard.map((rollup) => rollup.id))]);
      const byId = new Map(entries.map((entry) => [entry._id.toHexString(), entry]));
      const events = heard.flatMap((rollup) => {
        const entry = byId.get(rollup.id);
        return entry && reached(entry.status, rollup.status) ? [messageStatusEvent(entry, EVENT_OF_ROLLUP[rollup.status], rollup.at, rollup.failure)] : [];
      });
      await this.publish(events);
    });
  }

  broadcastFinished(broadcastId: string, completion: { status: string; finishedAt: Date }): void {
    this.inBackground('broadcast completion', async () => {
      const summary = await this.broadcasts.findOutcomeSummary(broadcastId);
      // This completion's status and time, whatever a retry has made of the broadcast since.
      if (summary) await this.publish([broadcastCompletedEvent({ ...summary, status: completion.status, finished_at: completion.finishedAt })]);
    });
  }

  messagesReceived(entries: MessageLogRecord[]): void {
    this.inBackground('received messages', () => this.publish(entries.map(messageReceivedEvent)));
  }

  repliesAttributed(replies: ReplyAttributed[]): void {
    if (replies.length === 0) return;
    this.inBackground('attributed replies', () => this.publish(replies.map(messageRepliedEvent)));
  }

  /** The client's endpoints changed: this process reads them afresh (others within ENDPOINT_CACHE_TTL_MS). */
  forgetEndpointsOf(clientId: string): void {
    this.endpointsByClient.delete(clientId);
  }

  /** Deliveries for the endpoints subscribed to each event, and their first tries queued. */
  async publish(events: PublishedEvent[]): Promise<void> {
    if (events.length === 0) return;
    const endpoints = await this.enabledEndpointsOf([...new Set(events.map((event) => event.clientId))]);
    const deliveries = events.flatMap(({ clientId, event, orderKey, rank }) => {
      const subscribed = (endpoints.get(clientId) ?? []).filter((endpoint) => endpoint.events.length === 0 || endpoint.events.includes(event.type));
      const payload = JSON.stringify(event);
      return subscribed.map((endpoint) => ({
        clientId,
        endpointId: endpoint._id.toHexString(),
        eventId: event.id,
        eventType: event.type,
        payload,
        orderKey,
        orderRank: rank,
      }));
    });
    const created = await this.deliveries.createMany(deliveries);
    await this.queue.deliver(created.map((delivery) => delivery._id.toHexString()));
  }

  /** The clients of the list with an enabled endpoint subscribed to one of these event types (read like the endpoints). */
  private async clientsListeningTo(clientIds: string[], types: MessageStatusEventType[]): Promise<Set<string>> {
    const endpoints = await this.enabledEndpointsOf([...new Set(clientIds)]);
    const listens = (endpoint: WebhookEndpointRecord) => endpoint.events.length === 0 || types.some((type) => endpoint.events.includes(type));
    return new Set([...endpoints].flatMap(([clientId, enabled]) => (enabled.some(listens) ? [clientId] : [])));
  }

  private async enabledEndpointsOf(clientIds: string[]): Promise<Map<string, WebhookEndpointRecord[]>> {
    const now = Date.now();
    const result = new Map<string, WebhookEndpointRecord[]>();
    const stale = clientIds.filter((clientId) => {
      const cached = this.endpointsByClient.get(clientId);
      if (cached && now - cached.loadedAt < ENDPOINT_CACHE_TTL_MS) result.set(clientId, cached.endpoints);
      return !result.has(clientId);
    });
    if (stale.length === 0) return result;
    const found = await this.endpoints.listEnabledOfClients(stale);
    for (const clientId of stale) {
      const endpoints = found.filter((endpoint) => endpoint.client_id.toHexString() === clientId);
      if (this.endpointsByClient.size >= MAX_CACHED_CLIENTS) this.endpointsByClient.delete(this.endpointsByClient.keys().next().value!);
      this.endpointsByClient.set(clientId, { endpoints, loadedAt: now });
      result.set(clientId, endpoints);
    }
    return result;
  }

  private inBackground(what: string, work: () => Promise<void>): void {
    work().catch((error: unknown) => this.logger.warn({ err: error }, `Could not publish the events of ${what}`));
  }
}

/** Whether a message now at `current` went through `reported` (read implies delivered; failed only itself). */
function reached(current: MessageStatus, reported: DeliveryRollup['status']): boolean {
  if (reported === 'failed' || current === 'failed') return current === reported;
  return current === reported || statusesBefore(current).includes(reported);
}
