import { Types } from 'mongoose';
import { AuditLogRepository, NewAuditEntry } from '../../src/audit-log/audit-log.repository';
import { AuditLogEntry, AuditLogEntrySchema } from '../../src/audit-log/audit-log.schema';
import { describeWithMongo } from '../support/mongo';
import { createRepositoryTestBed, RepositoryTestBed } from '../support/repositories';

describeWithMongo('Audit-log repository (MongoDB)', () => {
  let bed: RepositoryTestBed;
  let audit: AuditLogRepository;
  const alice = new Types.ObjectId().toHexString();
  const bob = new Types.ObjectId().toHexString();
  const ownerKey = new Types.ObjectId().toHexString();
  const otherKey = new Types.ObjectId().toHexString();

  const entry = (clientId: string, changes: Partial<NewAuditEntry> = {}): NewAuditEntry => ({
    clientId,
    kind: 'api-key',
    action: 'created',
    targetId: new Types.ObjectId().toHexString(),
    actorKeyId: ownerKey,
    route: 'POST /keys',
    ip: '203.0.113.7',
    fields: ['name', 'role'],
    ...changes,
  });

  beforeAll(async () => {
    bed = await createRepositoryTestBed([{ name: AuditLogEntry.name, schema: AuditLogEntrySchema }], [AuditLogRepository]);
    audit = bed.get(AuditLogRepository);
    // Alice: 5 key changes by her owner key, 2 endpoint changes by another key; Bob: 1.
    for (let index = 0; index < 5; index++) await audit.append(entry(alice));
    await audit.append(entry(alice, { kind: 'webhook-endpoint', action: 'updated', actorKeyId: otherKey, route: 'PATCH /webhook-endpoints/:id' }));
    await audit.append(entry(alice, { kind: 'webhook-endpoint', action: 'deleted', actorKeyId: otherKey, route: 'DELETE /webhook-endpoints/:id' }));
    await audit.append(entry(bob));
  });
  afterAll(() => bed.close());

  it("pages a client's entries newest first by cursor, one read past the page telling whether more follow", async () => {
    const first = await audit.page(alice, { limit: 3 });
    expect(first.items).toHaveLength(3);
    expect(first.more).toBe(true);
    expect(first.items.map((item) => item.action)).toEqual(['deleted', 'updated', 'created']);
    const second = await audit.page(alice, { limit: 3, before: first.items[2]._id.toHexString() });
    const third = await audit.page(alice, { limit: 3, before: second.items[2]._id.toHexString() });
    expect(third.items).toHaveLength(1);
    expect(third.more).toBe(false);
    const ids = [...first.items, ...second.items, ...third.items].map((item) => item._id.toHexString());
    expect(new Set(ids).size).toBe(7);
    expect([...first.items, ...second.items, ...third.items].every((item) => item.client_id.toHexString() === alice)).toBe(true);
  });

  it('filters by kind and by actor, within the client only', async () => {
    const endpoints = await audit.page(alice, { kind: 'webhook-endpoint', limit: 10 });
    expect(endpoints.items.map((item) => item.route)).toEqual(['DELETE /webhook-endpoints/:id', 'PATCH /webhook-endpoints/:id']);
    const byOther = await audit.page(alice, { actorKeyId: otherKey, limit: 10 });
    expect(byOther.items).toHaveLength(2);
    expect((await audit.page(bob, { actorKeyId: otherKey, limit: 10 })).items).toEqual([]);
    expect((await audit.page(bob, { limit: 10 })).items).toHaveLength(1);
  });

  it('deletes entries older than the cutoff in batches, and only those', async () => {
    const old = new Date(Date.now() - 400 * 86_400_000);
    await bed.connection.collection('audit_log').insertMany([
      { client_id: new Types.ObjectId(alice), kind: 'session', action: 'created', target_id: null, actor_key_id: ownerKey, route: 'POST /sessions', ip: null, fields: [], createdAt: old },
      { client_id: new Types.ObjectId(bob), kind: 'session', action: 'created', target_id: null, actor_key_id: ownerKey, route: 'POST /sessions', ip: null, fields: [], createdAt: old },
    ]);
    const cutoff = new Date(Date.now() - 365 * 86_400_000);
    expect(await audit.deleteOlderThan(cutoff, 1)).toBe(1);
    expect(await audit.deleteOlderThan(cutoff, 10)).toBe(1);
    expect(await audit.deleteOlderThan(cutoff, 10)).toBe(0);
    expect(await bed.connection.collection('audit_log').countDocuments()).toBe(8);
  });
});
