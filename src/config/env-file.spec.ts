import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadEnvFile } from './env-file';
import { misspelledVariableWarnings } from './environment';

describe('loadEnvFile', () => {
  let directory: string;
  beforeEach(() => (directory = mkdtempSync(join(tmpdir(), 'wa-env-'))));
  afterEach(() => rmSync(directory, { recursive: true, force: true }));

  it('sets the variables of the file that the environment does not set, and keeps those it does', () => {
    const path = join(directory, '.env');
    writeFileSync(path, '# local MongoDB\nMONGODB_URI=mongodb://127.0.0.1:27017/whatsapp\nPORT=4000\nLOG_FORMAT="pretty"\n');
    const env: NodeJS.ProcessEnv = { PORT: '3001' };
    expect(loadEnvFile(env, path).sort()).toEqual(['LOG_FORMAT', 'MONGODB_URI']);
    expect(env).toEqual({ PORT: '3001', MONGODB_URI: 'mongodb://127.0.0.1:27017/whatsapp', LOG_FORMAT: 'pretty' });
  });

  it('reads ENV_FILE when set, and does nothing without a file', () => {
    const path = join(directory, 'staging.env');
    writeFileSync(path, 'QUEUE_PREFIX=staging\n');
    const env: NodeJS.ProcessEnv = { ENV_FILE: path };
    loadEnvFile(env);
    expect(env.QUEUE_PREFIX).toBe('staging');
    expect(loadEnvFile({}, join(directory, 'missing.env'))).toEqual([]);
  });
});

describe('misspelledVariableWarnings', () => {
  it('suggests the variable meant for names a few edits away', () => {
    expect(misspelledVariableWarnings({ MONGO_URI: 'x', REDIS_URI: 'y', LOG_LEVELS: 'z' })).toEqual([
      'MONGO_URI is not a variable this service reads; did you mean MONGODB_URI?',
      'REDIS_URI is not a variable this service reads; did you mean REDIS_URL?',
      'LOG_LEVELS is not a variable this service reads; did you mean LOG_LEVEL?',
    ]);
  });

  it("stays quiet about known variables and other programs' ones (proxies, a platform's service links, Node's own)", () => {
    expect(
      misspelledVariableWarnings({
        MONGODB_URI: 'x',
        PORT: '3000',
        HTTP_PROXY: 'http://proxy:3128',
        REDIS_PORT: 'tcp://10.0.0.3:6379',
        REDIS_SERVICE_HOST: '10.0.0.3',
        NODE_OPTIONS: '--max-old-space-size=512',
        PATH: '/usr/bin',
      }),
    ).toEqual([]);
  });
});
