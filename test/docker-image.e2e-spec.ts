import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';

const ROOT = resolve(__dirname, '..');
const BUILD_TIMEOUT_MS = 15 * 60_000;

/** Why no image can be built here, or undefined when a Docker engine answers. */
function dockerUnavailableReason(): string | undefined {
  const info = spawnSync('docker', ['info', '--format', '{{.ServerVersion}}'], { encoding: 'utf8', timeout: 20_000 });
  if (info.error) return `no docker command (${(info.error as NodeJS.ErrnoException).code ?? info.error.message})`;
  if (info.status !== 0) return `no Docker engine answers (${(info.stderr || info.stdout).trim().split('\n')[0]})`;
  return undefined;
}

const skipReason = dockerUnavailableReason();
if (skipReason) process.stdout.write(`\nDocker image suite skipped: ${skipReason}\n`);
const describeWithDocker: jest.Describe = skipReason ? describe.skip : describe;

/** Runs a command in a fresh container of the image; never throws, so that exit codes can be asserted. */
function inContainer(image: string, env: Record<string, string>, command: string[]): { status: number | null; output: string } {
  const envArgs = Object.entries(env).flatMap(([name, value]) => ['-e', `${name}=${value}`]);
  const result = spawnSync('docker', ['run', '--rm', '--network', 'none', ...envArgs, image, ...command], { encoding: 'utf8', timeout: 120_000 });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

describeWithDocker('The Docker image (built from the Dockerfile)', () => {
  const image = `whatsapp-messaging-backend-test:${randomBytes(4).toString('hex')}`;
  const key = Buffer.alloc(32, 1).toString('base64');

  beforeAll(() => {
    execFileSync('docker', ['build', '--tag', image, ROOT], { stdio: 'ignore', timeout: BUILD_TIMEOUT_MS });
  }, BUILD_TIMEOUT_MS);
  afterAll(() => {
    spawnSync('docker', ['image', 'rm', '--force', image], { stdio: 'ignore' });
  });

  it('carries the built CLI, which answers --help', () => {
    const result = inContainer(image, {}, ['node', 'dist/src/cli.js', '--help']);
    expect(result.status).toBe(0);
    expect(result.output).toContain('quickstart');
  });

  it('runs as a non-root user', () => {
    expect(inContainer(image, {}, ['id', '-u']).output.trim()).not.toBe('0');
  });

  it('starts the API and, with no MongoDB or Redis, exits 1 with one line each (LOG_FORMAT=pretty included)', () => {
    const result = inContainer(image, { MONGODB_URI: 'mongodb://127.0.0.1:1/x', REDIS_URL: 'redis://127.0.0.1:1', CREDENTIALS_ENCRYPTION_KEY: key, LOG_FORMAT: 'pretty' }, [
      'node',
      'dist/src/main.js',
    ]);
    expect(result.status).toBe(1);
    expect(result.output.trim().split('\n')).toEqual([expect.stringMatching(/^MongoDB at /), expect.stringMatching(/^Redis at /)]);
  });

  it('has pino-pretty, which LOG_FORMAT=pretty loads', () => {
    expect(inContainer(image, {}, ['node', '-e', "require.resolve('pino-pretty')"]).status).toBe(0);
  });

  it('the worker starts the same way', () => {
    const result = inContainer(image, { MONGODB_URI: 'mongodb://127.0.0.1:1/x', REDIS_URL: 'redis://127.0.0.1:1', CREDENTIALS_ENCRYPTION_KEY: key }, [
      'node',
      'dist/src/worker.js',
    ]);
    expect(result.status).toBe(1);
    expect(result.output).toMatch(/^Redis at redis:\/\/127\.0\.0\.1:1 is not reachable/m);
  });
});

const composeSkipReason = skipReason ?? (spawnSync('docker', ['compose', 'version'], { timeout: 20_000 }).status === 0 ? undefined : 'no docker compose plugin');
if (composeSkipReason && !skipReason) process.stdout.write(`\nDocker Compose suite skipped: ${composeSkipReason}\n`);

(composeSkipReason ? describe.skip : describe)('docker-compose.yml', () => {
  const key = Buffer.alloc(32, 1).toString('base64');

  it('docker-compose.yml is valid and starts api and worker after healthy MongoDB and Redis', () => {
    const config = spawnSync('docker', ['compose', '-f', resolve(ROOT, 'docker-compose.yml'), 'config', '--format', 'json'], {
      encoding: 'utf8',
      env: { ...process.env, CREDENTIALS_ENCRYPTION_KEY: key },
    });
    expect(config.status).toBe(0);
    const services = (JSON.parse(config.stdout) as { services: Record<string, { depends_on?: Record<string, { condition: string }>; healthcheck?: unknown }> })
      .services;
    for (const name of ['mongodb', 'redis', 'api', 'worker']) expect(services[name].healthcheck).toBeDefined();
    for (const name of ['api', 'worker']) {
      expect(services[name].depends_on).toMatchObject({ mongodb: { condition: 'service_healthy' }, redis: { condition: 'service_healthy' } });
    }
  });
});
