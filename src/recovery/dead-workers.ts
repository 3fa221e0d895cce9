import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import type { Queue } from 'bull';
import { ExclusiveInterval } from '../core/exclusive-interval';
import { PROCESS_ID } from '../core/process-identity';
import { RedisClient } from '../core/redis-connection';
import { RegisteredQueues } from '../core/registered-queues';
import { REDIS } from '../core/redis.module';
import { heartbeatKeyOf, HEARTBEAT_INTERVAL_MS } from '../health/worker-heartbeat';
import { MessageLogRepository } from '../message-log/message-log.repository';
import { SendQueueShards } from '../sending/send-queue-shards';

/** Workers that have beaten once, each with its Bull lock tokens: the ones whose heartbeat may later stop. */
export const KNOWN_WORKERS_KEY = 'worker:known';
const LOCK_KEY = 'worker:reap:lock';
/** How often one worker looks for dead ones. */
export const REAP_INTERVAL_MS = HEARTBEAT_INTERVAL_MS;
/**
 * How long a heartbeat must stay missing, seen at two looks at least this far apart, before its
 * worker counts as dead: a Redis that was frozen expires every heartbeat at once when it wakes,
 * and the live workers write theirs again within a beat.
 */
export const DEATH_CONFIRMATION_MS = 2 * HEARTBEAT_INTERVAL_MS;

/** What the known-workers hash holds for one worker. */
interface KnownWorker {
  /** The tokens its Bull queues lock their active jobs with. */
  lockTokens: string[];
  /** When a look first found its heartbeat missing (ms since the epoch); cleared by its next announcement. */
  suspectedAt?: number;
}

/** What one look did. */
export interface ReapResult {
  dead: string[];
  /** Leases of the dead workers' send attempts, ended. */
  releasedLeases: number;
  /** Active jobs of the dead workers (sends, fan-outs, event deliveries, inbound messages) handed to Bull's next stalled-job check. */
  freedJobs: number;
}

/**
 * Frees what a dead worker held, as soon as its heartbeat stops, instead of when its holds lapse
 * (a lease or a Bull lock lasts WORKER_LOCK_DURATION_MS, renewed while the worker lives):
 * - the leases its send attempts hold on messages end (MessageLogRepository.releaseLeasesOf);
 * - its active jobs, in every queue (sends, fan-outs, event deliveries, inbound messages), lose their
 *   lock and are marked for Bull's stalled-job check, which moves them back to the queue at its next
 *   run (WORKER_STALLED_INTERVAL_MS) as it would after the lock lapsed.
 * Each worker announces itself in a hash once its heartbeat is written; every REAP_INTERVAL_MS one
 * worker looks for announced workers without a heartbeat. A worker stopping cleanly withdraws
 * its announcement first, so it is never taken for dead while it finishes its jobs.
 */
