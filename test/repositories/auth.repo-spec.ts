import { Types } from 'mongoose';
import { ApiKeyRepository, NewApiKey } from '../../src/auth/api-key.repository';
import { ApiKey, ApiKeySchema } from '../../src/auth/api-key.schema';
import { ClientRepository } from '../../src/auth/client.repository';
import { Client, ClientSchema } from '../../src/auth/client.schema';
import { Role } from '../../src/auth/permissions';
import { NewSession, SessionRepository } from '../../src/auth/session.repository';
import { Session, SessionSchema } from '../../src/auth/session.schema';
import { isDuplicateKeyError } from '../../src/core/mongo-errors';
import { describeWithMongo } from '../support/mongo';
import { createRepositoryTestBed, RepositoryTestBed } from '../support/repositories';

describeWithMongo('Client, API-key and session repositories (MongoDB)', () => {
  let bed: RepositoryTestBed;
  let clients: ClientRepository;
  let keys: ApiKeyRepository;
  let sessions: SessionRepository;

  beforeAll(async () => {
    bed = await createRepositoryTestBed(
      [
        { name: Client.name, schema: ClientSchema },
        { name: ApiKey.name, schema: ApiKeySchema },
        { name: Session.name, schema: SessionSchema },
      ],
      [ClientRepository, ApiKeyRepository, SessionRepository],
    );
    clients = bed.get(ClientRepository);
    keys = bed.get(ApiKeyRepository);
    sessions = bed.get(SessionRepository);
  });
  afterAll(() => bed.close());

  const newKey = (clientId: string): NewApiKey => ({
    id: new Types.ObjectId(),
    clientId,
    name: 'ci',
    role: Role.Member,
    permissions: [],
    secretHash: 'hash',
    expiresAt: null,
    rateLimits: { perMinute: null, expensivePerMinute: null },
  });

  const newSession = (clientId: string, changes: Partial<NewSession> = {}): NewSession => ({
    clientId,
    name: 'line',
    provider: 'sandbox',
    phoneNumber: null,
    accessTokenHash: 'token-hash',
    providerAccountId: null,
    webhookVerifyTokenHash: null,
    credentialsEncrypted: null,
    rateLimitPerSecond: null,
    ...changes,
  });

  it('creates and lists clients', async () => {
    const created = await clients.create('Acme');
    expect(await clients.findById(created._id.toHexString())).toMatchObject({ name: 'Acme' });
    expect((await clients.list()).map(({ name }) => name)).toContain('Acme');
  });

  it("records a key's use at most once per precision window, whichever process writes first", async () => {
    const key = await keys.create(newKey(new Types.ObjectId().toHexString()));
    const at = new Date('2030-01-01T00:00:00Z');
    const racing = await Promise.all([keys.recordUse(key._id, at, 60_000), keys.recordUse(key._id, at, 60_000)]);
    expect(racing.filter(Boolean)).toHaveLength(1);
    expect(await keys.recordUse(key._id, new Date(at.getTime() + 59_000), 60_000)).toBe(false);
    expect(await keys.recordUse(key._id, new Date(at.getTime() + 60_000), 60_000)).toBe(true);
    const stored = await keys.findById(key._id.toHexString());
    expect(stored!.last_used_at).toEqual(new Date(at.getTime() + 60_000));
    // A use is not a change of the key: updatedAt stays.
    expect(stored!.updatedAt).toEqual(key.updatedAt);
  });

  it("sets a key's own limits (null: back to the default) and revokes it once", async () => {
    const key = await keys.create(newKey(new Types.ObjectId().toHexString()));
    const id = key._id.toHexString();
    expect(await keys.setRateLimits(id, { perMinute: 10 })).toMatchObject({ rate_limit_per_minute: 10, expensive_rate_limit_per_minute: null });
    expect(await keys.setRateLimits(id, { perMinute: null, expensivePerMinute: 3 })).toMatchObject({ rate_limit_per_minute: null, expensive_rate_limit_per_minute: 3 });
    expect(await keys.setRateLimits('nope', { perMinute: 1 })).toBeNull();
    expect(await keys.revoke(id)).toBe(true);
    expect(await keys.revoke(id)).toBe(false);
    expect((await keys.findById(id))!.revoked_at).toBeInstanceOf(Date);
  });

  it('keeps one session per provider sender, but any number of senders without an account id', async () => {
    const clientId = new Types.ObjectId().toHexString();
    await sessions.create(newSession(clientId));
    await sessions.create(newSession(clientId));
    await sessions.create(newSession(clientId, { provider: 'cloud-api', providerAccountId: '106540352242922', webhookVerifyTokenHash: 'verify-hash' }));
    const duplicate = sessions.create(newSession(new Types.ObjectId().toHexString(), { provider: 'cloud-api', providerAccountId: '106540352242922' }));
    await expect(duplicate.catch((error: unknown) => isDuplicateKeyError(error))).resolves.toBe(true);
    expect(await sessions.findByProviderAccount('cloud-api', '106540352242922')).toMatchObject({ client_id: new Types.ObjectId(clientId) });
    expect(await sessions.existsWithWebhookVerifyTokenHash('cloud-api', 'verify-hash')).toBe(true);
    expect(await sessions.existsWithWebhookVerifyTokenHash('sandbox', 'verify-hash')).toBe(false);
    expect(await sessions.listByClient(clientId)).toHaveLength(3);
  });

  it("finds a session only for its client, and records its health", async () => {
    const clientId = new Types.ObjectId().toHexString();
    const session = await sessions.create(newSession(clientId));
    const id = session._id.toHexString();
    expect(session).toMatchObject({ health: 'healthy' });
    expect(await sessions.findForClient(new Types.ObjectId().toHexString(), id)).toBeNull();
    expect(await sessions.findForClient(clientId, 'nope')).toBeNull();
    await sessions.setHealth(id, 'unhealthy', 'Access token expired');
    expect(await sessions.findForClient(clientId, id)).toMatchObject({ health: 'unhealthy', health_reason: 'Access token expired' });
  });

  it('rotates a key only from the secret it was read with, and counts active owner keys', async () => {
    const client = (await clients.create('rotations'))._id.toHexString();
    const owner = await keys.create({ ...newKey(client), role: Role.Owner, secretHash: 'first' });
    const at = new Date();
    const graceEnds = new Date(at.getTime() + 60_000);
    const rotated = await keys.rotate(client, owner._id.toHexString(), { expectedHash: 'first', secretHash: 'second', previousHash: 'first', previousExpiresAt: graceEnds, at });
    expect(rotated).toMatchObject({ secret_hash: 'second', previous_secret_hash: 'first', previous_secret_expires_at: graceEnds, rotated_at: at });
    // A second rotation read before the first landed matches nothing; another client's id neither.
    expect(await keys.rotate(client, owner._id.toHexString(), { expectedHash: 'first', secretHash: 'third', previousHash: null, previousExpiresAt: null, at })).toBeNull();
    const other = (await clients.create('other'))._id.toHexString();
    expect(await keys.rotate(other, owner._id.toHexString(), { expectedHash: 'second', secretHash: 'third', previousHash: null, previousExpiresAt: null, at })).toBeNull();
    expect(await keys.findOwned(other, owner._id.toHexString())).toBeNull();

    await keys.create({ ...newKey(client), role: Role.Owner, expiresAt: new Date(at.getTime() - 1000) });
    await keys.create(newKey(client));
    expect(await keys.countActiveOwners(client, at)).toBe(1);
    expect(await keys.revoke(owner._id.toHexString(), at)).toBe(true);
    expect(await keys.countActiveOwners(client, at)).toBe(0);
    await keys.restore(owner._id.toHexString(), at);
    expect(await keys.countActiveOwners(client, at)).toBe(1);
  });
});
