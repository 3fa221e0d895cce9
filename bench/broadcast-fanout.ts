/**
 * Fan-out benchmark: POST /broadcast to N recipients (default 100,000), then the worker
 * (in-process, sandbox at 0 latency) sends every one. Reports the time to the 201, the
 * longest event-loop stall while the request was handled, the time until every send job
 * exists in Redis, and the time until the broadcast leaves `sending`.
 *
 *   MONGODB_URI=mongodb://127.0.0.1:27017/bench_broadcast RECIPIENTS=100000 \
 *     npx ts-node --transpile-only -r tsconfig-paths/register bench/broadcast-fanout.ts
 */
import { getQueueToken } from '@nestjs/bull';
import { NestFactory } from '@nestjs/core';
import { getConnectionToken, getModelToken } from '@nestjs/mongoose';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { Queue } from 'bull';
import { Connection, Model, Types } from 'mongoose';
import { randomBytes } from 'node:crypto';
import { cpus } from 'node:os';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import request from 'supertest';
import { Role } from '../src/auth/permissions';
import { TenancyService } from '../src/auth/tenancy.service';
import { BroadcastRepository } from '../src/broadcast/broadcast.repository';
import { Broadcast } from '../src/broadcast/broadcast.schema';
import { AppConfig } from '../src/config';
import { configureHttpApp } from '../src/http';
import { LocalModule } from '../src/local/local.module';
import { RedisServerProcess } from '../src/local/redis-server-process';
import { SEND_QUEUE } from '../src/sending/sending.jobs';

const RECIPIENTS = Number(process.env.RECIPIENTS ?? 100_000);
const DRAIN_TIMEOUT_MS = Number(process.env.DRAIN_TIMEOUT_MS ?? 30 * 60_000);

/** N distinct valid Nigerian mobile numbers (none ending in the sandbox's magic suffixes). */
function recipients(count: number): string[] {
  const prefixes = ['803', '806', '813', '816', '703', '706', '810', '814', '903', '906'];
  return Array.from({ length: count }, (_, index) => `234${prefixes[index % prefixes.length]}${String(1_000_000 + Math.floor(index / prefixes.length)).padStart(7, '0')}`);
}

async function main(): Promise<void> {
  const redis = process.env.REDIS_URL ? null : await RedisServerProcess.start();
  const config = AppConfig.fromEnvironment({
    MONGODB_URI: process.env.MONGODB_URI,
    REDIS_URL: process.env.REDIS_URL ?? redis!.url,
    QUEUE_PREFIX: `bench${randomBytes(3).toString('hex')}`,
    CREDENTIALS_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    LOG_LEVEL: 'silent',
    BODY_LIMIT: '4mb',
    SANDBOX_LATENCY_MS: '0',
    SANDBOX_STATUS_DELAY_MS: '0',
    WORKER_CONCURRENCY: process.env.WORKER_CONCURRENCY ?? '50',
    SESSION_RATE_LIMIT_PER_SECOND: '100000',
  });
  const app = await NestFactory.create<NestExpressApplication>(LocalModule.forRoot(config), { bodyParser: false, logger: false });
  configureHttpApp(app, config, { shutdownHooks: false });
  await app.init();
  try {
    const tenancy = app.get(TenancyService);
    const client = await tenancy.createClient('bench');
    const key = await tenancy.issueApiKey(client._id.toHexString(), 'bench', Role.Owner);
    const session = await tenancy.createSession({ clientId: client._id.toHexString(), name: 'bench', provider: 'sandbox' });
    const to = recipients(RECIPIENTS).join(',');

    const loop = monitorEventLoopDelay({ resolution: 10 });
    loop.enable();
    const started = performance.now();
    const response = await request(app.getHttpServer())
      .post('/broadcast')
      .set('Authorization', `Bearer ${key.key}`)
      .set({ 'X-Session-Id': session.session_id, 'X-Access-Token': session.access_token })
      .send({ send_type: 'individual', to, message: { text: 'bench' } });
    const answeredMs = performance.now() - started;
    loop.disable();
    if (response.status !== 201) throw new Error(`POST /broadcast answered ${response.status}: ${JSON.stringify(response.body).slice(0, 500)}`);
    const id = response.body.data._id as string;

    const queue = app.get<Queue>(getQueueToken(SEND_QUEUE));
    const broadcasts = app.get(BroadcastRepository);
    let fannedOutMs: number | null = null;
    let status = 'sending';
    while (status === 'sending' && performance.now() - started < DRAIN_TIMEOUT_MS) {
      await sleep(250);
      if (fannedOutMs === null) {
        const counts = await queue.getJobCounts();
        if (counts.waiting + counts.active + counts.delayed + counts.completed + counts.failed >= RECIPIENTS * 0.99) fannedOutMs = performance.now() - started;
      }
      status = (await broadcasts.findStatus(id)) ?? 'deleted';
    }
    const drainedMs = performance.now() - started;
    // Progress when the drain timed out: how many recipients left `pending`.
    const [sizes] = await app
      .get<Model<Broadcast>>(getModelToken(Broadcast.name))
      .aggregate<{ sent: number; failed: number; pending: number }>([
        { $match: { _id: new Types.ObjectId(id) } },
        { $project: { sent: { $size: '$sent' }, failed: { $size: '$failed' }, pending: { $size: '$pending' } } },
      ]);
    process.stdout.write(
      `${JSON.stringify(
        {
          recipients: RECIPIENTS,
          status,
          timeTo201Ms: Math.round(answeredMs),
          eventLoopMaxStallMs: Math.round(loop.max / 1e6),
          eventLoopP99Ms: Math.round(loop.percentile(99) / 1e6),
          timeToFanOutMs: fannedOutMs === null ? null : Math.round(fannedOutMs),
          timeToDrainMs: Math.round(drainedMs),
          recipientsDone: sizes ? sizes.sent + sizes.failed : null,
          sendsPerSecond: sizes ? Math.round((sizes.sent + sizes.failed) / (drainedMs / 1000)) : null,
          machine: { cpus: cpus().length, model: cpus()[0]?.model, node: process.version },
        },
        null,
        2,
      )}\n`,
    );
  } finally {
    if (process.env.KEEP_DATA !== 'true') await app.get<Connection>(getConnectionToken()).dropDatabase().catch(() => undefined);
    await app.close();
    await redis?.stop();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
