/**
 * Bare Bull with a no-op processor: the baseline of bench/broadcast-drain.ts, on the same
 * Redis, with the same concurrency and job options as the send queue. Like the service's
 * worker, which fans a broadcast out into its jobs and runs them, one process both adds the
 * jobs (`add:<count>`, in addBulk chunks of 1,000) and processes them.
 * Environment: REDIS_URL, BENCH_QUEUE, BENCH_PREFIX, BENCH_CONCURRENCY, BENCH_KEEP_JOBS (the send queue's
 * removeOnComplete and removeOnFail, as JSON: the finished jobs it keeps for the dashboard).
 */
import Bull, { JobOptions } from 'bull';
import { redisOptionsFromUrl } from '../../src/core/redis-options';
import { WorkerReport } from './drain-messages';

const ADD_CHUNK = 1000;
const { removeOnComplete, removeOnFail } = JSON.parse(process.env.BENCH_KEEP_JOBS ?? '{"removeOnComplete":true,"removeOnFail":true}') as Pick<JobOptions, 'removeOnComplete' | 'removeOnFail'>;

const queue = new Bull(process.env.BENCH_QUEUE!, { redis: redisOptionsFromUrl(process.env.REDIS_URL!), prefix: process.env.BENCH_PREFIX });
let cpuFrom = process.cpuUsage();
void queue.process(Number(process.env.BENCH_CONCURRENCY), async () => undefined);
const send = (message: WorkerReport | { type: 'ready' | 'reset' | 'added' }): void => void process.send?.(message);

async function add(count: number): Promise<void> {
  for (let start = 0; start < count; start += ADD_CHUNK) {
    await queue.addBulk(
      Array.from({ length: Math.min(ADD_CHUNK, count - start) }, (_, index) => ({
        data: { kind: 'noop', broadcastId: '000000000000000000000000', recipient: String(2348030000000 + start + index), contact: null },
        opts: { jobId: `b:1:${start + index}`, attempts: 5, backoff: { type: 'exponential', delay: 2000 }, removeOnComplete, removeOnFail },
      })),
    );
  }
  send({ type: 'added' });
}

process.on('message', (message: string) => {
  if (message === 'reset') {
    cpuFrom = process.cpuUsage();
    send({ type: 'reset' });
  } else if (message.startsWith('add:')) {
    void add(Number(message.slice('add:'.length)));
  } else if (message === 'report') {
    const cpu = process.cpuUsage(cpuFrom);
    send({ type: 'report', mongoCommands: {}, cpuMs: (cpu.user + cpu.system) / 1000 });
  } else if (message === 'stop') {
    void queue.close().finally(() => process.exit(0));
  }
});
void queue.isReady().then(() => send({ type: 'ready' }));
