import { UnauthorizedException } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { Types } from 'mongoose';
import { Clock } from '../core/clock';
import { ApiKeyRepository } from './api-key.repository';
import type { ApiKeyRecord } from './api-key.schema';
import { AuthService, LAST_USED_PRECISION_MS } from './auth.service';
import { Permission, Role } from './permissions';
import { formatApiKey, generateSecret, hashSecret } from './secrets';
import { SessionRepository } from './session.repository';
import type { SessionRecord } from './session.schema';

function keyRecord(clientId: Types.ObjectId, overrides: Partial<ApiKeyRecord> = {}): { record: ApiKeyRecord; key: string } {
  const secret = generateSecret();
  const id = new Types.ObjectId();
  const record: ApiKeyRecord = {
    _id: id,
    client_id: clientId,
    name: 'k',
    role: Role.Member,
    permissions: [],
    secret_hash: hashSecret(secret),
    revoked_at: null,
    createdAt: new Date(),
    updatedAt: new Date(),
    ...overrides,
  };
  return { record, key: formatApiKey(id.toHexString(), secret) };
}

describe('AuthService', () => {
  const clientA = new Types.ObjectId();
  const clientB = new Types.ObjectId();
  const keys = new Map<string, ApiKeyRecord>();
  const sessions = new Map<string, SessionRecord>();
  let auth: AuthService;
  const apiKeys: jest.Mocked<Pick<ApiKeyRepository, 'findById' | 'recordUse'>> = {
    findById: jest.fn((id: string) => Promise.resolve(keys.get(id) ?? null)),
    recordUse: jest.fn((_id: Types.ObjectId, _at: Date, _precisionMs: number) => Promise.resolve(true)),
  };

  const sessionRepository: jest.Mocked<Pick<SessionRepository, 'findForClient'>> = {
    findForClient: jest.fn(async (clientId, id) => {
      const session = sessions.get(id);
      return session && session.client_id.toHexString() === clientId ? session : null;
    }),
  };

  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({
      providers: [
        AuthService,
        { provide: ApiKeyRepository, useValue: apiKeys },
        { provide: SessionRepository, useValue: sessionRepository },
        Clock,
      ],
    }).compile();
    auth = moduleRef.get(AuthService);
  });

  function register(clientId: Types.ObjectId, overrides: Partial<ApiKeyRecord> = {}): string {
    const { record, key } = keyRecord(clientId, overrides);
    keys.set(record._id.toHexString(), record);
    return key;
  }

  function session(clientId: Types.ObjectId, token: string): string {
    const id = new Types.ObjectId();
    sessions.set(id.toHexString(), {
      _id: id,
      client_id: clientId,
      name: 's',
      provider: 'sandbox',
      phone_number: null,
      access_token_hash: hashSecret(token),
      credentials_encrypted: null,
      rate_limit_per_second: 5,
      health: 'healthy',
      health_reason: null,
      createdAt: new Date(),
      updatedAt: new Date(),
    });
    return id.toHexString();
  }

  it('resolves a key to its client, role and effective permissions', async () => {
    const key = register(clientA, { role: Role.ReadOnly, permissions: [Permission.WhatsappLogRead] });
    const principal = await auth.authenticate([{ source: 'x-api-key', key }], null);
    expect(principal.clientId).toBe(clientA.toHexString());
    expect(principal.role).toBe(Role.ReadOnly);
    expect(principal.permissions.has(Permission.WhatsappLogRead)).toBe(true);
    expect(principal.permissions.has(Permission.BroadcastWrite)).toBe(false);
    expect(principal.session).toBeNull();
  });

  it('refuses a missing key, an unknown one, a wrong secret and a revoked one', async () => {
    await expect(auth.authenticate([], null)).rejects.toThrow(/Missing API key/);
    const unknown = formatApiKey(new Types.ObjectId().toHexString(), generateSecret());
    await expect(auth.authenticate([{ source: 'ApiKey', key: unknown }], null)).rejects.toThrow('Invalid API key in ApiKey');
    const real = register(clientA);
    const wrongSecret = real.slice(0, 29) + generateSecret();
    await expect(auth.authenticate([{ source: 'ApiKey', key: wrongSecret }], null)).rejects.toThrow(UnauthorizedException);
    const revoked = register(clientA, { revoked_at: new Date() });
    await expect(auth.authenticate([{ source: 'Authorization', key: revoked }], null)).rejects.toThrow(/revoked/);
  });

  it('refuses keys of two different clients in one request', async () => {
    const a = register(clientA);
    const b = register(clientB);
    await expect(
      auth.authenticate([{ source: 'Authorization', key: a }, { source: 'x-api-key', key: b }], null),
    ).rejects.toThrow('The API keys in Authorization and x-api-key belong to different clients');
  });

  it("checks the session's access token and ownership", async () => {
    const key = register(clientA);
    const sessionId = session(clientA, 'st_right');
    const foreignSession = session(clientB, 'st_other');
    const principal = await auth.authenticate([{ source: 'x-api-key', key }], { sessionId, accessToken: 'st_right' });
    expect(principal.session).toMatchObject({ id: sessionId, provider: 'sandbox', rateLimitPerSecond: 5 });
    await expect(auth.authenticate([{ source: 'x-api-key', key }], { sessionId, accessToken: 'st_wrong' })).rejects.toThrow(
      'Invalid session_id or access_token',
    );
    await expect(
      auth.authenticate([{ source: 'x-api-key', key }], { sessionId: foreignSession, accessToken: 'st_other' }),
    ).rejects.toThrow('Invalid session_id or access_token');
  });

  it('refuses an expired key, saying so, and accepts it until then', async () => {
    const expiresAt = new Date('2030-01-01T00:00:00.000Z');
    const key = register(clientA, { expires_at: expiresAt });
    await expect(auth.authenticate([{ source: 'x-api-key', key }], null, new Date('2029-12-31T23:59:59.000Z'))).resolves.toBeDefined();
    await expect(auth.authenticate([{ source: 'x-api-key', key }], null, expiresAt)).rejects.toThrow(
      'The API key in x-api-key expired on 2030-01-01T00:00:00.000Z',
    );
  });

  it('accepts the secret a rotation replaced until its grace period ends, then only the new one', async () => {
    const oldSecret = generateSecret();
    const graceEnds = new Date('2030-01-02T00:00:00.000Z');
    const key = register(clientA, { previous_secret_hash: hashSecret(oldSecret), previous_secret_expires_at: graceEnds });
    const oldKey = formatApiKey(key.split('_')[1], oldSecret);
    const before = new Date('2030-01-01T23:59:59.000Z');
    await expect(auth.authenticate([{ source: 'x-api-key', key: oldKey }], null, before)).resolves.toBeDefined();
    await expect(auth.authenticate([{ source: 'x-api-key', key }], null, before)).resolves.toBeDefined();
    await expect(auth.authenticate([{ source: 'x-api-key', key: oldKey }], null, graceEnds)).rejects.toThrow('Invalid API key in x-api-key');
    await expect(auth.authenticate([{ source: 'x-api-key', key }], null, graceEnds)).resolves.toBeDefined();
  });

  it("carries the key's own rate limits, null when it has none", async () => {
    const own = register(clientA, { rate_limit_per_minute: 10, expensive_rate_limit_per_minute: 2 });
    expect((await auth.authenticate([{ source: 'x-api-key', key: own }], null)).rateLimits).toEqual({ perMinute: 10, expensivePerMinute: 2 });
    const plain = register(clientA);
    expect((await auth.authenticate([{ source: 'x-api-key', key: plain }], null)).rateLimits).toEqual({ perMinute: null, expensivePerMinute: null });
  });

  it('records a use only when the stored last use is a minute old or more', async () => {
    const now = new Date('2030-06-01T12:00:00.000Z');
    const recent = new Date(now.getTime() - LAST_USED_PRECISION_MS + 1000);
    const fresh = register(clientA, { last_used_at: recent });
    apiKeys.recordUse.mockClear();
    await auth.authenticate([{ source: 'x-api-key', key: fresh }], null, now);
    expect(apiKeys.recordUse).not.toHaveBeenCalled();

    const stale = register(clientA, { last_used_at: new Date(now.getTime() - LAST_USED_PRECISION_MS) });
    const never = register(clientA);
    await auth.authenticate([{ source: 'x-api-key', key: stale }], null, now);
    await auth.authenticate([{ source: 'x-api-key', key: never }], null, now);
    expect(apiKeys.recordUse).toHaveBeenCalledTimes(2);
    expect(apiKeys.recordUse).toHaveBeenCalledWith(expect.any(Types.ObjectId), now, LAST_USED_PRECISION_MS);
  });

  it('authenticates even when the last use cannot be written', async () => {
    apiKeys.recordUse.mockRejectedValueOnce(new Error('MongoDB write failed'));
    const key = register(clientA);
    await expect(auth.authenticate([{ source: 'x-api-key', key }], null)).resolves.toMatchObject({ clientId: clientA.toHexString() });
  });
});
