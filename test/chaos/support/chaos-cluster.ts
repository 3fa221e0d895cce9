import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import Redis from 'ioredis';
import { Role } from '../../../src/auth/permissions';
import { TenancyService } from '../../../src/auth/tenancy.service';
import { freePort } from '../../../src/local/redis-server-process';
import { FakeCloudApi } from '../../support/fake-cloud-api';
import { FaultProxy } from '../../support/fault-proxy';
import { isolatedMongoUri } from '../../support/mongo';
import { createTestApp, TestApp } from '../../support/test-app';

const ROOT = resolve(__dirname, '../../..');
const READY_TIMEOUT_MS = 120_000;

/** The newest modification time of the files under these folders. */
function newestChange(...directories: string[]): number {
  let newest = 0;
  const visit = (path: string): void => {
    for (const entry of readdirSync(path, { withFileTypes: true })) {
      const child = join(path, entry.name);
      newest = Math.max(newest, entry.isDirectory() ? (visit(child), 0) : statSync(child).mtimeMs);
    }
  };
  for (const directory of directories) if (existsSync(directory)) visit(directory);
  return newest;
}

/** The suite runs the built processes: builds them when dist is missing or older than the sources. */
function buildIfStale(): void {
  const built = join(ROOT, 'dist/src/worker.js');
  if (existsSync(built) && statSync(built).mtimeMs >= newestChange(join(ROOT, 'src'), join(ROOT, 'libs'))) return;
  process.stdout.write('Chaos suite: building the processes (npm run build)\n');
  const result = spawnSync('npm', ['run', '-s', 'build'], { cwd: ROOT, stdio: 'inherit' });
  if (result.status !== 0) throw new Error('npm run build failed; the chaos suite runs the built processes');
}

/** The settings the processes run with: short enough that every fault heals within seconds. */
export const CHAOS_SETTINGS = {
  SWEEP_INTERVAL_MS: '1000',
  SWEEP_PENDING_AGE_MS: '2000',
  WORKER_LOCK_DURATION_MS: '5000',
  WORKER_STALLED_INTERVAL_MS: '1000',
  WORKER_CONCURRENCY: '20',
  BROADCAST_PROGRESS_FLUSH_MS: '100',
  SEND_BACKOFF_MS: '200',
  // An event delivery that failed (or hung: a try is bounded at 2 × 2 s + 10 s) is tried again 2 s later.
  WEBHOOK_TIMEOUT_MS: '2000',
  WEBHOOK_BACKOFF_MS: '2000',
} as const;

/** A child process of the cluster (the API, a worker or redis-server), its output kept in a file. */
export class ManagedProcess {
  private exited: Promise<number | null>;

  constructor(
    readonly name: string,
    readonly child: ChildProcess,
    readonly logFile: string,
  ) {
    this.exited = new Promise((resolveExit) => child.once('exit', (code) => resolveExit(code)));
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  output(): string {
    return existsSync(this.logFile) ? readFileSync(this.logFile, 'utf8') : '';
  }

  /** `kill -9`: no shutdown hook runs. */
  async crash(): Promise<void> {
    if (!this.running) return;
    this.child.kill('SIGKILL');
    await this.exited;
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.child.kill('SIGTERM');
    const stopped = await Promise.race([this.exited.then(() => true), sleep(10_000).then(() => false)]);
    if (!stopped) await this.crash();
  }
}

/** A tenant of the chaos cluster: an owner key and a Cloud API session pointed at the fake Graph API. */
export interface ChaosTenant {
  clientId: string;
  apiKey: string;
  /** Headers naming a session with the given rate limit. */
  session(perSecond: number): Promise<Record<string, string>>;
  /** POST /broadcast of `text` to `recipients` from the session the headers name; answers its id (anything but a 201 throws). */
  broadcast(session: Record<string, string>, recipients: string[], text?: string): Promise<string>;
}

/**
 * The real topology on loopback: the built API (`node dist/src/main.js`) and workers
 * (`node dist/src/worker.js`) as separate processes, their own redis-server, the run's MongoDB
 * (a database of its own), and a fake Graph API that counts every message it accepts. The
 * processes reach MongoDB and Redis through a fault proxy each (`mongoProxy`, `redisProxy`:
 * stall, drop, latency); an in-process application (no worker) reads the ledger and creates
 * tenants, connected directly so that it sees through every fault. The processes may deliver
 * client events to loopback addresses, where the suite's receiver listens.
 */
export class ChaosCluster {
  readonly workers: ManagedProcess[] = [];
  api?: ManagedProcess;
  redis?: ManagedProcess;
  /** Between the processes and MongoDB. */
  readonly mongoProxy!: FaultProxy;
  /** Between the processes and Redis. */
  readonly redisProxy!: FaultProxy;
  private readonly env: Record<string, string>;
  private readonly directory = mkdtempSync(join(tmpdir(), 'wa-chaos-'));
  private started = 0;

