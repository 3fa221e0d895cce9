import { Injectable } from '@nestjs/common';
import type { JobOptions, Queue } from 'bull';
import { AppConfig } from '../config';
import { SEND_BACKOFF_STRATEGY } from './send-backoff';
import { SendQueueShards } from './send-queue-shards';
import { NewSendJob, SEND_JOB, SendJobData } from './sending.jobs';

/** Jobs per addBulk call: one Redis round trip (MULTI) per chunk instead of one per recipient. */
export const ENQUEUE_CHUNK_SIZE = 1000;

/**
 * Removes waiting, paused and delayed jobs whose id starts with ARGV[2] in one pass per list.
 * Bull's own removeJobs does an LREM per job (quadratic on a 100,000-job queue); this rebuilds
 * each list once. Active jobs are left alone: they hold a lock and finish (the processor
 * checks the broadcast's stop signal before sending).
 * KEYS: wait, paused, delayed. ARGV[1]: job key prefix ("<prefix>:send:"), ARGV[2]: job id prefix.
 */
const PURGE_JOBS_SCRIPT = `
local jobKeyPrefix, idPrefix = ARGV[1], ARGV[2]
local idPrefixLength = string.len(idPrefix)
local removed = 0
local function matches(id) return string.sub(id, 1, idPrefixLength) == idPrefix end
local function drop(id) redis.call('DEL', jobKeyPrefix .. id, jobKeyPrefix .. id .. ':logs') removed = removed + 1 end
for i = 1, 2 do
  local ids = redis.call('LRANGE', KEYS[i], 0, -1)
  local keep, changed = {}, false
  for _, id in ipairs(ids) do
    if matches(id) then drop(id) changed = true else keep[#keep + 1] = id end
  end
  if changed then
    redis.call('DEL', KEYS[i])
    for first = 1, #keep, 5000 do redis.call('RPUSH', KEYS[i], unpack(keep, first, math.min(first + 4999, #keep))) end
  end
end
for _, id in ipairs(redis.call('ZRANGE', KEYS[3], 0, -1)) do
  if matches(id) then redis.call('ZREM', KEYS[3], id) drop(id) end
end
return removed
`;

/**
 * Removes the finished (completed or failed) jobs among the ids, which the queue keeps for the
 * dashboard, so that adding a job with one of those ids again makes a new job. Unfinished jobs
 * are left alone. KEYS: completed, failed. ARGV[1]: job key prefix, ARGV[2..]: job ids.
 */
const REMOVE_FINISHED_JOBS_SCRIPT = `
local removed = 0
for i = 2, #ARGV do
  local key = ARGV[1] .. ARGV[i]
  if redis.call('HEXISTS', key, 'finishedOn') == 1 then
    redis.call('ZREM', KEYS[1], ARGV[i])
    redis.call('ZREM', KEYS[2], ARGV[i])
    redis.call('DEL', key, key .. ':logs')
    removed = removed + 1
  end
end
return removed
`;

/** The producer of the send queues: the only code that adds (or removes) send jobs. */
@Injectable()
export class SendQueue {
  constructor(
    private readonly shards: SendQueueShards,
    private readonly config: AppConfig,
  ) {}

  /**
   * Adds a session's jobs to its send queue in bulk chunks (one Redis round trip each); a job whose
   * id is already in the queue is not added again. With `replaceFinished`, a finished job kept for
   * the dashboard under one of the ids is removed first, so that the id is sent again (a sweep or
   * a retry adding a recipient whose earlier job ended).
   */
  async enqueue<TData extends SendJobData>(sessionId: string, jobs: Array<NewSendJob<TData>>, { replaceFinished = false } = {}): Promise<void> {
    const queue = this.shards.forSession(sessionId);
    for (let start = 0; start < jobs.length; start += ENQUEUE_CHUNK_SIZE) {
      const chunk = jobs.slice(start, start + ENQUEUE_CHUNK_SIZE);
      if (replaceFinished) await this.removeFinished(queue, chunk.map(({ id }) => id));
      await queue.addBulk(
        chunk.map(({ id, data, notBefore }) => ({
          name: SEND_JOB,
          data,
          opts: { ...this.jobOptions(id), ...(notBefore ? { delay: Math.max(0, notBefore.getTime() - Date.now()) } : {}) },
        })),
      );
    }
  }

