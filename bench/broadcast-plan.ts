/**
 * The delivery plan of a generated 100,000-row CSV recipient list: uploads it to
 * POST /broadcast/csv/plan on a real API process (nothing is written) and reports how long the
 * plan took and how much that process's resident memory grew. Targets: under 3 s and 50 MB.
 * Run by hand; see bench/README.md.
 *
 *   MONGODB_URI=mongodb://127.0.0.1:27017/bench npx ts-node --transpile-only -r tsconfig-paths/register bench/broadcast-plan.ts
 *
 * Environment: MONGODB_URI (required), REDIS_URL (else a redis-server is started), BENCH_ROWS (default 100000).
 */
import { call, CsvBenchOptions, multipart, recipientList, runCsvBench } from './support/csv-upload';
import { machineDescription, MB, measurePeakGrowth, startUploadApi, stopUploadApi, TARGET_GROWTH_MB } from './support/upload-api-process';

/** A plan must be made within this long. */
const TARGET_SECONDS = 3;

/** What one measured plan gave. */
interface PlanReport {
  machine: string;
  rows: number;
  fileMb: number;
  status: number;
  willSend: number | null;
  seconds: number;
  baselineRssMb: number;
  peakRssMb: number;
  peakGrowthMb: number;
  targetMb: number;
  targetSeconds: number;
  verdict: 'PASS' | 'FAIL';
}

/**
 * Starts the API in a child process (MongoDB at `mongoUri`, Redis at `redisUrl`), asks for the plan
 * of a `rows`-row list and reports its time and the peak growth of the child's resident memory.
 */
async function measurePlan(options: CsvBenchOptions): Promise<PlanReport> {
  const { rows } = options;
  const csv = recipientList(rows);
  const api = await startUploadApi({ MONGODB_URI: options.mongoUri, REDIS_URL: options.redisUrl });
  try {
    const body = multipart(csv, { message: JSON.stringify({ text: 'Hello {{name}}, order {{order}} is ready' }) });
    const { result, ...memory } = await measurePeakGrowth(api, () => call(api.ready, 'POST', '/broadcast/csv/plan', body));
    const plan = (JSON.parse(result.body) as { data?: { will_send?: number } }).data;
    return {
      machine: machineDescription(),
      rows,
      fileMb: Number((csv.length / MB).toFixed(1)),
      status: result.status,
      willSend: plan?.will_send ?? null,
      ...memory,
      targetMb: TARGET_GROWTH_MB,
      targetSeconds: TARGET_SECONDS,
      verdict: result.status === 200 && plan?.will_send === rows && memory.peakGrowthMb < TARGET_GROWTH_MB && memory.seconds < TARGET_SECONDS ? 'PASS' : 'FAIL',
    };
  } finally {
    await stopUploadApi(api);
  }
}

if (require.main === module) runCsvBench(measurePlan);