  private constructor(
    readonly control: TestApp,
    readonly fake: FakeCloudApi,
    readonly redisPort: number,
    readonly apiPort: number,
    env: Record<string, string>,
  ) {
    this.env = env;
  }

  static async start(): Promise<ChaosCluster> {
    buildIfStale();
    const fake = await FakeCloudApi.start({ latencyMs: 20 });
    const [redisPort, apiPort] = [await freePort(), await freePort()];
    const mongoUri = isolatedMongoUri();
    const redisUrl = `redis://127.0.0.1:${redisPort}`;
    const mongoProxy = await FaultProxy.start({ host: new URL(mongoUri).hostname, port: Number(new URL(mongoUri).port || 27017) });
    const redisProxy = await FaultProxy.start({ host: '127.0.0.1', port: redisPort });
    const env = {
      NODE_ENV: 'production',
      MONGODB_URI: mongoProxy.urlThrough(mongoUri),
      REDIS_URL: redisProxy.urlThrough(redisUrl),
      QUEUE_PREFIX: `chaos${randomBytes(3).toString('hex')}`,
      CREDENTIALS_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
      CLOUD_API_BASE_URL: fake.baseUrl,
      SANDBOX_STATUS_DELAY_MS: '0',
      // The scenarios count client events at a receiver on loopback (EventCounter).
      WEBHOOK_ALLOW_PRIVATE_URLS: 'true',
      ...CHAOS_SETTINGS,
    };
    const cluster = new ChaosCluster(undefined as unknown as TestApp, fake, redisPort, apiPort, env);
    await cluster.startRedis();
    const control = await createTestApp({ worker: false, env: { ...env, MONGODB_URI: mongoUri, REDIS_URL: redisUrl } });
    Object.assign(cluster, { control, mongoProxy, redisProxy });
    return cluster;
  }

  /** The processes' QUEUE_PREFIX: Bull's keys start with it. */
  get queuePrefix(): string {
    return this.env.QUEUE_PREFIX;
  }

  get apiUrl(): string {
    return `http://127.0.0.1:${this.apiPort}`;
  }

  async tenant(): Promise<ChaosTenant> {
    const tenancy = this.control.app.get(TenancyService);
    const client = await tenancy.createClient('Chaos');
    const clientId = client._id.toHexString();
    const key = await tenancy.issueApiKey(clientId, 'chaos', Role.Owner, [], { rateLimits: { perMinute: 100_000, expensivePerMinute: 100_000 } });
    let sessions = 0;
    return {
      clientId,
      apiKey: key.key,
      session: async (perSecond) => {
        const created = await tenancy.createSession({
          clientId,
          name: `chaos ${++sessions}`,
          provider: 'cloud-api',
          rateLimitPerSecond: perSecond,
          credentials: { phone_number_id: `10000000${sessions}`, access_token: 'chaos-token', app_secret: 'chaos-secret', verify_token: 'chaos-verify' },
          // Broadcasts of free-form text to numbers that never wrote: the 24-hour window is not what this suite tests.
          enforceServiceWindow: false,
        });
        return { 'X-Session-Id': created.session_id, 'X-Access-Token': created.access_token };
      },
      broadcast: async (session, recipients, text = 'chaos') => {
        const response = await fetch(`${this.apiUrl}/broadcast`, {
          method: 'POST',
          headers: { Authorization: `Bearer ${key.key}`, 'Content-Type': 'application/json', ...session },
          body: JSON.stringify({ send_type: 'individual', to: recipients.join(','), message: { text } }),
        });
        if (response.status !== 201) throw new Error(`POST /broadcast answered ${response.status}: ${await response.text()}`);
        return ((await response.json()) as { data: { _id: string } }).data._id;
      },
    };
  }

