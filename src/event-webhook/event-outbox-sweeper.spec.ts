import { Types } from 'mongoose';
import { setTimeout as sleep } from 'node:timers/promises';
import type { SessionRepository } from '../auth/session.repository';
import type { BroadcastRepository } from '../broadcast/broadcast.repository';
import type { AppConfig } from '../config';
import type { RedisClient } from '../core/redis-connection';
import type { MessageLogRepository } from '../message-log/message-log.repository';
import type { MessageLogRecord } from '../message-log/message-log.schema';
import type { RedisLossListener, RedisLossMarker } from '../recovery/redis-loss-marker';
import type { TemplateRepository } from '../template/template.repository';
import type { DocumentOutbox, OutboxedEvents } from './document-outbox';
import { EventOutboxSweeper, OUTBOX_SWEEP_AGE_MS } from './event-outbox-sweeper';
import type { EventPublisher } from './event-publisher';
import type { EventWebhookQueue } from './event-webhook.queue';
import type { WebhookDeliveryRepository } from './webhook-delivery.repository';

const ids = (count: number): string[] => Array.from({ length: count }, () => new Types.ObjectId().toHexString());

describe('EventOutboxSweeper', () => {
  let pendingEntries: MessageLogRecord[][];
  let pendingCompletions: Array<Array<{ id: string; completions: Array<{ status: 'completed'; finishedAt: Date }> }>>;
  let unfinished: string[];
  let findWithPendingEvents: jest.Mock;
  let publishPending: jest.Mock;
  let publishCompletions: jest.Mock;
  let deliver: jest.Mock;
  /** What each collection's outbox holds, batch by batch. */
  let leftovers: Record<'broadcasts' | 'templates' | 'sessions', OutboxedEvents[][]>;
  let findLeftovers: jest.Mock;
  let publishOutboxed: jest.Mock;
  let lossListener: RedisLossListener | undefined;
  let sweeper: EventOutboxSweeper;

  beforeEach(() => {
    pendingEntries = [];
    pendingCompletions = [];
    unfinished = [];
    findWithPendingEvents = jest.fn(async () => pendingEntries.shift() ?? []);
    publishPending = jest.fn(async (entries: MessageLogRecord[]) => entries.length);
    publishCompletions = jest.fn(async (_id: string, completions: unknown[]) => completions.length);
    deliver = jest.fn(async () => undefined);
    leftovers = { broadcasts: [], templates: [], sessions: [] };
    findLeftovers = jest.fn();
    const outboxOf = (name: keyof typeof leftovers) =>
      ({
        outbox: {
          findLeftovers: (...args: unknown[]) => {
            findLeftovers(name, ...args);
            return Promise.resolve(leftovers[name].shift() ?? []);
          },
        } as unknown as DocumentOutbox,
      });
    publishOutboxed = jest.fn(async (left: OutboxedEvents[]) => left.reduce((count, { events }) => count + events.length, 0));
    const findUnfinishedIds = jest.fn(async (_before: Date, afterId: string | null, limit: number) => {
      const start = afterId === null ? 0 : unfinished.indexOf(afterId) + 1;
      return unfinished.slice(start, start + limit);
    });
    sweeper = new EventOutboxSweeper(
      { findWithPendingEvents } as unknown as MessageLogRepository,
      { findWithPendingCompletions: jest.fn(async () => pendingCompletions.shift() ?? []), ...outboxOf('broadcasts') } as unknown as BroadcastRepository,
      outboxOf('templates') as unknown as TemplateRepository,
      outboxOf('sessions') as unknown as SessionRepository,
      { publishPending, publishCompletions, publishOutboxed } as unknown as EventPublisher,
      { findUnfinishedIds } as unknown as WebhookDeliveryRepository,
      { deliver } as unknown as EventWebhookQueue,
      { sweep: { intervalMs: 1000 } } as AppConfig,
      {} as RedisClient,
      { onLoss: (listener: RedisLossListener) => (lossListener = listener) } as unknown as RedisLossMarker,
    );
  });

  it('publishes events and completions at least OUTBOX_SWEEP_AGE_MS old, batch after batch while batches come back full', async () => {
    const entry = () => ({ _id: new Types.ObjectId() }) as MessageLogRecord;
    pendingEntries = [Array.from({ length: 500 }, entry), [entry(), entry()]];
    const finishedAt = new Date();
    pendingCompletions = [[{ id: 'b1', completions: [{ status: 'completed', finishedAt }] }]];
    const now = new Date('2026-12-07T18:00:00Z');
    expect(await sweeper.sweep(now)).toBe(503);
    expect(findWithPendingEvents).toHaveBeenCalledTimes(2);
    expect(findWithPendingEvents).toHaveBeenCalledWith(new Date(now.getTime() - OUTBOX_SWEEP_AGE_MS), 500);
    expect(publishCompletions).toHaveBeenCalledWith('b1', [{ status: 'completed', finishedAt }]);
  });

  it("publishes the events left whole on broadcasts, templates and sessions, each outbox batch after batch while batches come back full", async () => {
    const left = (count: number): OutboxedEvents[] =>
      Array.from({ length: count }, () => ({ outbox: {} as DocumentOutbox, id: new Types.ObjectId(), events: [{ clientId: 'c', event: { id: 'evt', type: 'broadcast.paused', created_at: '', data: {} }, orderKey: null, rank: 0 }] }));
    leftovers.broadcasts = [left(500), left(1)];
    leftovers.templates = [left(2)];
    leftovers.sessions = [];
    const now = new Date('2026-12-07T18:00:00Z');
    expect(await sweeper.sweep(now)).toBe(503);
    expect(findLeftovers.mock.calls).toEqual([
      ['broadcasts', new Date(now.getTime() - OUTBOX_SWEEP_AGE_MS), 500],
      ['broadcasts', new Date(now.getTime() - OUTBOX_SWEEP_AGE_MS), 500],
      ['templates', new Date(now.getTime() - OUTBOX_SWEEP_AGE_MS), 500],
      ['sessions', new Date(now.getTime() - OUTBOX_SWEEP_AGE_MS), 500],
    ]);
    expect(publishOutboxed.mock.calls.map(([batch]: [OutboxedEvents[]]) => batch.length)).toEqual([500, 1, 2, 0]);
  });

  it('queues every unfinished delivery again, page after page, when Redis lost its data', async () => {
    unfinished = ids(1200);
    lossListener!(new Date());
    await sleep(20);
    expect(deliver.mock.calls.map(([page]: [string[]]) => page.length)).toEqual([500, 500, 200]);
    expect(deliver.mock.calls.flatMap(([page]: [string[]]) => page)).toEqual(unfinished);
  });
});
