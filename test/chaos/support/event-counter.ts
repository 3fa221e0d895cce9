import { getModelToken } from '@nestjs/mongoose';
import type { Model } from 'mongoose';
import Redis from 'ioredis';
import { setTimeout as sleep } from 'node:timers/promises';
import { CredentialsCipher } from '../../../src/auth';
import { eventId } from '../../../src/event-webhook/client-events';
import { verifyEventSignature } from '../../../src/event-webhook/event-signature';
import { WebhookDelivery, WebhookDeliveryRecord } from '../../../src/event-webhook/webhook-delivery.schema';
import { WebhookEndpointRepository } from '../../../src/event-webhook/webhook-endpoint.repository';
import { MessageLog, MessageLogRecord } from '../../../src/message-log/message-log.schema';
import { WebhookReceiver } from '../../support/webhook-receiver';
import type { ChaosCluster } from './chaos-cluster';
import { oid } from './observer';

/**
 * From a broadcast's end to the last `message.sent` at the receiver. An event whose publish a fault cut
 * off waits for the outbox sweep (every SWEEP_INTERVAL_MS, 1 s here, for events 5 s old); a delivery job
 * Redis lost, for the re-queue after the loss; one a dead worker or a reset connection left in Bull's
 * `active` list, for the stalled-job check, which runs on the worker's lock settings (5 s lock, checked
 * every 1 s here) in every queue, and for the dead-worker reaper. Seconds, then; the bound is the
 * suite's recovery bound. (Before the event-webhook queue had the worker's lock settings, it ran on
 * Bull's 30 s defaults, and events came up to 89 s after the end.)
 */
export const EVENTS_BOUND_MS = 45_000;
const SECRET = 'whsec_chaos_events';
const PATH = '/events';

/** What a client's server received of one broadcast's `message.sent` events. */
export interface EventsReport {
  /** One per recipient that ended sent. */
  expected: number;
  /** Expected events received at least once. */
  delivered: number;
  /** Expected event ids received more than once (allowed: delivery is at least once, the receiver drops repeats by id). */
  repeated: number;
  /** Seconds from the broadcast's end to the first arrival of the last expected event (negative: all arrived before the end). */
  lastAfterSeconds: number;
  /** Expected events not received within the bound, each with what MongoDB holds of it (its delivery, or its entry's outbox). */
  missing: string[];
  /** Deliveries of expected events whose signature does not verify with the endpoint's secret. */
  badlySigned: number;
}

/**
 * A client's server listening to `message.sent`: a WebhookReceiver on loopback and an endpoint of
 * the tenant pointed at it, so that a scenario can check that the events of what it sent arrived.
 * The cluster's processes run with WEBHOOK_ALLOW_PRIVATE_URLS=true to deliver to loopback.
 */
export class EventCounter {
  private constructor(
    private readonly cluster: ChaosCluster,
    readonly receiver: WebhookReceiver,
    readonly secret: string,
  ) {}

  /** Starts the receiver and stores the tenant's endpoint (directly: the address check at save would refuse loopback). */
  static async start(cluster: ChaosCluster, clientId: string): Promise<EventCounter> {
    const receiver = await WebhookReceiver.start();
    const cipher = cluster.control.app.get(CredentialsCipher);
    await cluster.control.app
      .get(WebhookEndpointRepository)
      .create(clientId, { url: `${receiver.baseUrl}${PATH}`, description: 'chaos', events: ['message.sent'], enabled: true, secretEncrypted: cipher.encrypt({ secret: SECRET }) });
    return new EventCounter(cluster, receiver, SECRET);
  }

  /** The `message.sent` events owed for the broadcast, one per ledger entry that ended sent: event id to entry id. */
  async expectedFor(broadcastId: string, sentRecipients: string[]): Promise<Map<string, string>> {
    const entries = await this.messageLogs()
      .find({ broadcast_id: oid(broadcastId), recipient: { $in: sentRecipients } }, { _id: 1 })
      .lean<Array<Pick<MessageLogRecord, '_id'>>>();
    return new Map(entries.map((entry) => [eventId(entry._id.toHexString(), 'message.sent'), entry._id.toHexString()]));
  }

  /** Every delivery of these events so far, by event id. */
  deliveriesOf(expected: Map<string, string>): Map<string, Array<WebhookReceiver['received'][number]>> {
    const byId = new Map<string, Array<WebhookReceiver['received'][number]>>();
    for (const delivery of this.receiver.to(PATH)) {
      const id = delivery.headers['x-event-id'] as string;
      if (expected.has(id)) byId.set(id, [...(byId.get(id) ?? []), delivery]);
    }
    return byId;
  }

