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
import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { finished } from 'node:stream/promises';
import { RedisServerProcess } from '../src/local/redis-server-process';
import { machineDescription, MB, measurePeakGrowth, startUploadApi, stopUploadApi, TARGET_GROWTH_MB } from './support/upload-api-process';

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

    const api = await startUploadApi({ REDIS_URL: redis?.url ?? process.env.REDIS_URL, ATTACHMENTS_DIR: join(workDir, 'attachments') });
    let report;
    try {
      const { result, ...memory } = await measurePeakGrowth(api, () => upload(api.ready.port, api.ready.apiKey, source));
      const record = (JSON.parse(result.body) as { data?: { _id?: string; size?: number } }).data;
      if (record?._id) await remove(api.ready.port, api.ready.apiKey, record._id);
      report = {
        machine: machineDescription(),
        storage: process.env.ATTACHMENT_STORAGE ?? 'local',
        fileMb: fileBytes / MB,
        status: result.status,
        storedSize: record?.size ?? null,
        ...memory,
        throughputMbPerS: Number((fileBytes / MB / memory.seconds).toFixed(1)),
        targetMb: TARGET_GROWTH_MB,
        verdict: result.status === 201 && record?.size === fileBytes && memory.peakGrowthMb < TARGET_GROWTH_MB ? 'PASS' : 'FAIL',
      };
    } finally {
      await stopUploadApi(api);
    }
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
