import Bull, { Queue } from 'bull';
import { randomBytes } from 'node:crypto';
import type { AppConfig } from '../config';
import { redisOptionsFromUrl } from '../core/redis-options';
import { SendQueue } from './send.queue';
import type { SendQueueShards } from './send-queue-shards';
import { SEND_JOB, SendJobData } from './sending.jobs';

interface TestJobData extends SendJobData {
  kind: 'test';
  outcome: 'complete' | 'fail';
}

const keep = { count: 100, seconds: 3600 };

describe('SendQueue (real Redis, real Bull)', () => {
  let queue: Queue<SendJobData>;
  let sendQueue: SendQueue;

  beforeEach(() => {
    processing = false;
    queue = new Bull<SendJobData>('send', { redis: redisOptionsFromUrl(process.env.REDIS_URL ?? ''), prefix: `t${randomBytes(4).toString('hex')}` });
    const shards = { queues: [queue], forSession: () => queue } as unknown as SendQueueShards;
    const config = { worker: { sendAttempts: 1, sendBackoffMs: 10, keepCompletedJobs: keep, keepFailedJobs: keep } } as unknown as AppConfig;
    sendQueue = new SendQueue(shards, config);
  });
  afterEach(async () => {
    await queue.obliterate({ force: true });
    await queue.close();
  });

  const job = (id: string, outcome: TestJobData['outcome'] = 'complete') => ({ id, data: { kind: 'test', outcome } as TestJobData });

  /** Runs the queue's jobs (those of outcome `fail` throw) until `count` more of them have finished. */
  let finished = 0;
  let processing = false;
  async function runJobs(count: number): Promise<void> {
    if (!processing) {
      processing = true;
      finished = 0;
      queue.on('completed', () => finished++);
      queue.on('failed', () => finished++);
      void queue.process(SEND_JOB, 5, async ({ data }) => {
        if ((data as TestJobData).outcome === 'fail') throw new Error('refused');
        return { status: 'sent' };
      });
    }
    const target = finished + count;
    for (let waited = 0; finished < target; waited += 20) {
      if (waited > 10_000) throw new Error(`${finished} of ${target} jobs finished`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  it('keeps finished jobs for the dashboard, and counts them as without a job', async () => {
    await sendQueue.enqueue('session', [job('b:1:a'), job('b:1:b', 'fail'), job('b:1:c')]);
    await runJobs(3);
    expect(await queue.getCompletedCount()).toBe(2);
    expect(await queue.getFailedCount()).toBe(1);
    await sendQueue.enqueue('session', [job('b:1:d')]);
    expect((await sendQueue.idsWithoutJob(['b:1:a', 'b:1:b', 'b:1:c', 'b:1:d', 'b:1:lost'])).sort()).toEqual(['b:1:a', 'b:1:b', 'b:1:c', 'b:1:lost']);
  });

  it('adds an id with a finished job again only when asked to replace finished jobs', async () => {
    await sendQueue.enqueue('session', [job('b:1:a'), job('b:1:b', 'fail')]);
    await runJobs(2);
    await sendQueue.enqueue('session', [job('b:1:a'), job('b:1:b')]);
    expect(await queue.getJobCounts()).toMatchObject({ waiting: 0, active: 0, completed: 1, failed: 1 });
    await sendQueue.enqueue('session', [job('b:1:a'), job('b:1:b')], { replaceFinished: true });
    // Both ran again: b now completes, and each id has one job.
    await runJobs(2);
    expect(await queue.getJobCounts()).toMatchObject({ waiting: 0, active: 0, completed: 2, failed: 0 });
    expect(await sendQueue.idsWithoutJob(['b:1:a', 'b:1:b'])).toEqual(['b:1:a', 'b:1:b']);
  });

  it('bounds the finished jobs it keeps', async () => {
    keep.count = 3;
    try {
      await sendQueue.enqueue('session', Array.from({ length: 10 }, (_unused, index) => job(`b:1:${index}`)));
      await runJobs(10);
      expect(await queue.getCompletedCount()).toBe(3);
    } finally {
      keep.count = 100;
    }
  });
});
