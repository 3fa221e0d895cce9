import { execFile, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { describeWithMongo, isolatedMongoUri } from './support/mongo';
import { createTestApp, TestApp } from './support/test-app';

/**
 * The README's quickstart, run as printed: its shell blocks after the two commands, in order, in one bash
 * (with `set -euo pipefail`), the CLI's `quickstart` included, against the app listening on loopback. Only
 * the base URL is replaced; `npm` runs in the repository, as it would for a user there; every curl must
 * answer below 400.
 */

const ROOT = resolve(__dirname, '..');
const run = promisify(execFile);
jest.setTimeout(180_000);

/** The ```bash blocks of the README from its quickstart on (the two commands before it install and start things). */
function quickstartScript(readme: string, base: string): string {
  const start = readme.indexOf('## Quickstart');
  const blocks = [...readme.slice(start).matchAll(/```bash\n([\s\S]*?)```/g)].map(([, body]) => body);
  return blocks.join('\n').replaceAll('http://localhost:3000', base);
}

/** Each curl answers, or the script stops naming the command and its status. */
const PRELUDE = `set -euo pipefail
npm() { command npm --prefix "$REPO" "$@"; }
curl() {
  local out code
  out=$(command curl --silent --show-error --write-out '\\n%{http_code}' "$@")
  code=\${out##*$'\\n'}
  printf '%s\\n' "\${out%$'\\n'*}"
  if [ "$code" -ge 400 ]; then echo "curl $* answered $code" >&2; return 1; fi
}
`;

const tools = (() => {
  try {
    for (const tool of ['bash', 'curl']) execFileSync(tool, ['--version'], { stdio: 'ignore' });
    execFileSync('date', ['-u', '-d', '+1 hour', '+%FT%TZ'], { stdio: 'ignore' });
    return true;
  } catch {
    process.stdout.write('README commands skipped: they need bash, curl and GNU date\n');
    return false;
  }
})();

(tools ? describeWithMongo : describe.skip)("The README's quickstart, run as printed (e2e)", () => {
  let t: TestApp;
  let base: string;
  let workDir: string;
  let mongoUri: string;
  const encryptionKey = randomBytes(32).toString('base64');

  beforeAll(async () => {
    mongoUri = isolatedMongoUri();
    t = await createTestApp({ env: { MONGODB_URI: mongoUri, CREDENTIALS_ENCRYPTION_KEY: encryptionKey } });
    await t.app.listen(0, '127.0.0.1');
    base = `http://127.0.0.1:${(t.app.getHttpServer() as { address(): AddressInfo }).address().port}`;
    workDir = mkdtempSync(join(tmpdir(), 'wa-readme-'));
  });
  afterAll(async () => {
    await t.close();
    rmSync(workDir, { recursive: true, force: true });
  });

  it('creates a tenant with the CLI, sends a broadcast and two single messages, and the views show them', async () => {
    const script = quickstartScript(readFileSync(join(ROOT, 'README.md'), 'utf8'), base);
    expect(script).toContain('npm run -s cli -- quickstart');
    expect(script.match(/^curl|^ *curl/gm)?.length).toBeGreaterThanOrEqual(6);

    const { stdout } = await run('bash', ['-c', PRELUDE + script], {
      cwd: workDir,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? workDir,
        REPO: ROOT,
        MONGODB_URI: mongoUri,
        REDIS_URL: process.env.REDIS_URL ?? '',
        CREDENTIALS_ENCRYPTION_KEY: encryptionKey,
        LOCAL_DATA_DIR: join(workDir, '.data'),
      },
    });
    expect(stdout).toContain('"message":"Broadcast group created successfully!"');

    const quickstart = JSON.parse(readFileSync(join(workDir, 'quickstart.json'), 'utf8')) as Record<string, string>;
    expect(Object.keys(quickstart).sort()).toEqual(['access_token', 'api_key', 'client_id', 'session_id']);
    const auth = { Authorization: `Bearer ${quickstart.api_key}` };
    const broadcasts = await t.http.get('/broadcast?type=all').set(auth).expect(200);
    expect(broadcasts.body.data).toEqual([expect.objectContaining({ to: '2348179803743,2349048988056' })]);
    const requests = await t.http.get('/api/v1/external/api-requests').set(auth).expect(200);
    expect(requests.body.data.totalMessages).toBe(2);
    expect(requests.body.data.logs.map((log: { contact_number: string }) => log.contact_number).sort()).toEqual([expect.stringContaining('2348179803743'), expect.stringContaining('2349048988056')]);
  });
});

describe('Links of the README and docs/', () => {
  const pages = ['README.md', ...readdirSync(join(ROOT, 'docs')).filter((name) => name.endsWith('.md')).map((name) => `docs/${name}`)];

  it.each(pages)('%s links only to files of the repository (and their headings) or to public https pages', (page) => {
    const text = readFileSync(join(ROOT, page), 'utf8');
    const broken = [...text.matchAll(/\]\(([^)\s]+)\)/g)]
      .map(([, target]) => target)
      .filter((target) => {
        if (/^https:\/\//.test(target)) return false;
        const [path, anchor] = target.split('#');
        const file = path === '' ? join(ROOT, page) : resolve(join(ROOT, page, '..'), path);
        if (!file.startsWith(ROOT) || !existsSync(file)) return true;
        if (!anchor || !file.endsWith('.md')) return false;
        const slugs = [...readFileSync(file, 'utf8').matchAll(/^#+ (.+)$/gm)].map(([, heading]) =>
          heading.toLowerCase().replace(/[^\p{L}\p{N} -]/gu, '').replace(/ /g, '-'),
        );
        return !slugs.includes(anchor);
      });
    expect(broken).toEqual([]);
  });
});
