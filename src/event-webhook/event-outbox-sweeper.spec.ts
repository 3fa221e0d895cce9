import { Types } from 'mongoose';
import { setTimeout as sleep } from 'node:timers/promises';
import type { BroadcastRepository } from '../broadcast/broadcast.repository';
import type { AppConfig } from '../config';
import type { RedisClient } from '../core/redis-connection';
import type { MessageLogRepository } from '../message-log/message-log.repository';
import type { MessageLogRecord } from '../message-log/message-log.schema';
import type { RedisLossListener, RedisLossMarker } from '../recovery/redis-loss-marker';
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
    const findUnfinishedIds = jest.fn(async (_before: Date, afterId: string | null, limit: number) => {
      const start = afterId === null ? 0 : unfinished.indexOf(afterId) + 1;
      return unfinished.slice(start, start + limit);
    });
    sweeper = new EventOutboxSweeper(
      { findWithPendingEvents } as unknown as MessageLogRepository,
      { findWithPendingCompletions: jest.fn(async () => pendingCompletions.shift() ?? []) } as unknown as BroadcastRepository,
      { publishPending, publishCompletions } as unknown as EventPublisher,
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

  it('queues every unfinished delivery again, page after page, when Redis lost its data', async () => {
    unfinished = ids(1200);
    lossListener!(new Date());
    await sleep(20);
    expect(deliver.mock.calls.map(([page]: [string[]]) => page.length)).toEqual([500, 500, 200]);
    expect(deliver.mock.calls.flatMap(([page]: [string[]]) => page)).toEqual(unfinished);
  });
});
