/**
 * A broadcast of 100,000 recipients with its 100,000 ledger entries (written straight into
 * MongoDB: sent, delivered, read, replied, failed, priced, over 20 minutes), then, against a real
 * API process: how long GET /broadcast/:id/report takes (first call and the median of the next
 * five), and how much the API's resident memory grows while it streams GET
 * /broadcast/:id/recipients.csv, three times in a row (target: under 30 MB for an export; the first
 * in a fresh process also sizes V8's heap, which stays for later work). Run by hand; see bench/README.md.
 *
 *   MONGODB_URI=mongodb://127.0.0.1:27017/bench_report npx ts-node --transpile-only -r tsconfig-paths/register bench/broadcast-report.ts
 *
 * Environment: MONGODB_URI (required; a throwaway database, dropped at the end), REDIS_URL (else a
 * redis-server is started), BENCH_ROWS (default 100000).
 */
import { request } from 'node:http';
import { MongoClient, ObjectId } from 'mongodb';
import { RedisServerProcess } from '../src/local/redis-server-process';
import { broadcastRecipientMessageUid } from '../src/message-log/message-log.repository';
import type { UploadApiReady } from './support/upload-api';
import { machineDescription, measurePeakGrowth, startUploadApi, stopUploadApi } from './support/upload-api-process';

const EXPORT_TARGET_MB = 30;
const REPORT_TARGET_MS = 1000;
const SPREAD_MS = 20 * 60_000;
// Small batches keep the server answering the API process meanwhile (the in-memory stand-in stalls on big ones).
const INSERT_BATCH = 1000;
/** Exports in a row: the first grows a fresh process's heap to its working size, the next ones show what an export itself takes. */
const EXPORT_RUNS = 3;

function get(ready: UploadApiReady, path: string): Promise<{ status: number; body: string; lines: number }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: ready.port, path, headers: { Authorization: `Bearer ${ready.apiKey}` } }, (response) => {
      // The export is counted as it arrives, not kept: the bench measures the API, not itself.
      const keep = !path.endsWith('.csv');
      let body = '';
      let lines = 0;
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        if (keep) body += chunk;
        for (let index = chunk.indexOf('\n'); index >= 0; index = chunk.indexOf('\n', index + 1)) lines += 1;
      });
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body, lines }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Recipient `index`'s fate: 1% failed, the others sent; of those 85% delivered, 60% read, 5% replied. */
function ledgerEntry(index: number, recipient: string, ids: { client: ObjectId; session: ObjectId; broadcast: ObjectId }, start: number): Record<string, unknown> {
  const sentAt = new Date(start + Math.floor((index / 100_000) * SPREAD_MS));
  const failed = index % 100 === 99;
  const delivered = !failed && index % 20 < 17;
  const read = delivered && index % 5 < 3;
  const at = (seconds: number) => new Date(sentAt.getTime() + seconds * 1000);
  return {
    _id: new ObjectId(),
    client_id: ids.client,
    session_id: ids.session,
    source: 'broadcast',
    direction: 'outbound',
    broadcast_id: ids.broadcast,
    recipient,
    contact: { contact_id: null, name: `Customer ${index}`, phone: recipient },
    message: { text: 'Bench sale', attachments: [], location: null, contactId: null, template: null },
    template_name: null,
    message_uid: broadcastRecipientMessageUid(ids.broadcast.toHexString(), recipient),
    status: failed ? 'failed' : read ? 'read' : delivered ? 'delivered' : 'sent',
    status_times: {
      queuedAt: null,
      sendingAt: sentAt,
      sentAt: failed ? null : sentAt,
      deliveredAt: delivered ? at(3) : null,
      readAt: read ? at(40) : null,
      failedAt: failed ? sentAt : null,
    },
    provider_message_ids: failed ? [] : [`wamid.bench.${index}`],
    error: failed ? { code: '131026', message: 'Message undeliverable' } : null,
    cost_in_usd_cents: delivered ? 1 : 0,
    attempts: 1,
    inbound: null,
    claim: null,
    ...(read && index % 20 === 0 ? { replied_at: at(90) } : {}),
    createdAt: sentAt,
    updatedAt: sentAt,
    __v: 0,
  };
}

