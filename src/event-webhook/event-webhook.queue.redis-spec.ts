import Bull, { Job, Queue } from 'bull';
import { randomBytes } from 'node:crypto';
import type { AppConfig } from '../config';
import { redisOptionsFromUrl } from '../core/redis-options';
import { DELIVER_JOB, DeliverJobData } from './event-webhook.jobs';
import { deliveryTryTimeoutMs, EventWebhookQueue } from './event-webhook.queue';

describe('EventWebhookQueue (real Redis, real Bull)', () => {
  let queue: Queue<DeliverJobData>;

  beforeEach(() => {
    queue = new Bull('event-webhook', { redis: redisOptionsFromUrl(process.env.REDIS_URL ?? ''), prefix: `t${randomBytes(4).toString('hex')}` });
  });
  afterEach(() => queue.close());

  it('bounds each delivery try: a try that hangs is failed once its time is up, and the delivery is tried again', async () => {
    // WEBHOOK_TIMEOUT_MS at its lowest (100 ms): a try may take 10.2 s, then its retry comes 10 ms later.
    const config = { webhooks: { maxAttempts: 3, backoffMs: 10, timeoutMs: 100 } } as AppConfig;
    const producer = new EventWebhookQueue(queue, config);
    const tries: number[] = [];
    const retried = new Promise<Job<DeliverJobData>>((resolve) => {
      void queue.process(DELIVER_JOB, 1, (job: Job<DeliverJobData>) => {
        tries.push(Date.now());
        // The first try hangs (a dependency that never answers); the second succeeds.
        if (tries.length === 1) return new Promise<void>(() => undefined);
        resolve(job);
        return Promise.resolve();
      });
    });

    const started = Date.now();
    await producer.deliver(['delivery-1']);
    const job = await retried;

    expect(job.opts.timeout).toBe(deliveryTryTimeoutMs(100));
    expect(job.attemptsMade).toBe(1);
    expect(job.failedReason).toMatch(/timed out/i);
    expect(tries).toHaveLength(2);
    expect(tries[1] - started).toBeGreaterThanOrEqual(deliveryTryTimeoutMs(100));
  }, 30_000);
});
