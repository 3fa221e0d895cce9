/**
 * Capacity: how many workers, Redis masters and MongoDB shards a send rate needs, from the latest
 * measured costs (bench/results/broadcast-drain.json, written by `npm run bench:drain`) and the
 * assumptions of docs/capacity.md, each of which a flag overrides.
 *
 *   npm run capacity -- --rate 5000
 *   npm run capacity -- --rate 5000 --scenario "reports off, 1 worker" --retention-days 90 --json
 */
import { Command, InvalidArgumentError } from 'commander';
import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { Assumptions, DEFAULT_ASSUMPTIONS, MeasuredCost, size, Sizing } from './support/capacity-model';

const DEFAULT_RESULTS = join(__dirname, 'results', 'broadcast-drain.json');
const DEFAULT_SCENARIO = 'reports on, 1 worker';

interface DrainResults {
  date?: string;
  machine?: { cpus?: number; model?: string; node?: string };
  rows: Array<Partial<MeasuredCost> & { scenario: string; recipients?: number }>;
}

const positive = (name: string) => (text: string): number => {
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0) throw new InvalidArgumentError(`${name} must be a number above 0`);
  return value;
};
const fraction = (text: string): number => {
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0 || value > 1) throw new InvalidArgumentError('must be above 0 and at most 1');
  return value;
};

const REQUIRED: Array<keyof MeasuredCost> = [
  'workerCpuMsPerRecipient',
  'redisCommandsPerRecipient',
  'mongoCommandsPerRecipient',
  'mongoDocumentWritesPerRecipient',
  'bytesPerMessageLog',
  'bytesPerWhatsappLog',
  'whatsappLogsPerMessage',
];

function measuredCost(results: DrainResults, scenario: string, file: string): MeasuredCost {
  const row = results.rows.find((candidate) => candidate.scenario === scenario);
  if (!row) throw new Error(`${file} has no "${scenario}" row; it has: ${results.rows.map((candidate) => `"${candidate.scenario}"`).join(', ')}`);
  const missing = REQUIRED.filter((field) => typeof row[field] !== 'number');
  if (missing.length > 0) throw new Error(`${file}, row "${scenario}", lacks ${missing.join(', ')}: run npm run bench:drain again`);
  return row as MeasuredCost;
}

const bytes = (value: number): string => {
  const units = ['B', 'KB', 'MB', 'GB', 'TB', 'PB'];
  let unit = 0;
  let scaled = value;
  while (scaled >= 1000 && unit < units.length - 1) {
    scaled /= 1000;
    unit++;
  }
  return `${scaled.toFixed(scaled < 10 ? 1 : 0)} ${units[unit]}`;
};
const count = (value: number): string => value.toLocaleString('en-US');