  /** Waits until every expected event arrived at least once, or `timeoutMs` passes, and tells what arrived. */
  async waitFor(expected: Map<string, string>, finishedAt: number, timeoutMs = EVENTS_BOUND_MS): Promise<EventsReport> {
    const deadline = Date.now() + timeoutMs;
    while (this.deliveriesOf(expected).size < expected.size && Date.now() < deadline) await sleep(200);
    const byId = this.deliveriesOf(expected);
    const firstArrivals = [...byId.values()].map((deliveries) => deliveries[0].at);
    const deliveries = [...byId.values()].flat();
    return {
      expected: expected.size,
      delivered: byId.size,
      repeated: [...byId.values()].filter((each) => each.length > 1).length,
      lastAfterSeconds: firstArrivals.length > 0 ? (Math.max(...firstArrivals) - finishedAt) / 1000 : 0,
      missing: await this.explain([...expected].filter(([id]) => !byId.has(id))),
      badlySigned: deliveries.filter((delivery) => !verifyEventSignature(this.secret, delivery.headers['x-signature'] as string, delivery.body)).length,
    };
  }

  /** What MongoDB holds of events that did not arrive: for a failing scenario's message. */
  private async explain(missing: Array<[string, string]>): Promise<string[]> {
    if (missing.length === 0) return [];
    const deliveries = await this.cluster.control.app
      .get<Model<WebhookDelivery>>(getModelToken(WebhookDelivery.name))
      .find({ event_id: { $in: missing.map(([id]) => id) } })
      .lean<WebhookDeliveryRecord[]>();
    const entries = await this.messageLogs()
      .find({ _id: { $in: missing.map(([, entryId]) => oid(entryId)) } })
      .select('+pending_events')
      .lean<MessageLogRecord[]>();
    const lines = missing.map(([id, entryId]) => {
      const delivery = deliveries.find((each) => each.event_id === id);
      const entry = entries.find((each) => each._id.toHexString() === entryId);
      const held = delivery
        ? `delivery ${delivery._id.toHexString()} ${delivery.status} after ${delivery.attempt_count} attempts${delivery.error ? ` (${delivery.error})` : ''}, created ${delivery.createdAt?.toISOString()}`
        : 'no delivery';
      return `${id} (message ${entryId}, ${entry?.status}): ${held}; outbox ${JSON.stringify(entry?.pending_events ?? [])}`;
    });
    const jobs = await this.jobsOf(deliveries.map((delivery) => delivery._id.toHexString()));
    return lines.map((line, index) => `${line}; ${jobs.get(deliveries.find((each) => each.event_id === missing[index][0])?._id.toHexString() ?? '') ?? 'no job in Redis'}`);
  }

  /** Where each delivery's job is in Bull (its list, stalled counter, attempts, failure), read from the cluster's Redis directly. */
  private async jobsOf(deliveryIds: string[]): Promise<Map<string, string>> {
    const redis = new Redis({ port: this.cluster.redisPort, lazyConnect: true });
    const found = new Map<string, string>();
    try {
      await redis.connect();
      for (const deliveryId of deliveryIds) {
        const [, keys] = await redis.scan('0', 'MATCH', `${this.cluster.queuePrefix}*:${deliveryId}`, 'COUNT', 100_000);
        for (const key of keys) {
          const base = key.slice(0, -deliveryId.length - 1);
          const job = await redis.hgetall(key);
          const lists: string[] = [];
          for (const list of ['wait', 'active', 'paused']) if ((await redis.lpos(`${base}:${list}`, deliveryId)) !== null) lists.push(list);
          for (const set of ['delayed', 'failed', 'completed', 'stalled']) {
            const inSet = set === 'stalled' ? await redis.sismember(`${base}:${set}`, deliveryId) : (await redis.zscore(`${base}:${set}`, deliveryId)) !== null ? 1 : 0;
            if (inSet) lists.push(set);
          }
          const locked = (await redis.exists(`${key}:lock`)) === 1;
          found.set(
            deliveryId,
            `job ${key} in ${lists.join(', ') || 'no list'}${locked ? ', locked' : ''}, stalledCounter ${job.stalledCounter ?? 0}, attemptsMade ${job.attemptsMade ?? 0}${job.failedReason ? `, failed: ${job.failedReason}` : ''}`,
          );
        }
      }
    } finally {
      redis.disconnect();
    }
    return found;
  }

  private messageLogs(): Model<MessageLog> {
    return this.cluster.control.app.get<Model<MessageLog>>(getModelToken(MessageLog.name));
  }

  close(): Promise<void> {
    return this.receiver.close();
  }
}

/** The report's figures for a scenario's printed line. */
export function describeEvents(report: EventsReport): string {
  const last = report.lastAfterSeconds >= 0 ? `${report.lastAfterSeconds.toFixed(1)} s after the end` : `${(-report.lastAfterSeconds).toFixed(1)} s before the end`;
  return `${report.delivered} of ${report.expected} message.sent events delivered, ${report.repeated} more than once, the last ${last}`;
}