@Injectable()
export class DeadWorkerReaper implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(DeadWorkerReaper.name);
  private readonly schedule: ExclusiveInterval;

  constructor(
    @Inject(REDIS) private readonly redis: RedisClient,
    private readonly messageLogs: MessageLogRepository,
    private readonly sendQueues: SendQueueShards,
    private readonly registered: RegisteredQueues,
  ) {
    this.schedule = new ExclusiveInterval(redis, { name: 'Dead worker reaping', lockKey: LOCK_KEY, intervalMs: REAP_INTERVAL_MS }, async () => {
      await this.reap();
    });
  }

  onApplicationBootstrap(): void {
    this.schedule.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.schedule.stop();
    await this.redis.hdel(KNOWN_WORKERS_KEY, PROCESS_ID).catch(() => undefined);
  }

  /**
   * Announces this worker (once its heartbeat is in Redis) and, when no other worker looked in
   * this interval, looks for dead ones. Runs on the schedule; public for tests.
   */
  async reap(now: number = Date.now()): Promise<ReapResult> {
    const none: ReapResult = { dead: [], releasedLeases: 0, freedJobs: 0 };
    // Without our own heartbeat (Redis lost its data, or it was frozen and expired every key) nobody is judged.
    if (!(await this.announce())) return none;
    const known = await this.redis.hgetall(KNOWN_WORKERS_KEY);
    const dead = new Map<string, KnownWorker>();
    for (const [worker, text] of Object.entries(known)) {
      if (worker === PROCESS_ID || (await this.redis.exists(heartbeatKeyOf(worker))) === 1) continue;
      const record = JSON.parse(text) as KnownWorker;
      if (record.suspectedAt === undefined) {
        await this.redis.hset(KNOWN_WORKERS_KEY, worker, JSON.stringify({ ...record, suspectedAt: now }));
      } else if (now - record.suspectedAt >= DEATH_CONFIRMATION_MS) {
        dead.set(worker, record);
      }
    }
    if (dead.size === 0) return none;
    const releasedLeases = await this.messageLogs.releaseLeasesOf([...dead.keys()]);
    const tokens = [...dead.values()].flatMap((record) => record.lockTokens);
    let freedJobs = 0;
    for (const queue of this.workerQueues()) freedJobs += await freeJobsLockedBy(queue, tokens);
    await this.redis.hdel(KNOWN_WORKERS_KEY, ...dead.keys());
    this.logger.warn({ workers: [...dead.keys()], releasedLeases, freedJobs }, 'Workers without a heartbeat: their leases ended and their jobs handed back');
    return { dead: [...dead.keys()], releasedLeases, freedJobs };
  }

  /** Writes this worker's entry (clearing a suspicion) when its heartbeat is there; false when it is not. */
  private async announce(): Promise<boolean> {
    if ((await this.redis.exists(heartbeatKeyOf(PROCESS_ID))) !== 1) return false;
    const lockTokens = this.workerQueues().flatMap((queue) => {
      const token = lockTokenOf(queue);
      return token ? [token] : [];
    });
    const record: KnownWorker = { lockTokens };
    await this.redis.hset(KNOWN_WORKERS_KEY, PROCESS_ID, JSON.stringify(record));
    return true;
  }

  /** The queues this worker takes jobs from: every send queue (the shards beyond the first are not Nest providers) and every registered one. */
  private workerQueues(): Queue[] {
    const byName = new Map<string, Queue>();
    for (const queue of [...this.sendQueues.queues, ...this.registered.all()]) if (!byName.has(queue.name)) byName.set(queue.name, queue);
    return [...byName.values()];
  }
}

/** The token a Bull queue locks its active jobs with (a uuid per queue object; not in Bull's types). */
function lockTokenOf(queue: Queue): string | undefined {
  const token: unknown = Reflect.get(queue, 'token');
  return typeof token === 'string' ? token : undefined;
}

/**
 * Of a queue's active jobs, those locked with one of these tokens lose their lock and join the
 * stalled set, exactly as a lock that lapsed would leave them: Bull's next stalled-job check moves
 * them back to the queue (and counts the stall). One script, so that a lock renewed meanwhile is kept.
 */
const FREE_JOBS_SCRIPT = `
local dead = {}
for i = 2, #ARGV do dead[ARGV[i]] = true end
local freed = 0
for _, jobId in ipairs(redis.call('LRANGE', KEYS[1], 0, -1)) do
  local lockKey = ARGV[1] .. jobId .. ':lock'
  local holder = redis.call('GET', lockKey)
  if holder and dead[holder] then
    redis.call('DEL', lockKey)
    redis.call('SADD', KEYS[2], jobId)
    freed = freed + 1
  end
end
return freed`;

async function freeJobsLockedBy(queue: Queue, tokens: string[]): Promise<number> {
  if (tokens.length === 0) return 0;
  // Every key the script touches shares the queue's prefix, and so its hash slot on a cluster.
  const freed = await queue.client.eval(FREE_JOBS_SCRIPT, 2, queue.toKey('active'), queue.toKey('stalled'), queue.toKey(''), ...tokens);
  return Number(freed);
}
