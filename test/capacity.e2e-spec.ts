import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { DEFAULT_ASSUMPTIONS, MeasuredCost, size } from '../bench/support/capacity-model';

const run = promisify(execFile);

const COST: MeasuredCost = {
  scenario: 'reports on, 1 worker',
  workerCpuMsPerRecipient: 2,
  redisCommandsPerRecipient: 25,
  mongoCommandsPerRecipient: 3,
  mongoDocumentWritesPerRecipient: 8,
  bytesPerMessageLog: 600,
  bytesPerWhatsappLog: 500,
  whatsappLogsPerMessage: 1,
};

describe('Capacity model and `npm run capacity` (bench/capacity.ts)', () => {
  let directory: string;
  beforeAll(() => {
    directory = mkdtempSync(join(tmpdir(), 'wa-capacity-'));
  });
  afterAll(() => rmSync(directory, { recursive: true, force: true }));

  it('sizes workers, Redis masters, queues, MongoDB shards, sessions and storage from the cost of a recipient', () => {
    const sizing = size(COST, { ...DEFAULT_ASSUMPTIONS, rate: 5000 });
    // 5,000/s × 2 ms = 10 cores of CPU; at 60% each, 17 workers.
    expect(sizing).toMatchObject({ workerCores: 10, workers: 17 });
    // 125,000 Redis commands/s at 80,000 per master: 2 masters, 4 send queues each.
    expect(sizing).toMatchObject({ redisCommandsPerSecond: 125_000, redisMasters: 2, sendQueueShards: 8 });
    // 40,000 document writes/s at 15,000 per shard: 3 shards.
    expect(sizing).toMatchObject({ mongoDocumentWritesPerSecond: 40_000, mongoShards: 3, mongoCommandsPerSecond: 15_000 });
    expect(sizing.sendingSessions).toBe(63);
    // 5,000 × 86,400 × 1,100 B × 1.6 = 760 GB a day; 30 days; a third on each shard.
    expect(sizing.storedBytesPerDay).toBe(760_320_000_000);
    expect(sizing.storedBytesRetained).toBe(30 * 760_320_000_000);
    expect(sizing.storedBytesPerShardMember).toBe(10 * 760_320_000_000);
  });

  it('keeps one of everything for a small rate', () => {
    expect(size(COST, { ...DEFAULT_ASSUMPTIONS, rate: 10 })).toMatchObject({ workers: 1, redisMasters: 1, sendQueueShards: 1, mongoShards: 1, sendingSessions: 1 });
  });

  it('prints the sizing from a results file, with the measured row and overridden assumptions', async () => {
    const file = join(directory, 'drain.json');
    writeFileSync(file, JSON.stringify({ date: '2026-12-03', machine: { cpus: 2, model: 'test CPU', node: 'v20' }, rows: [COST] }));
    const { stdout } = await run('npx', ['ts-node', '--transpile-only', 'bench/capacity.ts', '--rate', '5000', '--results', file, '--json', '--redis-commands-per-master', '50000']);
    const answer = JSON.parse(stdout) as { sizing: { redisMasters: number; workers: number }; assumptions: { redisCommandsPerMaster: number } };
    expect(answer.assumptions.redisCommandsPerMaster).toBe(50_000);
    expect(answer.sizing).toMatchObject({ redisMasters: 3, workers: 17 });

    const text = await run('npx', ['ts-node', '--transpile-only', 'bench/capacity.ts', '--rate', '5000', '--results', file]);
    expect(text.stdout).toContain('Sizing for 5,000 messages/s');
    expect(text.stdout).toMatch(/MongoDB shards\s+3/);
  }, 60_000);

  it('names what is wrong: an unknown scenario, a results file without a measure, a bad rate', async () => {
    const file = join(directory, 'old.json');
    writeFileSync(file, JSON.stringify({ rows: [{ scenario: 'reports off, 1 worker', workerCpuMsPerRecipient: 1.5 }] }));
    const failure = (args: string[]) => run('npx', ['ts-node', '--transpile-only', 'bench/capacity.ts', ...args]).then(
      () => '',
      (error: { stderr: string }) => error.stderr,
    );
    expect(await failure(['--rate', '100', '--results', file])).toContain('has no "reports on, 1 worker" row; it has: "reports off, 1 worker"');
    expect(await failure(['--rate', '100', '--results', file, '--scenario', 'reports off, 1 worker'])).toContain('lacks redisCommandsPerRecipient');
    expect(await failure(['--rate', 'fast', '--results', file])).toContain('--rate must be a number above 0');
  }, 60_000);
});
