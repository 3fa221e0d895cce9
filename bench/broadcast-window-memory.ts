/**
 * Redis memory of a draining broadcast under the windowed fan-out: one broadcast of N
 * recipients (default 100,000) on a session limited to 80 messages/s, in one process with its
 * own redis-server (so that `used_memory` is this app's alone). Reads `INFO memory` before the
 * broadcast (the idle baseline, the app booted) and every second for SAMPLE_SECONDS while it
 * drains, then cancels it. Reports the peak above the baseline, the live send jobs, and the
 * fan-out's own MongoDB queries per recipient it added (counted at the repository methods).
 *
 *   MONGODB_URI=mongodb://127.0.0.1:27017/bench_window RECIPIENTS=100000 SAMPLE_SECONDS=150 \
 *     npx ts-node --transpile-only -r tsconfig-paths/register bench/broadcast-window-memory.ts
 */
import { getQueueToken } from '@nestjs/bull';
import { NestFactory } from '@nestjs/core';
import { getConnectionToken } from '@nestjs/mongoose';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { Queue } from 'bull';
import type { Connection } from 'mongoose';
import { randomBytes } from 'node:crypto';
import { cpus } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { TenancyService } from '../src/auth/tenancy.service';
import { BroadcastQueue } from '../src/broadcast/broadcast.queue';
import { BroadcastRepository } from '../src/broadcast/broadcast.repository';
import { BroadcastService } from '../src/broadcast/broadcast.service';
import { RecipientVariablesRepository } from '../src/broadcast/recipient-variables.repository';
import { AppConfig } from '../src/config';
import { ContactService } from '../src/contact/contact.service';
import { LocalModule } from '../src/local/local.module';
import { RedisServerProcess } from '../src/local/redis-server-process';
import { SEND_QUEUE } from '../src/sending/sending.jobs';

const RECIPIENTS = Number(process.env.RECIPIENTS ?? 100_000);
const SAMPLE_SECONDS = Number(process.env.SAMPLE_SECONDS ?? 150);
const RATE_PER_SECOND = 80;

/** N distinct valid Nigerian mobile numbers (none ending in the sandbox's magic suffixes). */
function recipients(count: number): string[] {
  const prefixes = ['803', '806', '813', '816', '703', '706', '810', '814', '903', '906'];
  return Array.from({ length: count }, (_, index) => `234${prefixes[index % prefixes.length]}${String(1_000_000 + Math.floor(index / prefixes.length)).padStart(7, '0')}`);
}

/** Counts the calls of one method of a provider (a bench may look inside; the app's code is unchanged). */
function countCalls<T extends object, K extends keyof T>(target: T, method: K, counter: { calls: number }): void {
  const original = target[method];
  if (typeof original !== 'function') throw new Error(`${String(method)} is not a method`);
  const wrapped = (...args: unknown[]): unknown => {
    counter.calls += 1;
    return (original as (...given: unknown[]) => unknown).apply(target, args);
  };
  target[method] = wrapped as T[K];
}

async function usedMemory(queue: Queue): Promise<number> {
  const info = await queue.client.info('memory');
  return Number(/used_memory:(\d+)/.exec(info)?.[1] ?? NaN);
}

