/**
 * Drain benchmark: how fast real worker processes send a broadcast, and what each recipient
 * costs, next to bare Bull (a no-op processor, same Redis, same concurrency, same number of
 * jobs) measured in the same run. For each scenario (delivery reports off/on; one or two
 * worker processes) it prints, per recipient: MongoDB commands (the workers' driver command
 * monitoring), Redis commands (INFO commandstats, Lua internals included), worker CPU ms,
 * and sends/s with its ratio to bare Bull's jobs/s.
 *
 *   MONGODB_URI=mongodb://127.0.0.1:27017/bench_drain npm run bench:drain
 *
 * RECIPIENTS (default 2000), WORKER_CONCURRENCY (50), SCENARIOS (e.g. "off:1,on:2"), REDIS_URL
 * (a redis-server is started otherwise), BENCH_CPU_PROFILE_DIR (V8 CPU profiles of the workers),
 * MONGOD_PID (a MongoDB server on this machine: its CPU per recipient is reported too, from
 * /proc). The Redis server's CPU comes from its INFO. Use a throwaway database: it is dropped at the end.
 */
import { getConnectionToken, getModelToken } from '@nestjs/mongoose';
import { NestFactory } from '@nestjs/core';
import Bull, { JobOptions } from 'bull';
import Redis from 'ioredis';
import { Connection, Model, mongo, Types } from 'mongoose';
import { mkdirSync, writeFileSync } from 'node:fs';
import { ChildProcess, fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { TenancyService } from '../src/auth/tenancy.service';
import { BroadcastRepository } from '../src/broadcast/broadcast.repository';
import { BroadcastService } from '../src/broadcast/broadcast.service';
import type { CreateBroadcastDto } from '../src/broadcast/dto/create-broadcast.dto';
import { AppConfig } from '../src/config';
import { redisOptionsFromUrl } from '../src/core/redis-options';
import { LocalModule } from '../src/local/local.module';
import { RedisServerProcess } from '../src/local/redis-server-process';
import { finishedJobsKept } from '../src/sending/send.queue';
import { MessageLog } from '../src/message-log/message-log.schema';
import { WorkerReport } from './support/drain-messages';
import { processCpuMs } from './support/process-cpu';

const RECIPIENTS = Number(process.env.RECIPIENTS ?? 2000);
const CONCURRENCY = process.env.WORKER_CONCURRENCY ?? '50';
const SCENARIOS = (process.env.SCENARIOS ?? 'off:1,off:2,on:1,on:2').split(',').map((scenario) => {
  const [reports, workers] = scenario.split(':');
  return { statusReports: reports === 'on', workers: Number(workers) };
});
const DRAIN_TIMEOUT_MS = 10 * 60_000;
/** Where the latest results go, machine-readable (read by bench/capacity.ts). */
const RESULTS_FILE = process.env.BENCH_RESULTS_FILE ?? join(__dirname, 'results', 'broadcast-drain.json');
/** Delay of the sandbox's delivered and read reports when they are on. */
const STATUS_DELAY_MS = '20';

interface Measured {
  seconds: number;
  mongoCommands: Record<string, number>;
  mongoDocumentWrites: number;
  redisCommands: number;
  cpuMs: number;
  redisServerCpuMs: number;
  /** Null without MONGOD_PID. */
  mongodCpuMs: number | null;
}

function recipients(count: number, block: number): string[] {
  const prefixes = ['803', '806', '813', '816', '703', '706', '810', '814', '903', '906'];
  return Array.from({ length: count }, (_, index) => `234${prefixes[index % prefixes.length]}${String(block * 100_000 + Math.floor(index / prefixes.length)).padStart(7, '0')}`);
}

/** A benchmark worker process, run from the TypeScript sources like the rest of this script. */
function spawn(script: string, env: NodeJS.ProcessEnv): ChildProcess {
  return fork(join(__dirname, 'support', script), [], {
    execArgv: [
      '-r',
      'ts-node/register/transpile-only',
      '-r',
      'tsconfig-paths/register',
      // A V8 CPU profile of every worker, for finding where the time goes.
      ...(process.env.BENCH_CPU_PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROFILE_DIR}`] : []),
    ],
    env,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
}

function ask<T>(child: ChildProcess, message: string | null, type: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onMessage = (answer: { type: string }): void => {
      if (answer.type !== type) return;
      child.off('message', onMessage);
      child.off('exit', onExit);
      resolve(answer as T);
    };
    const onExit = (code: number | null): void => reject(new Error(`a benchmark worker exited (${code}) before answering ${type}`));
    child.on('message', onMessage);
    child.once('exit', onExit);
    if (message) child.send(message);
  });
}

/** CPU ms the Redis server has used (its INFO). */
async function redisServerCpuMs(redis: Redis): Promise<number> {
  const info = await redis.info('cpu');
  const seconds = (name: string) => Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(info)?.[1] ?? 0);
  return (seconds('used_cpu_sys') + seconds('used_cpu_user')) * 1000;
}

/** CPU ms the local MongoDB server (MONGOD_PID) has used, from /proc; null without it. */
function mongodCpuMs(): number | null {
  const pid = process.env.MONGOD_PID;
  return pid ? processCpuMs(pid) : null;
}

async function redisCommandCount(redis: Redis): Promise<number> {
  const stats = await redis.info('commandstats');
  return [...stats.matchAll(/calls=(\d+)/g)].reduce((sum, match) => sum + Number(match[1]), 0);
}

/** Starts the workers, zeroes their counters, runs `work`, and collects what the workers and Redis did meanwhile. */
async function measure(workers: ChildProcess[], redis: Redis, work: () => Promise<void>): Promise<Measured> {
  await Promise.all(workers.map((worker) => ask(worker, null, 'ready')));
  await Promise.all(workers.map((worker) => ask(worker, 'reset', 'reset')));
  const redisBefore = await redisCommandCount(redis);
  const redisCpuBefore = await redisServerCpuMs(redis);
  const mongodBefore = mongodCpuMs();
  const started = performance.now();
  await work();
  const seconds = (performance.now() - started) / 1000;
  const redisCommands = (await redisCommandCount(redis)) - redisBefore;
  const redisCpu = (await redisServerCpuMs(redis)) - redisCpuBefore;
  const mongodAfter = mongodCpuMs();
  const reports = await Promise.all(workers.map((worker) => ask<WorkerReport>(worker, 'report', 'report')));
  await Promise.all(workers.map((worker) => new Promise((resolve) => worker.once('exit', resolve).send('stop'))));
  const mongoCommands: Record<string, number> = {};
  for (const report of reports) for (const [name, count] of Object.entries(report.mongoCommands)) mongoCommands[name] = (mongoCommands[name] ?? 0) + count;
  const mongoDocumentWrites = reports.reduce((sum, report) => sum + (report.mongoDocumentWrites ?? 0), 0);
  return {
    seconds,
    mongoCommands,
    mongoDocumentWrites,
    redisCommands,
    cpuMs: reports.reduce((sum, report) => sum + report.cpuMs, 0),
    redisServerCpuMs: redisCpu,
    mongodCpuMs: mongodBefore === null || mongodAfter === null ? null : mongodAfter - mongodBefore,
  };
}

async function bareBull(redisUrl: string, redis: Redis, workerCount: number, keepJobs: Pick<JobOptions, 'removeOnComplete' | 'removeOnFail'>): Promise<Measured & { completedEvents: number }> {
  const name = `noop${randomBytes(3).toString('hex')}`;
  const prefix = `bench${randomBytes(3).toString('hex')}`;
  const env = { ...process.env, REDIS_URL: redisUrl, BENCH_QUEUE: name, BENCH_PREFIX: prefix, BENCH_CONCURRENCY: CONCURRENCY, BENCH_KEEP_JOBS: JSON.stringify(keepJobs) };
  const workers = Array.from({ length: workerCount }, () => spawn('noop-worker.ts', env));
  const queue = new Bull(name, { redis: redisOptionsFromUrl(redisUrl), prefix });
  const completed = await countCompletedEvents(redisUrl, `${prefix}:${name}`);
  try {
    const measured = await measure(workers, redis, async () => {
      // The first worker adds the jobs, as the service's worker does in its fan-out; every worker processes them.
      await ask(workers[0], `add:${RECIPIENTS}`, 'added');
      for (;;) {
        const counts = await queue.getJobCounts();
        if (counts.waiting + counts.active + counts.delayed === 0) break;
        await sleep(50);
      }
    });
    return { ...measured, completedEvents: completed.count() };
  } finally {
    completed.stop();
    await queue.close();
  }
}

/** Counts the `completed` events Bull publishes for a queue (one per job that completes), on its own connection. */
async function countCompletedEvents(redisUrl: string, queueKey: string): Promise<{ count(): number; stop(): void }> {
  const subscriber = new Redis(redisUrl);
  let count = 0;
  subscriber.on('message', () => count++);
  await subscriber.subscribe(`${queueKey}:completed`);
  return { count: () => count, stop: () => subscriber.disconnect() };
}

/**
 * Average stored size (BSON) of the broadcast's message logs and of its WhatsApp logs, and WhatsApp
 * logs per message, from up to 1,000 of each; indexes not included (see docs/capacity.md).
 */
async function storedBytes(connection: Connection, broadcastId: Types.ObjectId): Promise<Record<string, number>> {
  const average = async (collection: string, filter: Record<string, unknown>): Promise<number> => {
    const documents = await connection.collection(collection).find(filter).limit(1000).toArray();
    const total = documents.reduce((sum, document) => sum + mongo.BSON.calculateObjectSize(document), 0);
    return documents.length > 0 ? Math.round(total / documents.length) : 0;
  };
  const messages = await connection.collection('message_logs').countDocuments({ broadcast_id: broadcastId });
  const calls = await connection.collection('whatsapp_logs').countDocuments({ broadcastId });
  return {
    bytesPerMessageLog: await average('message_logs', { broadcast_id: broadcastId }),
    bytesPerWhatsappLog: await average('whatsapp_logs', { broadcastId }),
    whatsappLogsPerMessage: messages > 0 ? Number((calls / messages).toFixed(2)) : 0,
  };
}

async function main(): Promise<void> {
  if (!process.env.MONGODB_URI) throw new Error('Set MONGODB_URI to a throwaway database');
  const redisServer = process.env.REDIS_URL ? null : await RedisServerProcess.start();
  const redisUrl = process.env.REDIS_URL ?? redisServer!.url;
  const redis = new Redis(redisUrl);
  const monitored = new URL(process.env.MONGODB_URI);
  // The driver's command events cost the workers CPU of their own: BENCH_COUNT_MONGO=false measures CPU without them (no MongoDB counts).
  if (process.env.BENCH_COUNT_MONGO !== 'false') monitored.searchParams.set('monitorCommands', 'true');
  const shared = {
    MONGODB_URI: process.env.MONGODB_URI,
    REDIS_URL: redisUrl,
    QUEUE_PREFIX: `bench${randomBytes(3).toString('hex')}`,
    CREDENTIALS_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    LOG_LEVEL: 'silent',
    SANDBOX_LATENCY_MS: '0',
    WORKER_CONCURRENCY: CONCURRENCY,
    SESSION_RATE_LIMIT_PER_SECOND: '100000',
  };
  // The API side, in this process: creates the broadcasts (its MongoDB commands are not counted).
  const api = await NestFactory.createApplicationContext(LocalModule.forRoot(AppConfig.fromEnvironment(shared), { worker: false }), { logger: false });
  const rows: Array<Record<string, unknown>> = [];
  try {
    const tenancy = api.get(TenancyService);
    const client = await tenancy.createClient('bench');
    const clientId = client._id.toHexString();
    const session = await tenancy.createSession({ clientId, name: 'bench', provider: 'sandbox' });
    const messageLogs = api.get<Model<MessageLog>>(getModelToken(MessageLog.name));
    const connection = api.get<Connection>(getConnectionToken());
    for (const [index, { statusReports, workers }] of SCENARIOS.entries()) {
      // Each scenario starts from empty ledger collections, so that the order of the scenarios does not change their figures.
      await Promise.all(['message_logs', 'whatsapp_logs'].map((name) => connection.collection(name).deleteMany({})));
      // Bare Bull keeps finished jobs as the send queue does (SEND_JOBS_KEEP_*): that work is Bull's, asked of it by the dashboard.
      const baseline = await bareBull(redisUrl, redis, workers, finishedJobsKept(api.get(AppConfig)));
      const env = { ...process.env, ...shared, MONGODB_URI: monitored.toString(), SANDBOX_STATUS_DELAY_MS: statusReports ? STATUS_DELAY_MS : '0' };
      let sendSeconds = 0;
      let broadcastId = new Types.ObjectId();
      // Bull's own count of the send jobs that completed (every send queue: one shard by default).
      const sendJobsCompleted = await countCompletedEvents(redisUrl, `${shared.QUEUE_PREFIX}:send`);
      const service = await measure(
        Array.from({ length: workers }, () => spawn('drain-worker.ts', env)),
        redis,
        async () => {
          const started = performance.now();
          const body = { send_type: 'individual', to: recipients(RECIPIENTS, index).join(','), message: { text: 'bench' } } as CreateBroadcastDto;
          const broadcast = await api.get(BroadcastService).create(clientId, session.session_id, body);
          const id = broadcast._id.toHexString();
          broadcastId = broadcast._id;
          while ((await api.get(BroadcastRepository).findStatus(id)) === 'sending') {
            if (performance.now() - started > DRAIN_TIMEOUT_MS) throw new Error(`broadcast ${id} still sending after ${DRAIN_TIMEOUT_MS} ms`);
            await sleep(50);
          }
          sendSeconds = (performance.now() - started) / 1000;
          // With reports on, the run lasts until every message was read.
          while (statusReports && (await messageLogs.countDocuments({ broadcast_id: new Types.ObjectId(id), status: 'read' })) < RECIPIENTS) await sleep(100);
        },
      );
      const sendJobs = sendJobsCompleted.count();
      sendJobsCompleted.stop();
      const mongoTotal = Object.values(service.mongoCommands).reduce((sum, count) => sum + count, 0);
      const sendsPerSecond = RECIPIENTS / sendSeconds;
      const bullJobsPerSecond = RECIPIENTS / baseline.seconds;
      rows.push({
        scenario: `reports ${statusReports ? 'on' : 'off'}, ${workers} worker${workers > 1 ? 's' : ''}`,
        recipients: RECIPIENTS,
        sendsPerSecond: Math.round(sendsPerSecond),
        bareBullJobsPerSecond: Math.round(bullJobsPerSecond),
        ratioToBareBull: Number((sendsPerSecond / bullJobsPerSecond).toFixed(2)),
        sendJobsPerRecipient: Number((sendJobs / RECIPIENTS).toFixed(3)),
        bareBullCompletedEventsPerJob: Number((baseline.completedEvents / RECIPIENTS).toFixed(3)),
        mongoCommandsPerRecipient: Number((mongoTotal / RECIPIENTS).toFixed(3)),
        mongoCommands: service.mongoCommands,
        mongoDocumentWritesPerRecipient: Number((service.mongoDocumentWrites / RECIPIENTS).toFixed(2)),
        ...(await storedBytes(connection, broadcastId)),
        redisCommandsPerRecipient: Number((service.redisCommands / RECIPIENTS).toFixed(1)),
        bareBullRedisCommandsPerJob: Number((baseline.redisCommands / RECIPIENTS).toFixed(1)),
        workerCpuMsPerRecipient: Number((service.cpuMs / RECIPIENTS).toFixed(3)),
        bareBullCpuMsPerJob: Number((baseline.cpuMs / RECIPIENTS).toFixed(3)),
        cpuRatioToBareBull: Number((service.cpuMs / baseline.cpuMs).toFixed(2)),
        redisServerCpuMsPerRecipient: Number((service.redisServerCpuMs / RECIPIENTS).toFixed(3)),
        bareBullRedisServerCpuMsPerJob: Number((baseline.redisServerCpuMs / RECIPIENTS).toFixed(3)),
        ...(service.mongodCpuMs === null ? {} : { mongodCpuMsPerRecipient: Number((service.mongodCpuMs / RECIPIENTS).toFixed(3)) }),
      });
      process.stderr.write(`${JSON.stringify(rows[rows.length - 1])}\n`);
    }
    const report = { date: new Date().toISOString().slice(0, 10), machine: { cpus: cpus().length, model: cpus()[0]?.model, node: process.version }, concurrency: Number(CONCURRENCY), rows };
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    // The latest run, machine-readable, for `npm run capacity` (docs/capacity.md).
    mkdirSync(dirname(RESULTS_FILE), { recursive: true });
    writeFileSync(RESULTS_FILE, `${JSON.stringify(report, null, 2)}\n`);
    process.stderr.write(`Results written to ${RESULTS_FILE}\n`);
  } finally {
    await api.get<Connection>(getConnectionToken()).dropDatabase().catch(() => undefined);
    await api.close();
    redis.disconnect();
    await redisServer?.stop();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
