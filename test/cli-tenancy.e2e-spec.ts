import { randomBytes } from 'node:crypto';
import { describeWithMongo, isolatedMongoUri } from './support/mongo';
import { runFromSource } from './support/run-from-source';
import { createTestApp, TestApp } from './support/test-app';


/** `npm run cli -- <args>` from source against the given database; answers its JSON output, or throws with its stderr. */
async function cli(env: Record<string, string>, args: string[]): Promise<Record<string, unknown>> {
  const { code, stdout, stderr } = await runFromSource('src/cli.ts', env, args);
  if (code !== 0) throw new Error(`cli ${args.join(' ')} exited ${code}: ${stderr}`);
  return JSON.parse(stdout) as Record<string, unknown>;
}

describeWithMongo('CLI: operator credentials, and key changes in the audit log (e2e)', () => {
  // Built when the suite runs: a skipped suite's body still runs, and without MongoDB there is no URI to build on.
  let env: Record<string, string>;
  let t: TestApp;

  beforeAll(async () => {
    env = { MONGODB_URI: isolatedMongoUri(), REDIS_URL: process.env.REDIS_URL ?? '', CREDENTIALS_ENCRYPTION_KEY: randomBytes(32).toString('base64'), LOG_LEVEL: 'error' };
    t = await createTestApp({ worker: false, env });
  });
  afterAll(() => t.close());

  it('creates and revokes operator credentials that open the dashboard, and records its key changes for the client', async () => {
    // Each command boots from source (seconds on a busy machine): independent ones run side by side.
    const [operator, started] = await Promise.all([
      cli(env, ['operator:create', '--name', 'ops on-call', '--expires-in', '2w']),
      cli(env, ['quickstart', '--name', 'Acme']),
    ]);
    expect(operator.credential).toMatch(/^wop_[0-9a-f]{24}_[A-Za-z0-9_-]{43}$/);
    await t.http.get('/admin/queues/api/queues').set('Authorization', `Bearer ${operator.credential as string}`).expect(200);

    const owner = { Authorization: `Bearer ${started.api_key as string}` };
    const member = await cli(env, ['key:issue', '--client', started.client_id as string, '--role', 'member', '--rate-limit', '100']);
    await Promise.all([cli(env, ['key:revoke', '--key', member.id as string]), cli(env, ['operator:revoke', '--id', operator.id as string])]);

    const entries = (await t.http.get('/audit-log').set(owner).expect(200)).body.data as Array<Record<string, unknown>>;
    expect(entries.map(({ kind, action, route, actor_key_id, ip }) => ({ kind, action, route, actor_key_id, ip }))).toEqual([
      { kind: 'api-key', action: 'revoked', route: 'cli key:revoke', actor_key_id: null, ip: null },
      { kind: 'api-key', action: 'created', route: 'cli key:issue', actor_key_id: null, ip: null },
      { kind: 'session', action: 'created', route: 'cli quickstart', actor_key_id: null, ip: null },
      { kind: 'api-key', action: 'created', route: 'cli quickstart', actor_key_id: null, ip: null },
    ]);
    expect(entries[1]).toMatchObject({ target_id: member.id, fields: ['role', 'permissions', 'name', 'rateLimit'] });
    expect(JSON.stringify(entries)).not.toContain(member.key as string);

    await t.http.get('/admin/queues/api/queues').set('Authorization', `Bearer ${operator.credential as string}`).expect(401);
  }, 300_000);
});
