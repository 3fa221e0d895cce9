/**
 * Uploads a generated 100 MB plain-text document to a real API process and reports how
 * much that process's resident memory grew (target: under 50 MB, i.e. the upload is
 * streamed to storage, never held whole). Run by hand; see bench/README.md.
 *
 *   MONGODB_URI=mongodb://127.0.0.1:27017/bench npx ts-node --transpile-only -r tsconfig-paths/register bench/attachment-upload.ts
 *
 * Environment: MONGODB_URI (required), REDIS_URL (else a redis-server is started),
 * BENCH_FILE_MB (default 100), ATTACHMENT_STORAGE (local | gridfs, default local).
 */
import { fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { request } from 'node:http';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { finished } from 'node:stream/promises';
import { RedisServerProcess } from '../src/local/redis-server-process';
import type { UploadApiReady } from './support/upload-api';

const MB = 1024 * 1024;
const SAMPLE_EVERY_MS = 20;
const TARGET_GROWTH_MB = 50;

function rssOf(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /^VmRSS:\s+(\d+) kB$/m.exec(status);
  if (!match) throw new Error(`No VmRSS for process ${pid}`);
  return Number(match[1]) * 1024;
}

async function writeTextFile(path: string, bytes: number): Promise<void> {
  const line = Buffer.from('The quick brown fox jumps over the lazy dog; WhatsApp attachment bench line.\n');
  const block = Buffer.concat(Array.from({ length: Math.ceil(MB / line.length) }, () => line)).subarray(0, MB);
  const out = createWriteStream(path);
  for (let written = 0; written < bytes; written += block.length) {
    if (!out.write(block.subarray(0, Math.min(block.length, bytes - written)))) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
  }
  out.end();
  await finished(out);
}

/** Streams the file from disk in a multipart body; resolves with the status and body. */
function upload(port: number, apiKey: string, path: string): Promise<{ status: number; body: string }> {
  const boundary = `bench${randomBytes(8).toString('hex')}`;
  const head = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="bench.txt"\r\nContent-Type: text/plain\r\n\r\n`);
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: '/attachment',
        headers: {
          Authorization: `Bearer ${apiKey}`,
          'Content-Type': `multipart/form-data; boundary=${boundary}`,
          'Content-Length': head.length + statSync(path).size + tail.length,
        },
      },
      (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (body += chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    req.write(head);
    const file = createReadStream(path);
    file.on('error', reject);
    file.on('end', () => req.end(tail));
    file.pipe(req, { end: false });
  });
}

/** Deletes the uploaded attachment, so that a GridFS run does not leave 100 MB behind. */
function remove(port: number, apiKey: string, id: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method: 'DELETE', path: `/attachment/${id}`, headers: { Authorization: `Bearer ${apiKey}` } }, (response) => {
      response.resume();
      response.on('end', () => resolve());
    });
    req.on('error', reject);
    req.end();
  });
}

async function main(): Promise<void> {
  if (!process.env.MONGODB_URI) throw new Error('Set MONGODB_URI (for example mongodb://127.0.0.1:27017/bench)');
  const fileBytes = Number(process.env.BENCH_FILE_MB ?? 100) * MB;
  const workDir = mkdtempSync(join(tmpdir(), 'wa-bench-'));
  const redis = process.env.REDIS_URL ? null : await RedisServerProcess.start();
  try {
    const source = join(workDir, 'bench.txt');
    await writeTextFile(source, fileBytes);

    const api = fork(join(__dirname, 'support', 'upload-api.ts'), [], {
      execArgv: ['--expose-gc', '-r', 'ts-node/register/transpile-only', '-r', 'tsconfig-paths/register'],
      env: {
        ...process.env,
        NODE_ENV: 'production',
        REDIS_URL: redis?.url ?? process.env.REDIS_URL,
        CREDENTIALS_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
        QUEUE_PREFIX: `bench${randomBytes(3).toString('hex')}`,
        ATTACHMENTS_DIR: join(workDir, 'attachments'),
        LOG_LEVEL: 'warn',
      },
    });
    const ready = await new Promise<UploadApiReady>((resolve, reject) => {
      api.once('message', (message) => resolve(message as UploadApiReady));
      api.once('exit', (code) => reject(new Error(`API exited with code ${code}`)));
    });
    const pid = api.pid as number;

    // Baseline: after start-up has settled and a full collection.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    api.send('gc');
    await new Promise((resolve) => setTimeout(resolve, 500));
    const baseline = rssOf(pid);

    let peak = baseline;
    const sampler = setInterval(() => (peak = Math.max(peak, rssOf(pid))), SAMPLE_EVERY_MS);
    const started = process.hrtime.bigint();
    const result = await upload(ready.port, ready.apiKey, source);
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    clearInterval(sampler);
    peak = Math.max(peak, rssOf(pid));

    const record = (JSON.parse(result.body) as { data?: { _id?: string; size?: number } }).data;
    if (record?._id) await remove(ready.port, ready.apiKey, record._id);
    api.send('stop');
    await new Promise((resolve) => api.once('exit', resolve));

    const growthMb = (peak - baseline) / MB;
    const report = {
      machine: `${cpus().length} cores (${cpus()[0]?.model ?? 'unknown'}), ${Math.round(totalmem() / 1024 ** 3)} GiB, Node ${process.version}`,
      storage: process.env.ATTACHMENT_STORAGE ?? 'local',
      fileMb: fileBytes / MB,
      status: result.status,
      storedSize: record?.size ?? null,
      seconds: Number(seconds.toFixed(2)),
      throughputMbPerS: Number((fileBytes / MB / seconds).toFixed(1)),
      baselineRssMb: Number((baseline / MB).toFixed(1)),
      peakRssMb: Number((peak / MB).toFixed(1)),
      peakGrowthMb: Number(growthMb.toFixed(1)),
      targetMb: TARGET_GROWTH_MB,
      verdict: result.status === 201 && record?.size === fileBytes && growthMb < TARGET_GROWTH_MB ? 'PASS' : 'FAIL',
    };
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    if (report.verdict !== 'PASS') process.exitCode = 1;
  } finally {
    await redis?.stop();
    rmSync(workDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