async function seed(mongoUri: string, ready: UploadApiReady, rows: number): Promise<string> {
  const client = await MongoClient.connect(mongoUri);
  try {
    const db = client.db();
    const session = await db.collection('sessions').findOne({ _id: new ObjectId(ready.session.id) });
    if (!session) throw new Error('The bench session is not in MONGODB_URI');
    const ids = { client: session.client_id as ObjectId, session: session._id, broadcast: new ObjectId() };
    const recipients = Array.from({ length: rows }, (_, index) => `234803${String(1000000 + index).padStart(7, '0')}`);
    const start = Date.now() - SPREAD_MS - 60_000;
    await db.collection('broadcasts').insertOne({
      _id: ids.broadcast,
      client_id: ids.client,
      session_id: ids.session,
      send_type: 'individual',
      to: '',
      message: { text: 'Bench sale', attachments: [], location: null, contactId: null, template: null },
      status: 'completed_with_errors',
      sent: recipients.filter((_, index) => index % 100 !== 99),
      pending: [],
      failed: recipients.filter((_, index) => index % 100 === 99),
      failures: [],
      finished_at: new Date(),
      activated_at: new Date(start),
      createdAt: new Date(start),
      updatedAt: new Date(),
      __v: 0,
    });
    for (let from = 0; from < rows; from += INSERT_BATCH) {
      await db.collection('message_logs').insertMany(recipients.slice(from, from + INSERT_BATCH).map((recipient, offset) => ledgerEntry(from + offset, recipient, ids, start)));
    }
    return ids.broadcast.toHexString();
  } finally {
    await client.close();
  }
}

async function main(): Promise<void> {
  const mongoUri = process.env.MONGODB_URI;
  if (!mongoUri) throw new Error('Set MONGODB_URI (for example mongodb://127.0.0.1:27017/bench_report)');
  const rows = Number(process.env.BENCH_ROWS ?? 100_000);
  const redis = process.env.REDIS_URL ? null : await RedisServerProcess.start();
  const api = await startUploadApi({ MONGODB_URI: mongoUri, REDIS_URL: redis?.url ?? process.env.REDIS_URL });
  try {
    const id = await seed(mongoUri, api.ready, rows);
    const timed = async () => {
      const started = process.hrtime.bigint();
      const answer = await get(api.ready, `/broadcast/${id}/report`);
      if (answer.status !== 200) throw new Error(`The report answered ${answer.status}: ${answer.body.slice(0, 300)}`);
      return { ms: Number(process.hrtime.bigint() - started) / 1e6, report: (JSON.parse(answer.body) as { data: Record<string, unknown> }).data };
    };
    const first = await timed();
    const next: number[] = [];
    for (let run = 0; run < 5; run++) next.push((await timed()).ms);
    const median = [...next].sort((a, b) => a - b)[2];
    const exports = [];
    for (let run = 0; run < EXPORT_RUNS; run++) {
      const { result, ...memory } = await measurePeakGrowth(api, () => get(api.ready, `/broadcast/${id}/recipients.csv`));
      exports.push({ status: result.status, lines: result.lines, ...memory });
    }
    const complete = exports.every((one) => one.status === 200 && one.lines === rows + 1);
    // The first export of a fresh process also grows V8's heap to its working size, which the process keeps (any
    // other work gets it there too): the target is held by the exports after it, each measured from its own baseline,
    // so that memory building up from one export to the next would still show.
    const largestGrowthMb = Math.max(...exports.slice(1).map((one) => one.peakGrowthMb));
    const { series, failures, ...figures } = first.report;
    const report = {
      machine: machineDescription(),
      rows,
      report: { firstMs: Math.round(first.ms), medianOfNextFiveMs: Math.round(median), targetMs: REPORT_TARGET_MS, figures, failures, seriesPoints: (series as unknown[]).length },
      exports,
      exportTargetMb: EXPORT_TARGET_MB,
      verdict: median < REPORT_TARGET_MS && complete && largestGrowthMb < EXPORT_TARGET_MB ? 'PASS' : 'FAIL',
    };
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    if (report.verdict !== 'PASS') process.exitCode = 1;
  } finally {
    await stopUploadApi(api);
    const client = await MongoClient.connect(mongoUri);
    await client.db().dropDatabase().catch(() => undefined);
    await client.close();
    await redis?.stop();
  }
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}
