/**
 * Uploads a generated 100,000-row CSV recipient list (number plus two variables) to
 * POST /broadcast/csv on a real API process and reports how much that process's resident
 * memory grew; the target is the attachment upload's (under 50 MB). The broadcast is
 * scheduled an hour ahead and deleted afterwards, so nothing is sent. Run by hand; see bench/README.md.
 *
 *   MONGODB_URI=mongodb://127.0.0.1:27017/bench npx ts-node --transpile-only -r tsconfig-paths/register bench/broadcast-csv.ts
 *
 * Environment: MONGODB_URI (required), REDIS_URL (else a redis-server is started), BENCH_ROWS (default 100000).
 */
import { call, CsvBenchOptions, multipart, recipientList, runCsvBench } from './support/csv-upload';
import { machineDescription, MB, measurePeakGrowth, startUploadApi, stopUploadApi, TARGET_GROWTH_MB } from './support/upload-api-process';

/** What one measured upload gave. */
interface CsvUploadReport {
  machine: string;
  rows: number;
  fileMb: number;
  status: number;
  pending: number | null;
  seconds: number;
  baselineRssMb: number;
  peakRssMb: number;
  peakGrowthMb: number;
  targetMb: number;
  verdict: 'PASS' | 'FAIL';
}

/**
 * Starts the API in a child process (MongoDB at `mongoUri`, Redis at `redisUrl`), uploads a
 * `rows`-row list and reports the peak growth of the child's resident memory over its baseline.
 */
async function measureCsvUpload(options: CsvBenchOptions): Promise<CsvUploadReport> {
  const { rows } = options;
  const csv = recipientList(rows);
  const api = await startUploadApi({ MONGODB_URI: options.mongoUri, REDIS_URL: options.redisUrl });
  try {
    const body = multipart(csv, {
      message: JSON.stringify({ text: 'Hello {{name}}, order {{order}} is ready' }),
      send_at: new Date(Date.now() + 3_600_000).toISOString(),
    });
    const { result, ...memory } = await measurePeakGrowth(api, () => call(api.ready, 'POST', '/broadcast/csv', body));
    const created = (JSON.parse(result.body) as { data?: { _id?: string; counts?: { pending: number } } }).data;
    if (created?._id) await call(api.ready, 'DELETE', `/broadcast/${created._id}`);
    return {
      machine: machineDescription(),
      rows,
      fileMb: Number((csv.length / MB).toFixed(1)),
      status: result.status,
      pending: created?.counts?.pending ?? null,
      ...memory,
      targetMb: TARGET_GROWTH_MB,
      verdict: result.status === 201 && created?.counts?.pending === rows && memory.peakGrowthMb < TARGET_GROWTH_MB ? 'PASS' : 'FAIL',
    };
  } finally {
    await stopUploadApi(api);
  }
}

if (require.main === module) runCsvBench(measureCsvUpload);
