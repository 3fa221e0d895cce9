import { Injectable, Logger } from '@nestjs/common';
import { BroadcastRepository } from '../broadcast/broadcast.repository';
import { AppConfig } from '../config';
import { LedgerEvents, OutboxEventType, ReplyAttributed, SendOutcomeRecorded } from '../message-log/ledger-events';
import { DeliveryRollup, MessageLogRepository, PublishedEvents } from '../message-log/message-log.repository';
import type { MessageLogRecord } from '../message-log/message-log.schema';
import { broadcastCompletedEvent, messageReceivedEvent, messageRepliedEvent, messageStatusEvent, PublishedEvent } from './client-events';
import type { OutboxedEvents } from './document-outbox';
import { EventWebhookQueue } from './event-webhook.queue';
import { WebhookDeliveryRepository } from './webhook-delivery.repository';
import type { WebhookEndpointRecord } from './webhook-endpoint.schema';
import { WebhookEndpointRepository } from './webhook-endpoint.repository';

/** A client's enabled endpoints are read at most this often per process: a new endpoint hears events within a second. */
export const ENDPOINT_CACHE_TTL_MS = 1000;
const MAX_CACHED_CLIENTS = 10_000;

type StatusEventType = Exclude<OutboxEventType, 'message.received' | 'message.replied'>;

/** When each status event happened, as its entry keeps it. */
const TIME_OF: Record<StatusEventType, 'sentAt' | 'failedAt' | 'deliveredAt' | 'readAt'> = {
  'message.sent': 'sentAt',
  'message.failed': 'failedAt',
  'message.delivered': 'deliveredAt',
  'message.read': 'readAt',
};

const isStatusEvent = (type: string): type is StatusEventType => Object.keys(TIME_OF).includes(type);

/** Events recorded on an entry, ready to publish, and the types to take off the entry once they are. */
interface RecordedEvents {
  entry: MessageLogRecord;
  types: string[];
  events: PublishedEvent[];
}

