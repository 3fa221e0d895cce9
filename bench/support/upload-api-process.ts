/**
 * The upload benches' harness: the real API (support/upload-api.ts) in a child process, and the
 * peak growth of its resident memory while a request runs, over a baseline taken after start-up
 * has settled and a full collection.
 */
import { ChildProcess, fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import type { UploadApiReady } from './upload-api';

export const MB = 1024 * 1024;
/** The memory bound of an upload: what a request may add to the API's resident memory. */
export const TARGET_GROWTH_MB = 50;
const SAMPLE_EVERY_MS = 20;

export interface UploadApi {
  process: ChildProcess;
  ready: UploadApiReady;
}

export interface PeakGrowth<T> {
  result: T;
  seconds: number;
  baselineRssMb: number;
  peakRssMb: number;
  peakGrowthMb: number;
}

/** Starts the API with these variables (on top of this process's and a fresh key and queue prefix). */
export async function startUploadApi(env: NodeJS.ProcessEnv): Promise<UploadApi> {
  // BENCH_API_COMPILED=<outDir of `npx tsc -p tsconfig.json --outDir <outDir>`>: the API as it is deployed, compiled
  // JavaScript, without ts-node and the TypeScript compiler in its heap (they make its idle heap several times larger).
  const compiled = process.env.BENCH_API_COMPILED ? resolve(process.env.BENCH_API_COMPILED) : null;
  const loaders = compiled ? ['-r', 'tsconfig-paths/register'] : ['-r', 'ts-node/register/transpile-only', '-r', 'tsconfig-paths/register'];
  const child = fork(compiled ? join(compiled, 'bench', 'support', 'upload-api.js') : join(__dirname, 'upload-api.ts'), [], {
    // BENCH_API_NODE_ARGS: extra Node flags for the API (--trace-gc, --max-semi-space-size=...), to see where its memory goes.
    execArgv: ['--expose-gc', ...(process.env.BENCH_API_NODE_ARGS?.split(' ').filter(Boolean) ?? []), ...loaders],
    env: {
      ...process.env,
      // tsconfig-paths resolves @app/* under the compiled tree.
      ...(compiled ? { TS_NODE_BASEURL: compiled } : {}),
      NODE_ENV: 'production',
      CREDENTIALS_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
      QUEUE_PREFIX: `bench${randomBytes(3).toString('hex')}`,
      LOG_LEVEL: 'warn',
      ...env,
    },
  });
  const ready = await new Promise<UploadApiReady>((resolve, reject) => {
    child.once('message', (message) => resolve(message as UploadApiReady));
    child.once('exit', (code) => reject(new Error(`API exited with code ${code}`)));
  });
  return { process: child, ready };
}

/** Runs `work` and answers how far the API's resident memory rose above its settled baseline meanwhile. */
export async function measurePeakGrowth<T>(api: UploadApi, work: () => Promise<T>): Promise<PeakGrowth<T>> {
  const pid = api.process.pid as number;
  await new Promise((resolve) => setTimeout(resolve, 1000));
  api.process.send('gc');
  await new Promise((resolve) => setTimeout(resolve, 500));
  const baseline = rssOf(pid);
  let peak = baseline;
  const sampler = setInterval(() => (peak = Math.max(peak, rssOf(pid))), SAMPLE_EVERY_MS);
  const started = process.hrtime.bigint();
  const result = await work().finally(() => clearInterval(sampler));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  peak = Math.max(peak, rssOf(pid));
  return {
    result,
    seconds: Number(seconds.toFixed(2)),
    baselineRssMb: Number((baseline / MB).toFixed(1)),
    peakRssMb: Number((peak / MB).toFixed(1)),
    peakGrowthMb: Number(((peak - baseline) / MB).toFixed(1)),
  };
}

/** The API's JavaScript heap in use after a full collection (bytes): what it holds, not what it has yet to collect. */
export async function heapUsedAfterGc(api: UploadApi): Promise<number> {
  const answer = new Promise<number>((resolve) => {
    const listener = (message: unknown) => {
      if (typeof message !== 'object' || message === null || !('heapUsed' in message)) return;
      api.process.off('message', listener);
      resolve(Number(message.heapUsed));
    };
    api.process.on('message', listener);
  });
  api.process.send('heap');
  return answer;
}

/** Stops the API (gracefully while it still listens to us) and waits for it to exit. */
export async function stopUploadApi(api: UploadApi): Promise<void> {
  const child = api.process;
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  if (child.connected) child.send('stop');
  else child.kill();
  await exited;
}

/** The machine a result was measured on, for the results tables. */
export function machineDescription(): string {
  return `${cpus().length} cores (${cpus()[0]?.model ?? 'unknown'}), ${Math.round(totalmem() / 1024 ** 3)} GiB, Node ${process.version}`;
}

function rssOf(pid: number): number {
  const match = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!match) throw new Error(`No VmRSS for process ${pid}`);
  return Number(match[1]) * 1024;
}
