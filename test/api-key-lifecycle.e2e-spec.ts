import { getModelToken } from '@nestjs/mongoose';
import type { Model } from 'mongoose';
import { Types } from 'mongoose';
import { setTimeout as sleep } from 'node:timers/promises';
import { ApiKeyRepository } from '../src/auth/api-key.repository';
import { ApiKey } from '../src/auth/api-key.schema';
import { LAST_USED_PRECISION_MS } from '../src/auth/auth.service';
import { Role } from '../src/auth/permissions';
import { ApiKeySummary, TenancyService } from '../src/auth/tenancy.service';
import { createTenant, TestTenant } from './support/factories';
import { describeWithMongo } from './support/mongo';
import { createTestApp, TestApp } from './support/test-app';

describeWithMongo('API keys: expiry and last use (e2e)', () => {
  let t: TestApp;
  let tenant: TestTenant;
  let tenancy: TenancyService;

  beforeAll(async () => {
    t = await createTestApp({ worker: false });
    tenant = await createTenant(t.app);
    tenancy = t.app.get(TenancyService);
  });
  afterAll(() => t.close());

  async function listed(keyId: string): Promise<ApiKeySummary> {
    const key = (await tenancy.listApiKeys(tenant.clientId)).find(({ id }) => id === keyId);
    if (!key) throw new Error(`key ${keyId} not listed`);
    return key;
  }

  it('accepts a key until it expires, then answers 401 saying it expired, in every envelope', async () => {
    const issued = await tenancy.issueApiKey(tenant.clientId, 'short-lived', Role.Owner, [], { expiresAt: new Date(Date.now() + 1500) });
    await t.http.get('/sessions').set('x-api-key', issued.key).expect(200);
    expect(await listed(issued.id)).toMatchObject({ expires_at: issued.expires_at, expired: false });

    await sleep(Math.max(0, (issued.expires_at?.getTime() ?? 0) - Date.now()) + 50);
    const message = `The API key in Authorization expired on ${issued.expires_at?.toISOString()}`;
    const refused = await t.http.get('/sessions').set('Authorization', `Bearer ${issued.key}`).expect(401);
    expect(refused.body).toEqual({ status: false, message, errors: [message] });
    const external = await t.http.get('/api/v1/external/api-requests').set('Authorization', `Bearer ${issued.key}`).expect(401);
    expect(external.body).toEqual({ code: 401, message, success: false });
    expect(await listed(issued.id)).toMatchObject({ expired: true });
  });

  it('refuses to issue a key that has already expired', async () => {
    await expect(tenancy.issueApiKey(tenant.clientId, 'past', Role.Owner, [], { expiresAt: new Date(Date.now() - 1000) })).rejects.toThrow(
      'A key cannot expire in the past',
    );
  });

  it('keeps last_used_at to the minute: written on first use, not again within the minute, again after it', async () => {
    const issued = await tenancy.issueApiKey(tenant.clientId, 'busy', Role.Owner);
    expect((await listed(issued.id)).last_used_at).toBeNull();

    const before = Date.now();
    await t.http.get('/sessions').set('x-api-key', issued.key).expect(200);
    const first = (await listed(issued.id)).last_used_at;
    expect(first?.getTime()).toBeGreaterThanOrEqual(before - 1000);

    await Promise.all([1, 2, 3, 4, 5].map(() => t.http.get('/sessions').set('x-api-key', issued.key).expect(200)));
    expect((await listed(issued.id)).last_used_at).toEqual(first);

    // A minute later (the stored use moved back instead of waiting), the next request writes it again.
    const keys = t.app.get<Model<ApiKey>>(getModelToken(ApiKey.name));
    const aMinuteAgo = new Date(Date.now() - LAST_USED_PRECISION_MS - 1000);
    await keys.updateOne({ _id: new Types.ObjectId(issued.id) }, { $set: { last_used_at: aMinuteAgo } }, { timestamps: false }).exec();
    await t.http.get('/sessions').set('x-api-key', issued.key).expect(200);
    expect((await listed(issued.id)).last_used_at?.getTime()).toBeGreaterThan(aMinuteAgo.getTime() + LAST_USED_PRECISION_MS);
  });

  it('records one use per minute when several processes record at once (conditional update)', async () => {
    const issued = await tenancy.issueApiKey(tenant.clientId, 'raced', Role.Owner);
    const repository = t.app.get(ApiKeyRepository, { strict: false });
    const id = new Types.ObjectId(issued.id);
    const now = new Date();
    const written = await Promise.all([0, 1, 2, 3].map((offset) => repository.recordUse(id, new Date(now.getTime() + offset), LAST_USED_PRECISION_MS)));
    expect(written.filter(Boolean)).toHaveLength(1);
    // A minute after the latest of those uses, whichever won, the next one is written.
    expect(await repository.recordUse(id, new Date(now.getTime() + 3 + LAST_USED_PRECISION_MS), LAST_USED_PRECISION_MS)).toBe(true);
  });

  it("sets and clears a key's own rate limits", async () => {
    const issued = await tenancy.issueApiKey(tenant.clientId, 'limited', Role.Owner, [], { rateLimits: { perMinute: 100 } });
    expect(issued).toMatchObject({ rate_limit_per_minute: 100, expensive_rate_limit_per_minute: null });
    expect(await tenancy.setApiKeyRateLimits(issued.id, { expensivePerMinute: 5 })).toMatchObject({
      rate_limit_per_minute: 100,
      expensive_rate_limit_per_minute: 5,
    });
    expect(await tenancy.setApiKeyRateLimits(issued.id, { perMinute: null })).toMatchObject({
      rate_limit_per_minute: null,
      expensive_rate_limit_per_minute: 5,
    });
    await expect(tenancy.setApiKeyRateLimits(issued.id, { perMinute: 0 })).rejects.toThrow('Validation failed');
    await expect(tenancy.setApiKeyRateLimits(new Types.ObjectId().toHexString(), { perMinute: 5 })).rejects.toThrow(/No API key/);
  });
});
