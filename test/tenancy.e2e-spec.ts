import { Permission, Role } from '../src/auth/permissions';
import { Clock } from '../src/core/clock';
import { verifyEventSignature } from '../src/event-webhook/event-signature';
import { createTenant, issueKey, TestTenant } from './support/factories';
import { describeWithMongo } from './support/mongo';
import { eventually } from './support/polling';
import { createTestApp, TestApp } from './support/test-app';
import { WebhookReceiver } from './support/webhook-receiver';

interface AuditEntry {
  id: string;
  kind: string;
  action: string;
  target_id: string | null;
  actor_key_id: string | null;
  route: string;
  ip: string | null;
  fields: string[];
  createdAt: string;
}

const HOUR_MS = 3_600_000;

/** Two tenants on one app with its worker: self-service keys, rotating event secrets and the audit trail. */
describeWithMongo('Tenancy: self-service keys, rotating event secrets, the audit log (e2e, two tenants)', () => {
  let t: TestApp;
  let receiver: WebhookReceiver;
  let alice: TestTenant;
  let bob: TestTenant;
  /** Every secret the API handed out in this suite: none may appear in an audit entry. */
  const secrets: string[] = [];

  const bearer = (key: string) => ({ Authorization: `Bearer ${key}` });
  const clock = () => t.app.get(Clock);
  const moveClockTo = (at: Date) => jest.spyOn(clock(), 'now').mockReturnValue(at);

  async function auditLog(tenant: TestTenant, query = ''): Promise<AuditEntry[]> {
    return (await t.http.get(`/audit-log?limit=100${query}`).set(tenant.auth).expect(200)).body.data as AuditEntry[];
  }

  async function issue(by: TestTenant | string, body: Record<string, unknown>, status = 201): Promise<{ id: string; key: string; body: Record<string, unknown> }> {
    const headers = typeof by === 'string' ? bearer(by) : by.auth;
    const response = await t.http.post('/keys').set(headers).send(body).expect(status);
    const data = response.body.data as { id: string; key: string } | undefined;
    if (data?.key) secrets.push(data.key);
    return { id: data?.id ?? '', key: data?.key ?? '', body: response.body as Record<string, unknown> };
  }

  beforeAll(async () => {
    receiver = await WebhookReceiver.start();
    t = await createTestApp({ env: { WEBHOOK_ALLOW_PRIVATE_URLS: 'true', WEBHOOK_BACKOFF_MS: '40', RATE_LIMIT_PER_MINUTE: '5000', RATE_LIMIT_EXPENSIVE_PER_MINUTE: '50' } });
    alice = await createTenant(t.app, { name: 'Alice' });
    bob = await createTenant(t.app, { name: 'Bob' });
    secrets.push(alice.apiKey, bob.apiKey, alice.accessToken, bob.accessToken);
  });
  afterEach(() => jest.restoreAllMocks());
  afterAll(async () => {
    await t.close();
    await receiver.close();
  });

  describe('keys over HTTP', () => {
    it('issues a key shown once, lists keys without secrets, and lets only keys:manage holders do it', async () => {
      const member = await issue(alice, { name: 'CRM', role: 'member', expires_at: '2099-01-01T00:00:00Z', rate_limit_per_minute: 600 });
      expect(member.key).toMatch(/^wak_[0-9a-f]{24}_[A-Za-z0-9_-]{43}$/);
      expect(member.body).toMatchObject({ status: true, message: 'API key created successfully!', data: { role: 'member', rate_limit_per_minute: 600 } });
      await t.http.get('/sessions').set(bearer(member.key)).expect(200);

      const listed = await t.http.get('/keys').set(alice.auth).expect(200);
      const keys = listed.body.data as Array<{ id: string; name: string; role: string }>;
      expect(keys.map((key) => key.id)).toEqual(expect.arrayContaining([alice.keyId, member.id]));
      expect(JSON.stringify(listed.body)).not.toMatch(/wak_|secret_hash|previous_secret/);
      // Bob never sees Alice's keys.
      const bobs = (await t.http.get('/keys').set(bob.auth).expect(200)).body.data as Array<{ id: string }>;
      expect(bobs.map((key) => key.id)).toEqual([bob.keyId]);

      // Admins and members lack keys:manage.
      const admin = await issueKey(t.app, alice.clientId, Role.Admin);
      await t.http.get('/keys').set(bearer(admin)).expect(403);
      await t.http.post('/keys').set(bearer(member.key)).send({ name: 'x', role: 'read-only' }).expect(403);
    });

    it('refuses bad input with a 400 naming it, and writes nothing', async () => {
      const before = ((await t.http.get('/keys').set(alice.auth).expect(200)).body.data as unknown[]).length;
      const cases: Array<[Record<string, unknown>, RegExp]> = [
        [{ name: 'x', role: 'superuser' }, /role must be one of/],
        [{ name: 'x', role: 'member', permissions: ['everything'] }, /each of permissions must be one of/],
        [{ name: 'x', role: 'member', expires_at: 'tomorrow' }, /expires_at must be an ISO 8601 date-time/],
        // A day that does not exist is not read as another one, nor a number or a date without a time as a moment.
        [{ name: 'x', role: 'member', expires_at: '2099-02-30T00:00:00Z' }, /expires_at must be an ISO 8601 date-time with a UTC offset that exists/],
        [{ name: 'x', role: 'member', expires_at: 4_000_000_000_000 }, /expires_at must be an ISO 8601 date-time/],
        [{ name: 'x', role: 'member', expires_at: 'March 3, 2099' }, /expires_at must be an ISO 8601 date-time/],
        [{ name: 'x', role: 'member', expires_at: '2001-01-01T00:00:00Z' }, /cannot expire in the past/],
        [{ name: 'x', role: 'member', rate_limit_per_minute: 5001 }, /rate_limit_per_minute must be at most 5000 \(RATE_LIMIT_PER_MINUTE\)/],
        [{ name: 'x', role: 'member', expensive_rate_limit_per_minute: 51 }, /at most 50 \(RATE_LIMIT_EXPENSIVE_PER_MINUTE\)/],
        [{ name: '   ', role: 'member' }, /name/],
        [{ name: 'x', role: 'member', client_id: bob.clientId }, /client_id should not exist/],
      ];
      for (const [body, message] of cases) {
        const response = await t.http.post('/keys').set(alice.auth).send(body).expect(400);
        expect(JSON.stringify(response.body)).toMatch(message);
      }
      await t.http.post(`/keys/not-an-id/rotate`).set(alice.auth).send({}).expect(400);
      await t.http.post(`/keys/${alice.keyId}/rotate`).set(alice.auth).send({ grace_period_seconds: 7 * 86_400 + 1 }).expect(400);
      const after = ((await t.http.get('/keys').set(alice.auth).expect(200)).body.data as unknown[]).length;
      expect(after).toBe(before);
    });

    it('never grants a role above the issuer\'s, nor a permission it lacks', async () => {
      // A member trusted with keys:manage may hand out member and read-only keys, nothing more.
      const manager = await issue(alice, { name: 'manager', role: 'member', permissions: [Permission.KeysManage] });
      const escalation = await issue(manager.key, { name: 'escalate', role: 'admin' }, 403);
      expect(JSON.stringify(escalation.body)).toMatch(/A member key cannot issue a key with role admin/);
      const extra = await issue(manager.key, { name: 'extra', role: 'read-only', permissions: [Permission.SessionManage] }, 403);
      expect(JSON.stringify(extra.body)).toMatch(/cannot grant what it does not hold itself: session:manage/);
      const fine = await issue(manager.key, { name: 'reader', role: 'read-only' });
      await t.http.get('/contacts').set(bearer(fine.key)).expect(200);
      await t.http.post('/contacts').set(bearer(fine.key)).send({ name: 'x', phone: '2348031110999' }).expect(403);
      // Nor rotate or revoke a key above it.
      await t.http.post(`/keys/${alice.keyId}/rotate`).set(bearer(manager.key)).send({}).expect(403);
      await t.http.delete(`/keys/${alice.keyId}`).set(bearer(manager.key)).expect(403);
    });

    it('rotates a key: the old secret works for the grace period the caller chose, then stops (clock injected)', async () => {
      const target = await issue(alice, { name: 'rotating', role: 'member' });
      const now = new Date();
      moveClockTo(now);
      const rotated = await t.http.post(`/keys/${target.id}/rotate`).set(alice.auth).send({ grace_period_seconds: 3600 }).expect(200);
      const fresh = rotated.body.data.key as string;
      secrets.push(fresh);
      expect(rotated.body.data).toMatchObject({ id: target.id, role: 'member', previous_key_valid_until: new Date(now.getTime() + HOUR_MS).toISOString() });
      expect(fresh).not.toBe(target.key);
      expect(fresh.startsWith(`wak_${target.id}_`)).toBe(true);

      moveClockTo(new Date(now.getTime() + HOUR_MS - 1000));
      await t.http.get('/sessions').set(bearer(target.key)).expect(200);
      await t.http.get('/sessions').set(bearer(fresh)).expect(200);
      const listed = (await t.http.get('/keys').set(alice.auth).expect(200)).body.data as Array<{ id: string; previous_key_valid_until: string | null }>;
      expect(listed.find((key) => key.id === target.id)?.previous_key_valid_until).toBe(new Date(now.getTime() + HOUR_MS).toISOString());

      moveClockTo(new Date(now.getTime() + HOUR_MS));
      const refused = await t.http.get('/sessions').set(bearer(target.key)).expect(401);
      expect(refused.body.message).toMatch(/Invalid API key/);
      await t.http.get('/sessions').set(bearer(fresh)).expect(200);
      jest.restoreAllMocks();

      // No body at all: the default grace period (24 hours).
      const defaulted = await t.http.post(`/keys/${target.id}/rotate`).set(alice.auth).expect(200);
      secrets.push(defaulted.body.data.key as string);
      expect(new Date(defaulted.body.data.previous_key_valid_until as string).getTime() - Date.now()).toBeGreaterThan(23 * HOUR_MS);

      // Without a grace period the old secret stops at once.
      const again = await t.http.post(`/keys/${target.id}/rotate`).set(alice.auth).send({ grace_period_seconds: 0 }).expect(200);
      secrets.push(again.body.data.key as string);
      expect(again.body.data.previous_key_valid_until).toBeNull();
      await t.http.get('/sessions').set(bearer(defaulted.body.data.key as string)).expect(401);
      await t.http.get('/sessions').set(bearer(again.body.data.key as string)).expect(200);
    });

    it("revokes keys, answers 404 for another tenant's key exactly as for a missing one, and keeps the last owner key", async () => {
      const member = await issue(alice, { name: 'temporary', role: 'member' });
      const missing = await t.http.delete('/keys/6571f1b2c3d4e5f6a7b8c9d0').set(alice.auth).expect(404);
      const foreign = await t.http.delete(`/keys/${member.id}`).set(bob.auth).expect(404);
      expect(foreign.body.message).toBe(missing.body.message.replace('6571f1b2c3d4e5f6a7b8c9d0', member.id));
      await t.http.post(`/keys/${member.id}/rotate`).set(bob.auth).send({}).expect(404);
      await t.http.get('/sessions').set(bearer(member.key)).expect(200);

      await t.http.delete(`/keys/${member.id}`).set(alice.auth).expect(200);
      expect((await t.http.get('/sessions').set(bearer(member.key)).expect(401)).body.message).toMatch(/revoked/);
      await t.http.delete(`/keys/${member.id}`).set(alice.auth).expect(404);

      // Bob's only owner key cannot revoke itself; with a second owner key it can.
      const last = await t.http.delete(`/keys/${bob.keyId}`).set(bob.auth).expect(409);
      expect(last.body.message).toMatch(/last active owner key/);
      await t.http.get('/sessions').set(bob.auth).expect(200);
      const second = await issue(bob, { name: 'second owner', role: 'owner' });
      await t.http.delete(`/keys/${bob.keyId}`).set(bob.auth).expect(200);
      await t.http.get('/sessions').set(bob.auth).expect(401);
      await t.http.delete(`/keys/${second.id}`).set(bearer(second.key)).expect(409);
      bob = { ...bob, apiKey: second.key, keyId: second.id, auth: bearer(second.key) };
    });
  });

  describe('rotating an event endpoint secret', () => {
    it('signs with both secrets during the grace period, then only with the new one', async () => {
      const path = '/rotation';
      const created = await t.http.post('/webhook-endpoints').set(alice.auth).send({ url: `${receiver.baseUrl}${path}`, events: ['message.sent'] }).expect(201);
      const id = created.body.data._id as string;
      const oldSecret = created.body.data.secret as string;
      secrets.push(oldSecret);
      const send = async (to: string): Promise<{ signature: string; body: string }> => {
        const count = receiver.to(path).length;
        await t.http.post('/v1/messages').set(alice.auth).set(alice.session).send({ to, message: { text: 'rotation' } }).expect(202);
        const delivery = await eventually(async () => receiver.to(path)[count], 'a delivery', 15_000);
        return { signature: delivery.headers['x-signature'] as string, body: delivery.body };
      };

      const before = await send('2348031110101');
      expect(before.signature.split(',').filter((part) => part.startsWith('v1='))).toHaveLength(1);
      expect(verifyEventSignature(oldSecret, before.signature, before.body)).toBe(true);

      const rotatedAt = new Date();
      moveClockTo(rotatedAt);
      const rotated = await t.http.post(`/webhook-endpoints/${id}/rotate-secret`).set(alice.auth).send({ grace_period_seconds: 3600 }).expect(200);
      const newSecret = rotated.body.data.secret as string;
      secrets.push(newSecret);
      expect(newSecret).toMatch(/^whsec_/);
      expect(newSecret).not.toBe(oldSecret);
      expect(rotated.body.data.previous_secret_valid_until).toBe(new Date(rotatedAt.getTime() + HOUR_MS).toISOString());
      const endpoint = await t.http.get(`/webhook-endpoints/${id}`).set(alice.auth).expect(200);
      expect(JSON.stringify(endpoint.body)).not.toContain(newSecret);

      const during = await send('2348031110102');
      expect(during.signature).toMatch(/^t=\d+,v1=[0-9a-f]{64},v1=[0-9a-f]{64}$/);
      expect(verifyEventSignature(newSecret, during.signature, during.body, rotatedAt)).toBe(true);
      expect(verifyEventSignature(oldSecret, during.signature, during.body, rotatedAt)).toBe(true);
      expect(verifyEventSignature('whsec_someone_else', during.signature, during.body, rotatedAt)).toBe(false);

      const later = new Date(rotatedAt.getTime() + HOUR_MS);
      moveClockTo(later);
      const after = await send('2348031110103');
      expect(after.signature).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
      expect(verifyEventSignature(newSecret, after.signature, after.body, later)).toBe(true);
      expect(verifyEventSignature(oldSecret, after.signature, after.body, later)).toBe(false);
      jest.restoreAllMocks();

      await t.http.post(`/webhook-endpoints/${id}/rotate-secret`).set(bob.auth).send({}).expect(404);
      await t.http.patch(`/webhook-endpoints/${id}`).set(alice.auth).send({ description: 'rotated once' }).expect(200);
      await t.http.delete(`/webhook-endpoints/${id}`).set(alice.auth).expect(200);
    });
  });

  describe('the audit log', () => {
    it("records every change with the acting key, route, address and target; another tenant's never shows", async () => {
      const session = await t.http
        .post('/sessions')
        .set(alice.auth)
        .send({
          name: 'Cloud line',
          provider: 'cloud-api',
          credentials: { phone_number_id: '1098765', access_token: 'EAAG-secret-token', app_secret: 'app-secret-value', verify_token: 'verify-me' },
        })
        .expect(201);
      secrets.push(session.body.data.access_token as string, 'EAAG-secret-token', 'app-secret-value', 'verify-me');
      const sessionId = session.body.data.session_id as string;

      const entries = await auditLog(alice);
      const summary = entries.map((entry) => `${entry.kind} ${entry.action} ${entry.route}`);
      expect(summary).toEqual(
        expect.arrayContaining([
          'api-key created POST /keys',
          'api-key rotated POST /keys/:id/rotate',
          'api-key revoked DELETE /keys/:id',
          'webhook-endpoint created POST /webhook-endpoints',
          'webhook-endpoint secret-rotated POST /webhook-endpoints/:id/rotate-secret',
          'webhook-endpoint updated PATCH /webhook-endpoints/:id',
          'webhook-endpoint deleted DELETE /webhook-endpoints/:id',
          'session created POST /sessions',
        ]),
      );
      const sessionEntry = entries.find((entry) => entry.kind === 'session');
      expect(sessionEntry).toMatchObject({ target_id: sessionId, actor_key_id: alice.keyId, fields: ['name', 'provider', 'credentials'] });
      expect(sessionEntry?.ip).toMatch(/127\.0\.0\.1|::1/);
      for (const entry of entries) {
        expect(entry.actor_key_id).toMatch(/^[0-9a-f]{24}$/);
        expect(entry.target_id).toMatch(/^[0-9a-f]{24}$/);
        expect(new Date(entry.createdAt).getTime()).toBeGreaterThan(0);
      }
      // Refused requests changed nothing and recorded nothing: five keys were issued for Alice (one by her manager key), of a dozen attempts.
      const issued = entries.filter((entry) => entry.kind === 'api-key' && entry.action === 'created');
      expect(issued).toHaveLength(5);
      expect(issued.filter((entry) => entry.actor_key_id !== alice.keyId)).toHaveLength(1);

      const text = JSON.stringify(entries);
      for (const secret of secrets) expect(text).not.toContain(secret);
      expect(text).not.toMatch(/wak_|whsec_|st_[A-Za-z0-9_-]{20}/);

      // Bob's log has his own changes only, and filtering by Alice's key shows nothing.
      const bobs = await auditLog(bob);
      const aliceIds = new Set(entries.map((entry) => entry.id));
      expect(bobs.filter((entry) => aliceIds.has(entry.id))).toEqual([]);
      // His second owner key issued, his first revoked; the refused revocations of a last owner key left no trace.
      expect(bobs.map((entry) => `${entry.kind} ${entry.action}`).sort()).toEqual(['api-key created', 'api-key revoked']);
      expect(await auditLog(bob, `&actor=${alice.keyId}`)).toEqual([]);
    });

    it('filters by kind and actor and pages by cursor without overlap', async () => {
      const all = await auditLog(alice);
      const keysOnly = await auditLog(alice, '&kind=api-key');
      expect(keysOnly.length).toBeGreaterThan(0);
      expect(keysOnly.every((entry) => entry.kind === 'api-key')).toBe(true);
      const byOwner = await auditLog(alice, `&actor=${alice.keyId}`);
      expect(byOwner.every((entry) => entry.actor_key_id === alice.keyId)).toBe(true);
      expect(byOwner.length).toBeLessThan(all.length);

      const paged: AuditEntry[] = [];
      let cursor: string | null = null;
      do {
        const response = await t.http.get(`/audit-log?limit=3${cursor ? `&cursor=${cursor}` : ''}`).set(alice.auth).expect(200);
        paged.push(...(response.body.data as AuditEntry[]));
        cursor = response.body.next_cursor as string | null;
      } while (cursor);
      expect(paged.map((entry) => entry.id)).toEqual(all.map((entry) => entry.id));
    });

    it('is for owners: admins and members get 403; bad filters get 400', async () => {
      await t.http.get('/audit-log').set(bearer(await issueKey(t.app, alice.clientId, Role.Admin))).expect(403);
      await t.http.get('/audit-log').set(bearer(await issueKey(t.app, alice.clientId, Role.Member))).expect(403);
      await t.http.get('/audit-log').expect(401);
      expect((await t.http.get('/audit-log?kind=broadcast').set(alice.auth).expect(400)).body.errors.join(' ')).toMatch(/kind must be one of/);
      expect((await t.http.get('/audit-log?cursor=abc').set(alice.auth).expect(400)).body.errors.join(' ')).toMatch(/cursor must be/);
      expect((await t.http.get('/audit-log?actor=%24ne').set(alice.auth).expect(400)).body.errors.join(' ')).toMatch(/actor must be/);
    });
  });
});
