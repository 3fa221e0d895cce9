import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findOnPath } from '../src/local/redis-server-process';
import { runFromSource, SourceRun } from './support/run-from-source';

/** Generous: the target is about 10 s once loaded, but compiling from source on a machine running many suites at once takes long. */
const EXIT_BOUND_MS = 90_000;
jest.setTimeout(EXIT_BOUND_MS * 2 + 10_000);

/** Runs an entrypoint from source with exactly the given environment (plus PATH); killed if it does not exit in time. */
const run = (entry: string, env: Record<string, string>, args: string[] = []): Promise<SourceRun> => runFromSource(entry, env, args, EXIT_BOUND_MS * 2);

/** Command lines of running redis-server processes that keep their data under `directory`. */
function redisServersUsing(directory: string): string[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .map((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
      } catch {
        return '';
      }
    })
    .filter((command) => command.includes('redis-server') && command.includes(directory));
}

const KEY = Buffer.alloc(32, 3).toString('base64');
const redisServerMissing = !findOnPath('redis-server') ? 'no redis-server on PATH' : !existsSync('/proc') ? 'no /proc to find the processes it starts' : undefined;
if (redisServerMissing) process.stdout.write(`\nStart-up suite's embedded-Redis tests skipped: ${redisServerMissing}\n`);
const describeWithRedisServer = redisServerMissing ? describe.skip : describe;

describe('Start-up that fails fast (processes spawned from source)', () => {
  let dataDir: string;

  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'wa-start-'));
  });
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  describeWithRedisServer('local mode', () => {
    it('with an unreachable MONGODB_URI: one line naming it (password masked), exit 1, its embedded Redis stopped and its state file gone', async () => {
      const result = await run('src/local.ts', { MONGODB_URI: 'mongodb://app:s3cret@127.0.0.1:1/whatsapp', LOCAL_DATA_DIR: dataDir });
      expect(result.code).toBe(1);
      expect(result.elapsedMs).toBeLessThan(EXIT_BOUND_MS);
      expect(result.stderr.trim().split('\n')).toEqual([
        expect.stringMatching(/^MongoDB at mongodb:\/\/app:\*\*\*@127\.0\.0\.1:1\/whatsapp is not reachable \(.+\): .*unset MONGODB_URI/),
      ]);
      expect(`${result.stdout}${result.stderr}`).not.toContain('s3cret');
      expect(result.stdout).toMatch(/^Embedded Redis: /m);
      expect(existsSync(join(dataDir, 'local-services.json'))).toBe(false);
      expect(redisServersUsing(dataDir)).toEqual([]);
    });
  });

  it('the worker with MongoDB and Redis unreachable: one line for each, exit 1 (the API starts the same way)', async () => {
    const result = await run('src/worker.ts', {
      MONGODB_URI: 'mongodb://127.0.0.1:1/whatsapp',
      REDIS_URL: 'redis://:hunter2@127.0.0.1:1',
      CREDENTIALS_ENCRYPTION_KEY: KEY,
    });
    expect(result.code).toBe(1);
    expect(result.elapsedMs).toBeLessThan(EXIT_BOUND_MS);
    expect(result.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(/^MongoDB at mongodb:\/\/127\.0\.0\.1:1\/whatsapp is not reachable \((.*ECONNREFUSED.*|Server selection timed out after 5000 ms)\): start MongoDB there, or set MONGODB_URI/),
      expect.stringMatching(/^Redis at redis:\/\/:\*\*\*@127\.0\.0\.1:1 is not reachable \(.*ECONNREFUSED.*\): start Redis there, or set REDIS_URL/),
    ]);
  });

  it('bad configuration: one message per variable', async () => {
    const result = await run('src/main.ts', { PORT: 'abc', REDIS_URL: 'redis://127.0.0.1:1', CREDENTIALS_ENCRYPTION_KEY: KEY });
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split('\n')).toEqual([
      'Invalid configuration:',
      '  - PORT must be an integer number (got "abc")',
      '  - MONGODB_URI is required (for example mongodb://localhost:27017/whatsapp)',
    ]);
  });

  it('reads .env (here the file ENV_FILE names) under the environment, and warns of a misspelled variable', async () => {
    const envFile = join(dataDir, 'app.env');
    writeFileSync(envFile, 'PORT=abc\nREDIS_URL=redis://127.0.0.1:1\nMONGO_URI=mongodb://127.0.0.1:27017/whatsapp\n');
    const result = await run('src/main.ts', { ENV_FILE: envFile, CREDENTIALS_ENCRYPTION_KEY: KEY, REDIS_URL: 'redis://127.0.0.1:2' });
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split('\n')).toEqual([
      'Warning: MONGO_URI is not a variable this service reads; did you mean MONGODB_URI?',
      'Invalid configuration:',
      '  - PORT must be an integer number (got "abc")',
      '  - MONGODB_URI is required (for example mongodb://localhost:27017/whatsapp)',
    ]);
  });

  it('the CLI with no service running says to start it first', async () => {
    const result = await run('src/cli.ts', { LOCAL_DATA_DIR: dataDir }, ['quickstart']);
    expect(result.code).toBe(1);
    expect(result.stderr.trim()).toMatch(/^No running service found: start it first with `npm run start:local`/);
  });
});
