import { ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePort, findOnPath } from '../src/local/redis-server-process';
import { describeWithMongo, isolatedMongoUri } from './support/mongo';

/**
 * `npm run start:local` stopped the way people stop it: Ctrl-C in its terminal (SIGINT to the whole
 * foreground process group) and SIGTERM from a process manager (to npm alone, which passes it on to
 * the script, whose shell `exec`s node). Either way everything ends within the bound, with the embedded
 * Redis stopped and the state file gone, so the next CLI call does not find a dead service. The script
 * builds first when a source is newer than dist/, as it does for a user.
 */

const ROOT = resolve(__dirname, '..');
const SHUTDOWN_BOUND_MS = 3_000;
/** A build (when dist/ is stale) and start-up on a machine running many suites at once take long; stopping does not. */
const START_BOUND_MS = 240_000;
jest.setTimeout(2 * START_BOUND_MS);

/** Pids of running redis-server processes listening on `port` (redis-server titles itself `redis-server host:port`). */
function redisServersOn(port: number): string[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((pid) => {
      try {
        const command = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
        return command.includes('redis-server') && command.trimEnd().endsWith(`:${port}`);
      } catch {
        return false;
      }
    });
}

/** Whether any process of the group led by `pid` is still running. */
function groupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

interface LocalMode {
  child: ChildProcess;
  output: () => string;
}

/**
 * `npm run start:local`, leading its own process group as a shell's foreground job does; resolves once it listens.
 * Tried twice: on a machine running many suites at once, its 5 s reachability check of MongoDB can time out,
 * which is start-up's business, not this suite's.
 */
async function startLocalMode(dataDir: string): Promise<LocalMode> {
  try {
    return await startLocalModeOnce(dataDir);
  } catch (error) {
    if (!(error instanceof Error && error.message.includes('is not reachable'))) throw error;
    return startLocalModeOnce(dataDir);
  }
}

async function startLocalModeOnce(dataDir: string): Promise<LocalMode> {
  const port = await freePort();
  const child = spawn('npm', ['run', '-s', 'start:local'], {
    cwd: ROOT,
    detached: true,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? tmpdir(),
      LOCAL_DATA_DIR: dataDir,
      MONGODB_URI: isolatedMongoUri(),
      PORT: String(port),
      LOG_LEVEL: 'warn',
    },
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  await new Promise<void>((ready, fail) => {
    const timer = setTimeout(() => fail(new Error(`local mode did not start within ${START_BOUND_MS} ms:\n${output}`)), START_BOUND_MS);
    child.stdout?.on('data', () => {
      if (!output.includes('API and worker running at')) return;
      clearTimeout(timer);
      ready();
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      fail(new Error(`local mode exited with code ${code} before it started:\n${output}`));
    });
  });
  return { child, output: () => output };
}

/** Milliseconds from now until the whole process group has ended (or the bound, doubled, has passed). */
async function groupEndsWithin(pid: number): Promise<number> {
  const started = Date.now();
  while (groupAlive(pid) && Date.now() - started < 2 * SHUTDOWN_BOUND_MS) await new Promise((tick) => setTimeout(tick, 25));
  return Date.now() - started;
}

const redisServerMissing = !findOnPath('redis-server') ? 'no redis-server on PATH' : !existsSync('/proc') ? 'no /proc to find its processes' : undefined;
if (redisServerMissing) process.stdout.write(`\nLocal-mode shutdown suite skipped: ${redisServerMissing}\n`);

(redisServerMissing ? describe.skip : describeWithMongo)('Stopping `npm run start:local` (embedded Redis)', () => {
  let dataDir: string;
  let running: LocalMode | undefined;
  let redisPort = 0;

  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'wa-stop-'));
  });
  afterEach(() => {
    if (running?.child.pid && groupAlive(running.child.pid)) process.kill(-running.child.pid, 'SIGKILL');
    for (const pid of redisPort ? redisServersOn(redisPort) : []) process.kill(Number(pid), 'SIGKILL');
    running = undefined;
    rmSync(dataDir, { recursive: true, force: true });
  });

  it.each([
    ['Ctrl-C in a terminal: SIGINT to the whole process group', 'SIGINT', true],
    ['a process manager: SIGTERM to npm alone', 'SIGTERM', false],
  ] as const)('%s: ends within 3 s, its Redis stopped and its state file removed', async (_how, signal, wholeGroup) => {
    running = await startLocalMode(dataDir);
    const pid = running.child.pid!;
    const services = JSON.parse(readFileSync(join(dataDir, 'local-services.json'), 'utf8')) as { REDIS_URL: string };
    redisPort = Number(new URL(services.REDIS_URL).port);
    expect(redisServersOn(redisPort)).toHaveLength(1);

    const exitCode = new Promise<number | string | null>((exited) => running?.child.once('exit', (code, killedBy) => exited(code ?? killedBy)));
    process.kill(wholeGroup ? -pid : pid, signal);
    const elapsedMs = await groupEndsWithin(pid);

    expect(elapsedMs).toBeLessThan(SHUTDOWN_BOUND_MS);
    expect(await exitCode).toBe(0);
    expect(redisServersOn(redisPort)).toEqual([]);
    expect(existsSync(join(dataDir, 'local-services.json'))).toBe(false);
    // The drain ran against a live Redis: nothing complained that it was gone.
    expect(running.output()).not.toMatch(/unreachable|Still running/);
  });

  it("a reload of `nest start --watch`: the process tree killed, Redis first, ends within 3 s all the same", async () => {
    running = await startLocalMode(dataDir);
    const services = JSON.parse(readFileSync(join(dataDir, 'local-services.json'), 'utf8')) as { REDIS_URL: string };
    redisPort = Number(new URL(services.REDIS_URL).port);
    const [redisPid] = redisServersOn(redisPort).map(Number);
    // Field 4 of /proc/<pid>/stat is the parent: the node process that started Redis.
    const nodePid = Number(readFileSync(`/proc/${redisPid}/stat`, 'utf8').split(') ')[1].split(' ')[1]);
    const exitCode = new Promise<number | string | null>((exited) => running?.child.once('exit', (code, killedBy) => exited(code ?? killedBy)));

    process.kill(redisPid, 'SIGTERM');
    process.kill(nodePid, 'SIGTERM');
    const elapsedMs = await groupEndsWithin(running.child.pid!);

    expect(elapsedMs).toBeLessThan(SHUTDOWN_BOUND_MS);
    expect(await exitCode).toBe(0);
    expect(existsSync(join(dataDir, 'local-services.json'))).toBe(false);
    expect(running.output()).not.toMatch(/Still running/);
  });
});