/**
 * Turns what the ledger's writers announce into events for the clients' endpoints: one
 * delivery record per (event, endpoint) subscribed to it (an event published twice makes
 * no second one), and one queued job per delivery not tried yet. Clients without an endpoint
 * cost one cached read per second.
 *
 * The ledger's events (a message's status, a received message, a reply) go through the outbox:
 * the write that causes one records it on its entry (`pending_events`), for the clients
 * listening; once its deliveries are created and queued this takes it off the entry. A publish
 * that fails, or a process that dies before it, leaves it there for the outbox sweep
 * (EventOutboxSweeper). A broadcast's completion goes through the broadcast's own outbox
 * (`pending_completions`) the same way. The other events (a broadcast paused or resumed by the
 * service, a template's or a session's change) are recorded whole on the document whose update
 * causes them (`client_events`, see DocumentOutbox) and published by `clientEventsRecorded`.
 * Publishing never fails the write it follows.
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
    private readonly config: AppConfig,
  ) {}

  async clientsRecordingEvents(clientIds: string[], types: readonly OutboxEventType[]): Promise<Set<string>> {
    try {
      return await this.clientsListeningTo(clientIds, types);
    } catch (error) {
      // Recording for everyone keeps every event; one recorded for nobody is taken off at its publish.
      this.logger.warn({ err: error }, "Could not read the clients' endpoints: recording events for every client of the write");
      return new Set(clientIds);
    }
  }

  sendOutcomesRecorded(outcomes: SendOutcomeRecorded[]): void {
    // As written: no read. Each entry's outbox holds this outcome's event.
    this.publishRecordedInBackground(
      'send outcomes',
      outcomes.map(({ entry, status, failure, at }) => {
        const type = status === 'sent' ? 'message.sent' : 'message.failed';
        return { entry, types: [type], events: [messageStatusEvent(entry, type, at, failure)] };
      }),
    );
  }

  deliveryReportsApplied(rollups: DeliveryRollup[]): void {
    if (rollups.length === 0) return;
    this.crashForTestsIfAsked();
    // The entries the reports moved hold the events of those moves (one query for the batch).
    this.inBackground('delivery reports', async () => {
      await this.publishPending(await this.messageLogs.findManyById([...new Set(rollups.map((rollup) => rollup.id))]));
    });
  }

  /**
   * Publishes the events these entries' outboxes hold, as the entries tell them now (a status's
   * time and failure; a reply's target read afresh), and takes them off. The outbox sweep's work,
   * and the fast path's after a report.
   */
  async publishPending(entries: MessageLogRecord[]): Promise<number> {
    const pending = entries.filter((entry) => (entry.pending_events ?? []).length > 0);
    if (pending.length === 0) return 0;
    // A reply's event tells the message it answers: those are read in one query.
    const targetIds = pending.flatMap((entry) => (entry.pending_events!.includes('message.replied') && entry.in_reply_to ? [entry.in_reply_to.message_log_id.toHexString()] : []));
    const targets = new Map(targetIds.length > 0 ? (await this.messageLogs.findManyById(targetIds)).map((target) => [target._id.toHexString(), target]) : []);
    const recorded = pending.map((entry) => ({ entry, types: entry.pending_events!, events: entry.pending_events!.flatMap((type) => recordedEvent(entry, type, targets)) }));
    await this.publishRecorded(recorded);
    return recorded.reduce((count, { events }) => count + events.length, 0);
  }

  broadcastFinished(broadcastId: string, completion: { status: string; finishedAt: Date }): void {
    this.crashForTestsIfAsked();
    this.inBackground('broadcast completion', async () => {
      await this.publishCompletions(broadcastId, [completion]);
    });
  }

  /**
   * Publishes `broadcast.completed` for completions recorded in the broadcast's outbox, and takes
   * them off: each with its own status and time, whatever a retry has made of the broadcast since
   * (its counts are read now). The outbox sweep's work, and the fast path's after a completion.
   */
  async publishCompletions(broadcastId: string, completions: Array<{ status: string; finishedAt: Date }>): Promise<number> {
    if (completions.length === 0) return 0;
    const summary = await this.broadcasts.findOutcomeSummary(broadcastId);
    if (summary) await this.publish(completions.map(({ status, finishedAt }) => broadcastCompletedEvent({ ...summary, status, finished_at: finishedAt })));
    for (const { finishedAt } of completions) await this.broadcasts.clearPendingCompletion(broadcastId, finishedAt);
    return summary ? completions.length : 0;
  }

  messagesReceived(entries: MessageLogRecord[]): void {
    this.publishRecordedInBackground(
      'received messages',
      entries.map((entry) => ({ entry, types: ['message.received'], events: [messageReceivedEvent(entry)] })),
    );
  }

  repliesAttributed(replies: ReplyAttributed[]): void {
    this.publishRecordedInBackground(
      'attributed replies',
      replies.map((reply) => ({ entry: reply.reply, types: ['message.replied'], events: [messageRepliedEvent(reply)] })),
    );
  }

  async clientEventsRecorded(recorded: OutboxedEvents[]): Promise<void> {
    await this.publishOutboxed(recorded).catch((error: unknown) => this.logger.warn({ err: error }, 'Could not publish recorded client events; the outbox sweep will'));
  }

  /**
   * Publishes events recorded whole on their documents (DocumentOutbox), then takes them off
   * each document; answers how many. The outbox sweep's work, and the fast path's after a write.
   */
  async publishOutboxed(recorded: OutboxedEvents[]): Promise<number> {
    const withEvents = recorded.filter(({ events }) => events.length > 0);
    if (withEvents.length === 0) return 0;
    await this.publish(withEvents.flatMap(({ events }) => events));
    // One bulk write per collection (the sweep hands over up to a batch of documents at once).
    for (const outbox of new Set(withEvents.map((recorded) => recorded.outbox))) {
      await outbox.clear(withEvents.filter((recorded) => recorded.outbox === outbox).map(({ id, events }) => ({ id, eventIds: events.map(({ event }) => event.id) })));
    }
    return withEvents.reduce((count, { events }) => count + events.length, 0);
  }

  /** The client's endpoints changed: this process reads them afresh (others within ENDPOINT_CACHE_TTL_MS). */
  forgetEndpointsOf(clientId: string): void {
    this.endpointsByClient.delete(clientId);
  }

  /** Publishes events recorded on their entries, then takes those types off the entries (once the deliveries are queued). */
  private async publishRecorded(recorded: RecordedEvents[]): Promise<void> {
    if (recorded.length === 0) return;
    await this.publish(recorded.flatMap(({ events }) => events));
    const published: PublishedEvents[] = recorded.map(({ entry, types }) => ({ id: entry._id.toHexString(), clientId: entry.client_id.toHexString(), types }));
    await this.messageLogs.clearPendingEvents(published);
  }

  /**
   * Deliveries for the endpoints subscribed to each event, and their first tries queued. Safe to
   * repeat: an event published again makes no second delivery, and its delivery still untried
   * (a publish that failed between the two writes) is queued again under the same job id.
   */
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
  private async clientsListeningTo(clientIds: string[], types: readonly OutboxEventType[]): Promise<Set<string>> {
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

  /** The fast path: events a write just recorded, published at once (in the background: the write is done). */
  private publishRecordedInBackground(what: string, recorded: RecordedEvents[]): void {
    if (recorded.length === 0) return;
    this.crashForTestsIfAsked();
    this.inBackground(what, () => this.publishRecorded(recorded));
  }

  private inBackground(what: string, work: () => Promise<void>): void {
    work().catch((error: unknown) => this.logger.warn({ err: error }, `Could not publish the events of ${what}`));
  }

  /**
   * The chaos suite's hook (TEST_CRASH_BEFORE_EVENT_PUBLISH, inert unless set): the ledger write
   * that recorded these events is acknowledged; the process dies before publishing them.
   */
  private crashForTestsIfAsked(): void {
    if (!this.config.webhooks.crashBeforePublishForTests) return;
    this.logger.warn('TEST_CRASH_BEFORE_EVENT_PUBLISH: killing this process between the ledger write and the publish');
    process.kill(process.pid, 'SIGKILL');
  }
}

/** The event an entry's outbox holds under `type`, as the entry (and, for a reply, its target) tells it now. */
function recordedEvent(entry: MessageLogRecord, type: string, targets: Map<string, MessageLogRecord>): PublishedEvent[] {
  if (isStatusEvent(type)) return [messageStatusEvent(entry, type, entry.status_times[TIME_OF[type]] ?? entry.updatedAt, entry.error)];
  if (type === 'message.received') return [messageReceivedEvent(entry)];
  const target = entry.in_reply_to ? targets.get(entry.in_reply_to.message_log_id.toHexString()) : undefined;
  // A reply whose target is gone (retention deleted it) is told no more; its mark is taken off all the same.
  if (type === 'message.replied' && target && entry.in_reply_to) return [messageRepliedEvent({ reply: entry, target, attribution: entry.in_reply_to.attribution })];
  return [];
}
