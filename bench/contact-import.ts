/**
 * Imports a generated CSV of contacts (1,000,000 rows by default: number, name, tags, two attributes and an
 * opt-in) through POST /contacts/import on a real API process, follows the background import to its report,
 * and reports the API's peak resident-memory growth and its throughput: rows per second of wall-clock time,
 * and rows per second of the API process's own CPU time (our own work, apart from MongoDB's; the idle API's CPU rate,
 * measured for 10 s before, is subtracted). Targets: growth
 * under 100 MB, at least 5,000 rows per CPU-second. Run by hand; see bench/README.md.
 *
 *   MONGODB_URI=mongodb://127.0.0.1:27017/bench_import npx ts-node --transpile-only -r tsconfig-paths/register bench/contact-import.ts
 *
 * Environment: MONGODB_URI (required), REDIS_URL (else a redis-server is started), BENCH_ROWS (default 1000000).
 */
import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, rmSync, statSync } from 'node:fs';
import { request } from 'node:http';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { RedisServerProcess } from '../src/local/redis-server-process';
import type { UploadApiReady } from './support/upload-api';
import { heapUsedAfterGc, machineDescription, MB, measurePeakGrowth, startUploadApi, stopUploadApi } from './support/upload-api-process';
import { processCpuMs } from './support/process-cpu';

const TARGET_GROWTH_MB = 100;
const TARGET_ROWS_PER_CPU_SECOND = 5000;
const IDLE_SAMPLE_MS = 10_000;

/** Writes the CSV to a file, row by row: distinct valid Nigerian mobile numbers. */
async function writeContactsCsv(path: string, rows: number): Promise<void> {
  const out = createWriteStream(path);
  const write = async (text: string): Promise<void> => {
    if (!out.write(text)) await once(out, 'drain');
  };
  await write('number,name,tags,attr.city,attr.orders,opt_in_at,opt_in_text\n');
  let chunk = '';
  for (let index = 0; index < rows; index++) {
    chunk += `234803${String(1000000 + index).padStart(7, '0')},Customer ${index},${index % 3 === 0 ? 'vip;lagos' : 'lagos'},City ${index % 50},${index % 100},2026-11-30T09:15:00Z,Offers by WhatsApp\n`;
    if (chunk.length > 64 * 1024) {
      await write(chunk);
      chunk = '';
    }
  }
  await write(chunk);
  out.end();
  await once(out, 'finish');
}

function call(ready: UploadApiReady, method: string, path: string, file?: string): Promise<{ status: number; body: string }> {
  const boundary = `bench${randomBytes(8).toString('hex')}`;
  const head = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="contacts.csv"\r\nContent-Type: text/csv\r\n\r\n`);
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: ready.port,
        method,
        path,
        headers: {
          Authorization: `Bearer ${ready.apiKey}`,
          ...(file ? { 'Content-Type': `multipart/form-data; boundary=${boundary}`, 'Content-Length': head.length + statSync(file).size + tail.length } : {}),
        },
      },
      (response) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (text += chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body: text }));
      },
    );
    req.on('error', reject);
    if (!file) return void req.end();
    req.write(head);
    const stream = createReadStream(file);
    stream.pipe(req, { end: false });
    stream.on('end', () => req.end(tail));
  });
}

interface ImportReport {
  status: string;
  rows: number;
  created: number;
  updated: number;
  unchanged: number;
  rejected: number;
}

async function main(): Promise<void> {
  if (!process.env.MONGODB_URI) throw new Error('Set MONGODB_URI (for example mongodb://127.0.0.1:27017/bench_import)');
  const rows = Number(process.env.BENCH_ROWS ?? 1_000_000);
  const file = join(tmpdir(), `bench-contacts-${randomBytes(4).toString('hex')}.csv`);
  await writeContactsCsv(file, rows);
  const redis = process.env.REDIS_URL ? null : await RedisServerProcess.start();
  const api = await startUploadApi({ MONGODB_URI: process.env.MONGODB_URI, REDIS_URL: redis?.url ?? process.env.REDIS_URL });
  try {
    const pid = api.process.pid as number;
    // What the idle API spends anyway (timers, queue connections): subtracted, so that the figure is the import's own work.
    const idleStart = processCpuMs(pid) / 1000;
    await sleep(IDLE_SAMPLE_MS);
    const idleCpuPerSecond = (processCpuMs(pid) / 1000 - idleStart) / (IDLE_SAMPLE_MS / 1000);
    const heapBefore = await heapUsedAfterGc(api);
    const cpuBefore = processCpuMs(pid) / 1000;
    const { result, ...memory } = await measurePeakGrowth(api, async () => {
      const started = await call(api.ready, 'POST', '/contacts/import', file);
      const id = (JSON.parse(started.body) as { data?: { _id?: string } }).data?._id;
      if (!id) throw new Error(`Import refused: ${started.status} ${started.body.slice(0, 500)}`);
      for (;;) {
        await sleep(1000);
        const report = (JSON.parse((await call(api.ready, 'GET', `/contacts/imports/${id}`)).body) as { data: ImportReport }).data;
        if (report.status !== 'running') return report;
      }
    });
    const cpuSeconds = processCpuMs(pid) / 1000 - cpuBefore;
    const heapAfter = await heapUsedAfterGc(api);
    const importCpuSeconds = Math.max(0.01, cpuSeconds - idleCpuPerSecond * memory.seconds);
    const rowsPerCpuSecond = Math.round(rows / importCpuSeconds);
    const output = {
      machine: machineDescription(),
      mongodb: process.env.BENCH_MONGODB_LABEL ?? process.env.MONGODB_URI,
      rows,
      fileMb: Number((statSync(file).size / MB).toFixed(1)),
      report: result,
      ...memory,
      // What the import left on the heap once collected (the peak above is mostly garbage V8 had not collected yet).
      baselineHeapMb: Number((heapBefore / MB).toFixed(1)),
      retainedHeapGrowthMb: Number(((heapAfter - heapBefore) / MB).toFixed(1)),
      rowsPerSecond: Math.round(rows / memory.seconds),
      apiCpuSeconds: Number(cpuSeconds.toFixed(1)),
      idleApiCpuPerSecond: Number(idleCpuPerSecond.toFixed(3)),
      importCpuSeconds: Number(importCpuSeconds.toFixed(1)),
      rowsPerApiCpuSecond: rowsPerCpuSecond,
      targets: { growthMb: TARGET_GROWTH_MB, rowsPerApiCpuSecond: TARGET_ROWS_PER_CPU_SECOND },
      verdict:
        result.status === 'completed' && result.created + result.updated + result.unchanged === rows && memory.peakGrowthMb < TARGET_GROWTH_MB && rowsPerCpuSecond >= TARGET_ROWS_PER_CPU_SECOND
          ? 'PASS'
          : 'FAIL',
    };
    process.stdout.write(`${JSON.stringify(output, null, 2)}\n`);
    if (output.verdict !== 'PASS') process.exitCode = 1;
  } finally {
    await stopUploadApi(api);
    await redis?.stop();
    rmSync(file, { force: true });
  }
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}