async function main(): Promise<void> {
  const redis = await RedisServerProcess.start();
  const config = AppConfig.fromEnvironment({
    MONGODB_URI: process.env.MONGODB_URI,
    REDIS_URL: redis.url,
    QUEUE_PREFIX: `bench${randomBytes(3).toString('hex')}`,
    CREDENTIALS_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    LOG_LEVEL: 'silent',
    SANDBOX_LATENCY_MS: '0',
    SANDBOX_STATUS_DELAY_MS: '0',
    BROADCAST_MAX_RECIPIENTS: String(RECIPIENTS),
    SESSION_RATE_LIMIT_PER_SECOND: String(RATE_PER_SECOND),
  });
  const app = await NestFactory.create<NestExpressApplication>(LocalModule.forRoot(config), { bodyParser: false, logger: false });
  await app.init();
  try {
    const tenancy = app.get(TenancyService);
    const client = await tenancy.createClient('bench');
    const clientId = client._id.toHexString();
    const session = await tenancy.createSession({ clientId, name: 'bench', provider: 'sandbox' });
    const queue = app.get<Queue>(getQueueToken(SEND_QUEUE));
    const broadcasts = app.get(BroadcastRepository);
    const reads = { slices: { calls: 0 }, contacts: { calls: 0 }, variables: { calls: 0 }, advances: { calls: 0 } };
    countCalls(broadcasts, 'findFanOutNext', reads.slices);
    countCalls(broadcasts, 'advanceFanOut', reads.advances);
    countCalls(app.get(ContactService), 'contactsByPhone', reads.contacts);
    countCalls(app.get(RecipientVariablesRepository), 'variablesOf', reads.variables);

    await sleep(2000);
    const baseline = await usedMemory(queue);
    // Stored as POST /broadcast stores it (after validation, which bench/broadcast-fanout.ts measures), then its fan-out job.
    const numbers = recipients(RECIPIENTS);
    const created = await broadcasts.create({
      clientId,
      sessionId: session.session_id,
      sendType: 'individual',
      to: numbers.join(','),
      message: { text: 'bench', attachments: [], location: null, contactId: null },
      pending: numbers,
      failed: [],
      failures: [],
    });
    const id = created._id.toHexString();
    await app.get(BroadcastQueue).scheduleFanOut(id);

    let peak = baseline;
    let maxLiveJobs = 0;
    const samples: Array<{ second: number; aboveBaselineMB: number; liveJobs: number; sent: number }> = [];
    const started = Date.now();
    for (let second = 1; second <= SAMPLE_SECONDS; second++) {
      await sleep(Math.max(0, started + second * 1000 - Date.now()));
      const [memory, counts] = await Promise.all([usedMemory(queue), queue.getJobCounts()]);
      const liveJobs = counts.waiting + counts.active + counts.delayed;
      peak = Math.max(peak, memory);
      maxLiveJobs = Math.max(maxLiveJobs, liveJobs);
      // The sent count reads the broadcast (a large document): every tenth second only.
      if (second % 10 === 0) {
        const summary = await broadcasts.findOwnedSummary(clientId, id);
        samples.push({ second, aboveBaselineMB: round((memory - baseline) / 2 ** 20), liveJobs, sent: summary?.counts.sent ?? 0 });
      }
    }
    const sent = samples.at(-1)?.sent ?? 0;
    const added = await broadcasts.findFanOutWindow(id);
    await app.get(BroadcastService).cancel(clientId, id);
    const queries = reads.slices.calls + reads.contacts.calls + reads.variables.calls;
    // Recipients the fan-out added: those sent and those still in the window when sampling ended.
    const enqueued = sent + (added?.window ?? 0);
    process.stdout.write(
      `${JSON.stringify(
        {
          recipients: RECIPIENTS,
          ratePerSecond: RATE_PER_SECOND,
          sampledSeconds: SAMPLE_SECONDS,
          sent,
          baselineMB: round(baseline / 2 ** 20),
          peakAboveBaselineMB: round((peak - baseline) / 2 ** 20),
          maxLiveJobs,
          fanOut: { topUps: reads.advances.calls, slicesRead: reads.slices.calls, contactQueries: reads.contacts.calls, variableQueries: reads.variables.calls },
          fanOutReadsPerRecipient: enqueued > 0 ? Number((queries / enqueued).toFixed(4)) : null,
          samples,
          machine: { cpus: cpus().length, model: cpus()[0]?.model, node: process.version },
        },
        null,
        2,
      )}\n`,
    );
  } finally {
    if (process.env.KEEP_DATA !== 'true') await app.get<Connection>(getConnectionToken()).dropDatabase().catch(() => undefined);
    await app.close();
    await redis.stop();
  }
}

const round = (value: number): number => Math.round(value * 10) / 10;

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
