/**
 * Bare Bull with a no-op processor: the baseline of bench/broadcast-drain.ts, on the same
 * Redis, with the same concurrency and job options as the send queue.
 * Environment: REDIS_URL, BENCH_QUEUE, BENCH_PREFIX, BENCH_CONCURRENCY.
 */
import Bull from 'bull';
import { redisOptionsFromUrl } from '../../src/core/redis-options';
import { WorkerReport } from './drain-messages';

const queue = new Bull(process.env.BENCH_QUEUE!, { redis: redisOptionsFromUrl(process.env.REDIS_URL!), prefix: process.env.BENCH_PREFIX });
let cpuFrom = process.cpuUsage();
void queue.process(Number(process.env.BENCH_CONCURRENCY), async () => undefined);
const send = (message: WorkerReport | { type: 'ready' | 'reset' }): void => void process.send?.(message);
process.on('message', (message: string) => {
  if (message === 'reset') {
    cpuFrom = process.cpuUsage();
    send({ type: 'reset' });
  } else if (message === 'report') {
    const cpu = process.cpuUsage(cpuFrom);
    send({ type: 'report', mongoCommands: {}, cpuMs: (cpu.user + cpu.system) / 1000 });
  } else if (message === 'stop') {
    void queue.close().finally(() => process.exit(0));
  }
});
void queue.isReady().then(() => send({ type: 'ready' }));