function print(sizing: Sizing, cost: MeasuredCost, assumptions: Assumptions, results: DrainResults, file: string): void {
  const machine = results.machine ? `${results.machine.cpus} × ${results.machine.model}, Node ${results.machine.node}` : 'unknown machine';
  const lines = [
    `Sizing for ${count(assumptions.rate)} messages/s`,
    `  measured: "${cost.scenario}" in ${relative(process.cwd(), file)} (${results.date ?? 'undated'}, ${machine})`,
    `    per recipient: ${cost.workerCpuMsPerRecipient} worker CPU ms, ${cost.redisCommandsPerRecipient} Redis commands, ` +
      `${cost.mongoCommandsPerRecipient} MongoDB commands (${cost.mongoDocumentWritesPerRecipient} document writes), ` +
      `${cost.bytesPerMessageLog} B message log + ${cost.whatsappLogsPerMessage} × ${cost.bytesPerWhatsappLog} B WhatsApp log`,
    '',
    `  workers (npm run start:worker)   ${sizing.workers}   (${sizing.workerCores} cores of CPU at ${assumptions.workerUtilisation * 100}% per worker)`,
    `  Redis masters                    ${sizing.redisMasters}   (${count(sizing.redisCommandsPerSecond)} commands/s at ${count(assumptions.redisCommandsPerMaster)} per master)`,
    `  SEND_QUEUE_SHARDS                ${sizing.sendQueueShards}`,
    `  MongoDB shards                   ${sizing.mongoShards}   (${count(sizing.mongoDocumentWritesPerSecond)} document writes/s at ${count(assumptions.mongoWritesPerShard)} per shard; ` +
      `${count(sizing.mongoCommandsPerSecond)} commands/s), each a replica set of ${assumptions.replicaSetMembers}`,
    `  sessions sending at once         ${count(sizing.sendingSessions)}   (WhatsApp allows ${assumptions.sessionRate} messages/s per number)`,
    `  ledger growth                    ${bytes(sizing.storedBytesPerDay)}/day, ${bytes(sizing.storedBytesRetained)} for ${assumptions.retentionDays} days ` +
      `(indexes +${assumptions.indexOverhead * 100}%), ${bytes(sizing.storedBytesPerShardMember)} per shard member`,
    '',
    '  Assumptions and how to measure your own: docs/capacity.md',
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

function main(): void {
  const program: Command = new Command('capacity')
    .description('Workers, Redis masters and MongoDB shards for a send rate, from the latest bench:drain results')
    .requiredOption('--rate <messages-per-second>', 'messages a second to sustain', positive('--rate'))
    .option('--results <file>', 'bench:drain results (JSON)', DEFAULT_RESULTS)
    .option('--scenario <name>', 'which measured row to use', DEFAULT_SCENARIO)
    .option('--worker-utilisation <fraction>', 'planned busy share of a worker core', fraction, DEFAULT_ASSUMPTIONS.workerUtilisation)
    .option('--redis-commands-per-master <n>', 'commands/s one Redis master sustains', positive('--redis-commands-per-master'), DEFAULT_ASSUMPTIONS.redisCommandsPerMaster)
    .option('--mongo-writes-per-shard <n>', 'document writes/s one MongoDB shard sustains', positive('--mongo-writes-per-shard'), DEFAULT_ASSUMPTIONS.mongoWritesPerShard)
    .option('--session-rate <n>', 'messages/s per WhatsApp number', positive('--session-rate'), DEFAULT_ASSUMPTIONS.sessionRate)
    .option('--retention-days <n>', 'days logs are kept', positive('--retention-days'), DEFAULT_ASSUMPTIONS.retentionDays)
    .option('--index-overhead <fraction>', 'index bytes per document byte', positive('--index-overhead'), DEFAULT_ASSUMPTIONS.indexOverhead)
    .option('--replica-set-members <n>', 'members of each replica set', positive('--replica-set-members'), DEFAULT_ASSUMPTIONS.replicaSetMembers)
    .option('--json', 'print the sizing as JSON')
    .parse();
  const options = program.opts<Assumptions & { results: string; scenario: string; json?: boolean }>();
  let results: DrainResults;
  try {
    results = JSON.parse(readFileSync(options.results, 'utf8')) as DrainResults;
  } catch (error) {
    program.error(`Cannot read ${options.results} (${error instanceof Error ? error.message : String(error)}); run npm run bench:drain first`);
  }
  let cost: MeasuredCost;
  try {
    cost = measuredCost(results, options.scenario, options.results);
  } catch (error) {
    program.error(error instanceof Error ? error.message : String(error));
  }
  const assumptions: Assumptions = {
    rate: options.rate,
    workerUtilisation: options.workerUtilisation,
    redisCommandsPerMaster: options.redisCommandsPerMaster,
    mongoWritesPerShard: options.mongoWritesPerShard,
    sessionRate: options.sessionRate,
    retentionDays: options.retentionDays,
    indexOverhead: options.indexOverhead,
    replicaSetMembers: options.replicaSetMembers,
  };
  const sizing = size(cost, assumptions);
  if (options.json) process.stdout.write(`${JSON.stringify({ measured: cost, assumptions, sizing }, null, 2)}\n`);
  else print(sizing, cost, assumptions, results, options.results);
}

main();
