import { Types } from 'mongoose';
import { CatalogueTemplate, TemplateRepository } from '../../src/template/template.repository';
import { templateEventsOf } from '../../src/template/template-events';
import { MessageTemplateEntry, MessageTemplateSchema } from '../../src/template/template.schema';
import { templateView } from '../../src/template/template.view';
import { describeWithMongo } from '../support/mongo';
import { createRepositoryTestBed, RepositoryTestBed } from '../support/repositories';

describeWithMongo('TemplateRepository (MongoDB)', () => {
  let bed: RepositoryTestBed;
  let templates: TemplateRepository;
  const account = 'waba:102290129340398';

  beforeAll(async () => {
    bed = await createRepositoryTestBed([{ name: MessageTemplateEntry.name, schema: MessageTemplateSchema }], [TemplateRepository]);
    templates = bed.get(TemplateRepository);
  });
  afterAll(() => bed.close());

  const template = (name: string, overrides: Partial<CatalogueTemplate> = {}): CatalogueTemplate => ({
    templateId: `id-${name}`,
    name,
    language: 'en_US',
    status: 'APPROVED',
    category: 'UTILITY',
    components: [{ type: 'BODY', text: `${name} {{1}}` }],
    parameterFormat: null,
    qualityScore: 'GREEN',
    rejectedReason: null,
    ...overrides,
  });

  it("replaces a client's copy of a catalogue with what a sync read, answering what it was before; another client's copy is untouched", async () => {
    const alice = new Types.ObjectId().toHexString();
    const bob = new Types.ObjectId().toHexString();
    await templates.replaceCatalogue(alice, account, [template('order_update'), template('old_promo')], new Date(Date.now() - 1000));
    await templates.replaceCatalogue(bob, account, [template('order_update')]);
    const { before } = await templates.replaceCatalogue(alice, account, [template('order_update', { status: 'PAUSED' }), template('welcome')]);
    expect(before.map(({ name, status }) => [name, status]).sort()).toEqual([
      ['old_promo', 'APPROVED'],
      ['order_update', 'APPROVED'],
    ]);
    const now = await templates.list(alice, account, {}, { page: 1, limit: 10 });
    expect(now.items.map(({ name, status }) => [name, status])).toEqual([
      ['order_update', 'PAUSED'],
      ['welcome', 'APPROVED'],
    ]);
    expect((await templates.list(bob, account, {}, { page: 1, limit: 10 })).items.map(({ status }) => status)).toEqual(['APPROVED']);
    expect((await templates.list(alice, account, { namePrefix: 'wel', status: 'APPROVED' }, { page: 1, limit: 10 })).total).toBe(1);
    // A prefix is matched literally.
    expect((await templates.list(alice, account, { namePrefix: '.*' }, { page: 1, limit: 10 })).total).toBe(0);
  });

  it('applies a lifecycle change once per copy, to every client or one, and reads another client’s id as missing', async () => {
    const alice = new Types.ObjectId().toHexString();
    const bob = new Types.ObjectId().toHexString();
    const own = await templates.insert(alice, account, template('shared'));
    await templates.insert(bob, account, template('shared'));
    const applied = await templates.applyChanges(account, { templateId: 'id-shared' }, { status: 'PAUSED' });
    expect(applied.map(({ before, after }) => [before.client_id.toHexString(), before.status, after.status]).sort()).toEqual(
      [
        [alice, 'APPROVED', 'PAUSED'],
        [bob, 'APPROVED', 'PAUSED'],
      ].sort(),
    );
    // The same notification again changes nothing.
    expect(await templates.applyChanges(account, { templateId: 'id-shared' }, { status: 'PAUSED' })).toEqual([]);
    expect(await templates.applyChanges(account, { name: 'shared', language: 'en_US' }, { status: 'APPROVED' }, alice)).toHaveLength(1);
    expect((await templates.findOwned(alice, own._id.toHexString()))?.status).toBe('APPROVED');
    expect(await templates.findOwned(bob, own._id.toHexString())).toBeNull();
    expect(await templates.deleteOwned(bob, own._id.toHexString())).toBe(false);
    expect(await templates.deleteByName(alice, account, 'shared')).toBe(1);
  });

  it("records a change's events on the template in the change's own update, finds those left behind, and takes published ones off", async () => {
    const client = new Types.ObjectId().toHexString();
    await templates.replaceCatalogue(client, account, [template('outboxed'), template('steady')], new Date(Date.now() - 1000));
    const syncedAt = new Date();
    const { recorded } = await templates.replaceCatalogue(client, account, [template('outboxed', { status: 'PAUSED', qualityScore: 'RED' }), template('steady')], syncedAt, templateEventsOf);
    const [[id, events]] = [...recorded];
    expect(events.map(({ event }) => event.type)).toEqual(['template.status_changed', 'template.quality_changed']);
    expect(events[0]).toMatchObject({ clientId: client, event: { data: { template: { name: 'outboxed', status: 'PAUSED' }, previous_status: 'APPROVED' } } });

    // Left unpublished: the sweep finds it once it is older than its cutoff, with both events, and not the unchanged template.
    expect(await templates.outbox.findLeftovers(new Date(syncedAt.getTime() - 1), 100)).toEqual([]);
    const left = (await templates.outbox.findLeftovers(new Date(syncedAt.getTime() + 1), 100)).filter((found) => found.id.toHexString() === id);
    expect(left.map((found) => found.events.map(({ event }) => event.id))).toEqual([events.map(({ event }) => event.id)]);
    // The API never shows it.
    expect((await templates.list(client, account, {}, { page: 1, limit: 10 })).items.every((item) => !('client_events' in templateView(item)))).toBe(true);

    // A lifecycle change records its own event beside the one still waiting; taking one off leaves the other.
    const [applied] = await templates.applyChanges(account, { name: 'outboxed', language: 'en_US' }, { status: 'APPROVED' }, client, templateEventsOf);
    expect(applied.events.map(({ event }) => [event.type, event.data.previous_status])).toEqual([['template.status_changed', 'PAUSED']]);
    expect(applied.after).not.toHaveProperty('client_events');
    await templates.outbox.clear([{ id: applied.after._id, eventIds: events.map(({ event }) => event.id) }]);
    const waiting = await templates.outbox.findLeftovers(new Date(Date.now() + 1000), 100);
    expect(waiting.find((found) => found.id.equals(applied.after._id))?.events.map(({ event }) => event.id)).toEqual([applied.events[0].event.id]);
    await templates.outbox.clear([{ id: applied.after._id, eventIds: [applied.events[0].event.id] }]);
    expect((await templates.outbox.findLeftovers(new Date(Date.now() + 1000), 100)).some((found) => found.id.equals(applied.after._id))).toBe(false);
    // Emptied, the field is gone (and the document out of the outbox's partial index).
    const stored = await templates.findOwned(client, applied.after._id.toHexString());
    expect(stored).not.toHaveProperty('client_events');
  });

  it('finds the sandbox reviews that are due, and only those', async () => {
    const client = new Types.ObjectId().toHexString();
    const sandbox = `sandbox:${new Types.ObjectId().toHexString()}`;
    await templates.insert(client, sandbox, template('due_now', { status: 'PENDING' }), { dueAt: new Date(Date.now() - 1), outcome: 'APPROVED' });
    await templates.insert(client, sandbox, template('due_later', { status: 'PENDING' }), { dueAt: new Date(Date.now() + 60_000), outcome: 'APPROVED' });
    const due = (await templates.findDueReviews(new Date(), 100)).filter((entry) => entry.account === sandbox);
    expect(due.map(({ name, review_outcome }) => [name, review_outcome])).toEqual([['due_now', 'APPROVED']]);
  });
});
