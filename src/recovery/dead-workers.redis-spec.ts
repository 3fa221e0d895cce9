import Bull, { Queue } from 'bull';
import Redis from 'ioredis';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { PROCESS_ID } from '../core/process-identity';
import { redisOptionsFromUrl } from '../core/redis-options';
import { heartbeatKeyOf } from '../health/worker-heartbeat';
import type { RegisteredQueues } from '../core/registered-queues';
import type { MessageLogRepository } from '../message-log/message-log.repository';
import type { SendQueueShards } from '../sending/send-queue-shards';
import { DEATH_CONFIRMATION_MS, DeadWorkerReaper, KNOWN_WORKERS_KEY } from './dead-workers';

const DEAD_WORKER = 'host-b:4242:dead00';

describe('DeadWorkerReaper (real Redis, real Bull)', () => {
  let redis: Redis;
  let prefix: string;
  let live: Queue;
  let dead: Queue;
  let liveEvents: Queue;
  let deadEvents: Queue;
  let messageLogs: jest.Mocked<Pick<MessageLogRepository, 'releaseLeasesOf'>>;
  let reaper: DeadWorkerReaper;

  // A lock far longer than the test: only the reaper can make a job come back in time.
  const queueOf = (name = 'send'): Queue =>
    new Bull(name, { redis: redisOptionsFromUrl(process.env.REDIS_URL ?? ''), prefix, settings: { lockDuration: 30_000, stalledInterval: 300 } });

  beforeEach(async () => {
    redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', { keyPrefix: `spec${randomBytes(4).toString('hex')}:` });
    prefix = `t${randomBytes(4).toString('hex')}`;
    live = queueOf();
    // The dead worker's queue: its job never ends (it stands for a process killed mid-job).
    dead = queueOf();
    // Another of the worker's queues (the event deliveries'), registered with Nest rather than a send shard.
    liveEvents = queueOf('event-webhook');
    deadEvents = queueOf('event-webhook');
    messageLogs = { releaseLeasesOf: jest.fn().mockResolvedValue(3) };
    const registered = { all: () => [live, liveEvents] } as unknown as RegisteredQueues;
    reaper = new DeadWorkerReaper(redis, messageLogs as unknown as MessageLogRepository, { queues: [live] } as unknown as SendQueueShards, registered);
    // This process is alive: its heartbeat is in Redis.
    await redis.set(heartbeatKeyOf(PROCESS_ID), '{}', 'EX', 60);
  });
  afterEach(async () => {
    await Promise.all([live.obliterate({ force: true }), liveEvents.obliterate({ force: true })]);
    await Promise.all([live, dead, liveEvents, deadEvents].map((queue) => queue.close(true)));
    await redis.quit();
  });

  /** A job the dead worker took from this queue and holds (locked with the queue's token) and never finishes. */
  async function heldIn(queue: Queue, jobId: string): Promise<string> {
    void queue.process(() => new Promise<never>(() => undefined));
    const job = await queue.add({ kind: 'test' }, { jobId });
    for (let tries = 0; (await queue.getActiveCount()) === 0; tries++) {
      if (tries > 100) throw new Error('the dead worker never took its job');
      await sleep(20);
    }
    return String(job.id);
  }

  /** The dead worker's send job (its event queue's token is announced too); answers the job's id. */
  async function jobHeldByDeadWorker(): Promise<string> {
    const jobId = await heldIn(dead, 'held-1');
    await redis.hset(KNOWN_WORKERS_KEY, DEAD_WORKER, JSON.stringify({ lockTokens: [Reflect.get(dead, 'token'), Reflect.get(deadEvents, 'token')] }));
    return jobId;
  }

  /** Waits until the live worker of this queue has run the job. */
  async function runOnLiveWorker(queue: Queue, jobId: string): Promise<void> {
    const ran: string[] = [];
    void queue.process((job) => {
      ran.push(String(job.id));
      return Promise.resolve();
    });
    for (let tries = 0; !ran.includes(jobId); tries++) {
      if (tries > 500) throw new Error(`the freed job never ran on the live worker of ${queue.name}`);
      await sleep(20);
    }
    expect(ran).toEqual([jobId]);
  }

  it("ends a dead worker's leases and hands its job back to the queue, once its heartbeat stayed missing at two looks", async () => {
    const jobId = await jobHeldByDeadWorker();
    const now = Date.now();

    // First look: only a suspicion (a frozen Redis expires every heartbeat at once).
    expect(await reaper.reap(now)).toEqual({ dead: [], releasedLeases: 0, freedJobs: 0 });
    expect(messageLogs.releaseLeasesOf).not.toHaveBeenCalled();

    expect(await reaper.reap(now + DEATH_CONFIRMATION_MS)).toEqual({ dead: [DEAD_WORKER], releasedLeases: 3, freedJobs: 1 });
    expect(messageLogs.releaseLeasesOf).toHaveBeenCalledWith([DEAD_WORKER]);
    expect(await redis.hexists(KNOWN_WORKERS_KEY, DEAD_WORKER)).toBe(0);
    // This worker announced itself, with the lock token of each of its queues (each once).
    expect(JSON.parse((await redis.hget(KNOWN_WORKERS_KEY, PROCESS_ID)) ?? '{}')).toEqual({ lockTokens: [Reflect.get(live, 'token'), Reflect.get(liveEvents, 'token')] });

    // Bull's stalled-job check of a live worker moves the job back, and that worker runs it, long before the lock (30 s) lapses.
    await runOnLiveWorker(live, jobId);
  });

  it("hands back the dead worker's jobs of its other queues too (an event delivery it was making)", async () => {
    await jobHeldByDeadWorker();
    const deliveryId = await heldIn(deadEvents, 'delivery-1');
    const now = Date.now();
    await reaper.reap(now);
    expect(await reaper.reap(now + DEATH_CONFIRMATION_MS)).toEqual({ dead: [DEAD_WORKER], releasedLeases: 3, freedJobs: 2 });
    await runOnLiveWorker(liveEvents, deliveryId);
  });

  it('leaves alone a worker whose heartbeat is there, and one that announced itself again after a suspicion', async () => {
    const jobId = await jobHeldByDeadWorker();
    const now = Date.now();
    await reaper.reap(now);
    // The worker was only slow: it beats and announces itself again, which clears the suspicion.
    await redis.set(heartbeatKeyOf(DEAD_WORKER), '{}', 'EX', 60);
    await reaper.reap(now + DEATH_CONFIRMATION_MS);
    await redis.del(heartbeatKeyOf(DEAD_WORKER));
    await redis.hset(KNOWN_WORKERS_KEY, DEAD_WORKER, JSON.stringify({ lockTokens: [Reflect.get(dead, 'token')] }));

    expect(await reaper.reap(now + 2 * DEATH_CONFIRMATION_MS)).toEqual({ dead: [], releasedLeases: 0, freedJobs: 0 });
    expect(messageLogs.releaseLeasesOf).not.toHaveBeenCalled();
    expect(await (await live.getJob(jobId))?.isActive()).toBe(true);
  });

  it('judges nobody while its own heartbeat is missing (Redis lost its data or expired every key at once)', async () => {
    await jobHeldByDeadWorker();
    await redis.del(heartbeatKeyOf(PROCESS_ID));
    const now = Date.now();
    await reaper.reap(now);
    expect(await reaper.reap(now + DEATH_CONFIRMATION_MS)).toEqual({ dead: [], releasedLeases: 0, freedJobs: 0 });
    expect(messageLogs.releaseLeasesOf).not.toHaveBeenCalled();
    expect(await redis.hexists(KNOWN_WORKERS_KEY, DEAD_WORKER)).toBe(1);
  });
});