  /** A redis-server on the cluster's port with nothing persisted: a restart brings it back empty. */
  async startRedis(): Promise<void> {
    const logFile = join(this.directory, `redis-${++this.started}.log`);
    const child = spawn('redis-server', ['--port', String(this.redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.pipe(child, logFile);
    this.redis = new ManagedProcess('redis', child, logFile);
    await this.until(async () => {
      const client = new Redis({ port: this.redisPort, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
      try {
        await client.connect();
        return (await client.ping()) === 'PONG';
      } catch {
        return false;
      } finally {
        client.disconnect();
      }
    }, 'redis-server to answer');
  }

  async flushRedis(): Promise<void> {
    const client = new Redis({ port: this.redisPort });
    await client.flushall();
    client.disconnect();
  }

  async startApi(): Promise<ManagedProcess> {
    this.api = this.spawnNode('api', 'dist/src/main.js', { PORT: String(this.apiPort) });
    await this.until(async () => {
      const response = await fetch(`${this.apiUrl}/health`).catch(() => null);
      return response !== null;
    }, 'the API to listen');
    return this.api;
  }

  async startWorker(): Promise<ManagedProcess> {
    const worker = this.spawnNode(`worker-${this.workers.length + 1}`, 'dist/src/worker.js', {});
    this.workers.push(worker);
    await this.until(async () => worker.output().includes('Worker started'), `${worker.name} to start`);
    return worker;
  }

  /** A worker with settings of its own on top of the cluster's (a test hook, a lifted restriction). */
  async startWorkerWith(extra: Record<string, string>): Promise<ManagedProcess> {
    const worker = this.spawnNode(`worker-${this.workers.length + 1}`, 'dist/src/worker.js', extra);
    this.workers.push(worker);
    await this.until(async () => worker.output().includes('Worker started'), `${worker.name} to start`);
    return worker;
  }

  runningWorkers(): ManagedProcess[] {
    return this.workers.filter((worker) => worker.running);
  }

  /** Makes sure `count` workers and the API run (after a scenario that killed some). */
  async heal(count: number): Promise<void> {
    if (!this.redis?.running) await this.startRedis();
    if (!this.api?.running) await this.startApi();
    while (this.runningWorkers().length < count) await this.startWorker();
  }

  async close(): Promise<void> {
    await Promise.all([this.api?.stop(), ...this.workers.map((worker) => worker.stop())]);
    await this.control?.close();
    await this.redis?.stop();
    await Promise.all([this.mongoProxy?.close(), this.redisProxy?.close()]);
    await this.fake.close();
    rmSync(this.directory, { recursive: true, force: true });
  }

  /** The last lines of every process's output, for a failing scenario's message. */
  tails(lines = 15): string {
    return [this.api, ...this.workers]
      .filter((process): process is ManagedProcess => Boolean(process))
      .map((process) => `--- ${process.name}\n${process.output().split('\n').slice(-lines).join('\n')}`)
      .join('\n');
  }

  private spawnNode(name: string, script: string, extra: Record<string, string>): ManagedProcess {
    const logFile = join(this.directory, `${name}-${++this.started}.log`);
    const child = spawn(process.execPath, [script], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', ...this.env, LOG_LEVEL: 'info', ...extra },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.pipe(child, logFile);
    return new ManagedProcess(name, child, logFile);
  }

  private pipe(child: ChildProcess, logFile: string): void {
    const log = createWriteStream(logFile);
    child.stdout?.pipe(log);
    child.stderr?.pipe(log);
  }

  private async until(check: () => Promise<boolean>, what: string): Promise<void> {
    const deadline = Date.now() + READY_TIMEOUT_MS;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}\n${this.tails()}`);
      await sleep(100);
    }
  }
}