  /**
   * A finished job whose message waits (see RecipientWait) goes into its queue again under its
   * own id, delayed: the recipient keeps its one job, which the sweep and a pause find as before.
   */
  async requeueLater(queue: Queue<SendJobData>, jobId: string, data: SendJobData, delayMs: number): Promise<void> {
    await this.removeFinished(queue, [jobId]);
    await queue.add(SEND_JOB, data, { ...this.jobOptions(jobId), delay: Math.max(0, Math.round(delayMs)) });
  }

  /** Removes every queued (not yet active) job whose id starts with the prefix, from every send queue; returns how many. */
  async removeJobsWithIdPrefix(idPrefix: string): Promise<number> {
    let removed = 0;
    for (const queue of this.shards.queues) removed += await this.removeFrom(queue, idPrefix);
    return removed;
  }

  /**
   * Removes one of a session's jobs (from the session's send queue) unless a worker is running it;
   * false when there was none to remove (the caller's ledger write is what stops a job that runs anyway).
   */
  async removeJob(sessionId: string, jobId: string): Promise<boolean> {
    const job = await this.shards.forSession(sessionId).getJob(jobId);
    if (!job || (await job.isActive())) return false;
    try {
      await job.remove();
      return true;
    } catch {
      // Taken by a worker meanwhile (its lock): it will find the entry's status and send nothing.
      return false;
    }
  }

  /**
   * The job ids of the list that have no job waiting, delayed or running in any send queue: none
   * at all (removed, or lost with Redis's data), or only a finished one kept for the dashboard.
   */
  async idsWithoutJob(jobIds: string[]): Promise<string[]> {
    let missing = jobIds;
    for (const queue of this.shards.queues) {
      if (missing.length === 0) break;
      missing = await this.idsNotIn(queue, missing);
    }
    return missing;
  }

  private async removeFrom(queue: Queue<SendJobData>, idPrefix: string): Promise<number> {
    const keys = ['wait', 'paused', 'delayed'].map((type) => queue.toKey(type));
    // Every key the script touches shares the queue's prefix, and so its hash slot on a cluster.
    const removed = await queue.client.eval(PURGE_JOBS_SCRIPT, keys.length, ...keys, queue.toKey(''), idPrefix);
    return Number(removed);
  }

  private async idsNotIn(queue: Queue<SendJobData>, jobIds: string[]): Promise<string[]> {
    const missing: string[] = [];
    for (let start = 0; start < jobIds.length; start += ENQUEUE_CHUNK_SIZE) {
      const chunk = jobIds.slice(start, start + ENQUEUE_CHUNK_SIZE);
      const pipeline = queue.client.pipeline();
      // Every job has a `timestamp`; a finished one also a `finishedOn`.
      for (const id of chunk) pipeline.hmget(queue.toKey(id), 'timestamp', 'finishedOn');
      const results = (await pipeline.exec()) ?? [];
      chunk.forEach((id, index) => {
        const [timestamp, finishedOn] = (results[index]?.[1] as Array<string | null> | undefined) ?? [null, null];
        if (timestamp === null || finishedOn !== null) missing.push(id);
      });
    }
    return missing;
  }

  private async removeFinished(queue: Queue<SendJobData>, jobIds: string[]): Promise<void> {
    if (jobIds.length === 0) return;
    const keys = [queue.toKey('completed'), queue.toKey('failed')];
    await queue.client.eval(REMOVE_FINISHED_JOBS_SCRIPT, keys.length, ...keys, queue.toKey(''), ...jobIds);
  }

  private jobOptions(jobId: string): JobOptions {
    return {
      jobId,
      attempts: this.config.worker.sendAttempts,
      // Exponential, stretched to the delay a provider asks for (see sendBackoff).
      backoff: { type: SEND_BACKOFF_STRATEGY, options: { delayMs: this.config.worker.sendBackoffMs } },
      // MongoDB keeps the outcome: finished jobs stay only for the dashboard, bounded in number and age.
      ...finishedJobsKept(this.config),
    };
  }
}

/** The finished send jobs Bull keeps for the dashboard (SEND_JOBS_KEEP_*): `true` removes each at once. */
export function finishedJobsKept({ worker }: AppConfig): Required<Pick<JobOptions, 'removeOnComplete' | 'removeOnFail'>> {
  const keep = ({ count, seconds }: { count: number; seconds: number }) => (count === 0 ? true : { count, age: seconds });
  return { removeOnComplete: keep(worker.keepCompletedJobs), removeOnFail: keep(worker.keepFailedJobs) };
}
