import { getConnectionToken } from '@nestjs/mongoose';
import { Connection, mongo } from 'mongoose';
import { createTenant, TestTenant } from './support/factories';
import { describeWithMongo } from './support/mongo';
import { createTestApp, TestApp } from './support/test-app';

type ReadCall = { collection: string; readPreference: string };

describeWithMongo('MongoDB replica-set options from configuration (e2e)', () => {
  let t: TestApp;
  let alice: TestTenant;
  const spies: jest.SpyInstance[] = [];
  const reads: ReadCall[] = [];

  beforeAll(async () => {
    // No worker: its pipeline reads (from the primary) would mingle with the views' reads.
    t = await createTestApp({
      worker: false,
      env: { MONGODB_READ_PREFERENCE: 'secondaryPreferred', MONGODB_WRITE_CONCERN: 'majority', MONGODB_RETRY_WRITES: 'true' },
    });
    alice = await createTenant(t.app, { name: 'Alice' });
    // Every read the driver is asked for, with the read preference it was given (none: the primary).
    for (const method of ['find', 'findOne', 'aggregate', 'countDocuments'] as const) {
      const original = mongo.Collection.prototype[method] as (...args: unknown[]) => unknown;
      spies.push(
        jest.spyOn(mongo.Collection.prototype, method).mockImplementation(function (this: mongo.Collection, ...args: unknown[]) {
          const options = args.find((arg, index) => index > 0 && typeof arg === 'object' && arg !== null && 'readPreference' in arg) as
            | { readPreference?: { mode?: string } }
            | undefined;
          reads.push({ collection: this.collectionName, readPreference: options?.readPreference?.mode ?? 'primary' });
          return original.apply(this, args);
        } as never),
      );
    }
  });
  afterAll(async () => {
    for (const spy of spies) spy.mockRestore();
    await t.close();
  });

  it('gives the driver retryable writes and a majority write concern', () => {
    const client = t.app.get<Connection>(getConnectionToken()).getClient();
    expect(client.options.retryWrites).toBe(true);
    expect(client.options.writeConcern).toMatchObject({ w: 'majority' });
  });

  it('bounds server selection (5 s) and connecting (10 s), and leaves an open socket unbounded (docs/reliability.md says why)', () => {
    const client = t.app.get<Connection>(getConnectionToken()).getClient();
    expect(client.options).toMatchObject({ serverSelectionTimeoutMS: 5000, connectTimeoutMS: 10000, socketTimeoutMS: 0 });
  });

  it('reads the four read views with MONGODB_READ_PREFERENCE, and authentication from the primary', async () => {
    await t.http.post('/v1/messages').set(alice.auth).set(alice.session).send({ to: '2348179803743', message: { text: 'Hello' } }).expect(202);
    reads.length = 0;
    await t.http.get('/message-log').set(alice.auth).set(alice.session).expect(200);
    await t.http.get('/v1/contacts/2348179803743/messages').set(alice.auth).expect(200);
    await t.http.get('/api/v1/external/api-requests').set(alice.auth).expect(200);
    await t.http.post('/api/whatsapp-log/get-list').set(alice.auth).expect(200);
    await t.http.post('/api/whatsapp-log/count').set(alice.auth).expect(200);

    const views = reads.filter((read) => read.collection === 'message_logs' || read.collection === 'whatsapp_logs');
    expect(new Set(views.map((read) => read.collection))).toEqual(new Set(['message_logs', 'whatsapp_logs']));
    expect(views.filter((read) => read.readPreference !== 'secondaryPreferred')).toEqual([]);
    // Looking up the API key and the session is not a read view: it stays on the primary.
    expect(reads.filter((read) => read.collection === 'api_keys').every((read) => read.readPreference === 'primary')).toBe(true);
  });
});
