import { UnauthorizedException } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { Types } from 'mongoose';
import { ApiKeyRepository } from './api-key.repository';
import type { ApiKeyRecord } from './api-key.schema';
import { AuthService } from './auth.service';
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

  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({
      providers: [
        AuthService,
        { provide: ApiKeyRepository, useValue: { findById: (id: string) => Promise.resolve(keys.get(id) ?? null) } },
        {
          provide: SessionRepository,
          useValue: {
            findForClient: (clientId: string, id: string) => {
              const session = sessions.get(id);
              return Promise.resolve(session && session.client_id.toHexString() === clientId ? session : null);
            },
          },
        },
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
});
