/**
 * The CSV recipient-list benches' client side (broadcast-csv.ts, broadcast-plan.ts): a generated
 * list, a multipart body holding it, and one call to the API started by upload-api-process.ts.
 */
import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { RedisServerProcess } from '../../src/local/redis-server-process';
import type { UploadApiReady } from './upload-api';

/** `rows` distinct Nigerian numbers with a name and an order number each. */
export function recipientList(rows: number): Buffer {
  const lines = ['number,name,order'];
  for (let index = 0; index < rows; index++) lines.push(`234803${String(1000000 + index).padStart(7, '0')},Customer ${index},${100000 + index}`);
  return Buffer.from(`${lines.join('\n')}\n`);
}

/** One request to the API as its bench client (API key and session headers), answering the status and body. */
export function call(ready: UploadApiReady, method: string, path: string, body?: { boundary: string; parts: Buffer }): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: ready.port,
        method,
        path,
        headers: {
          Authorization: `Bearer ${ready.apiKey}`,
          'X-Session-Id': ready.session.id,
          'X-Access-Token': ready.session.accessToken,
          ...(body ? { 'Content-Type': `multipart/form-data; boundary=${body.boundary}`, 'Content-Length': body.parts.length } : {}),
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
    req.end(body?.parts);
  });
}

/** A multipart body holding the CSV as `file` and the given fields. */
export function multipart(csv: Buffer, fields: Record<string, string>): { boundary: string; parts: Buffer } {
  const boundary = `bench${randomBytes(8).toString('hex')}`;
  const texts = Object.entries(fields).map(([name, value]) => `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`);
  const fileHead = `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="recipients.csv"\r\nContent-Type: text/csv\r\n\r\n`;
  return { boundary, parts: Buffer.concat([Buffer.from(texts.join('') + fileHead), csv, Buffer.from(`\r\n--${boundary}--\r\n`)]) };
}

/** What a CSV bench measures: the rows asked for, against MONGODB_URI and a Redis. */
export interface CsvBenchOptions {
  rows: number;
  mongoUri: string;
  redisUrl: string;
}

/**
 * Runs a CSV bench from the command line: MONGODB_URI (required), BENCH_ROWS (default 100,000),
 * REDIS_URL (else a redis-server of its own); prints the report as JSON and exits 1 unless its verdict is PASS.
 */
export function runCsvBench(measure: (options: CsvBenchOptions) => Promise<{ verdict: string }>): void {
  const main = async (): Promise<void> => {
    if (!process.env.MONGODB_URI) throw new Error('Set MONGODB_URI (for example mongodb://127.0.0.1:27017/bench)');
    const rows = Number(process.env.BENCH_ROWS ?? 100_000);
    const redis = process.env.REDIS_URL ? null : await RedisServerProcess.start();
    try {
      const report = await measure({ rows, mongoUri: process.env.MONGODB_URI, redisUrl: redis?.url ?? (process.env.REDIS_URL as string) });
      process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      if (report.verdict !== 'PASS') process.exitCode = 1;
    } finally {
      await redis?.stop();
    }
  };
  main().catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}
