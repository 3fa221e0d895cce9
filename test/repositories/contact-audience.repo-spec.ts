import { Types } from 'mongoose';
import { CONTACT_AUDIENCE_INDEXES, ContactRepository } from '../../src/contact/contact.repository';
import { Contact, ContactSchema } from '../../src/contact/contact.schema';
import { MAX_CONSENT_HISTORY } from '../../src/contact/contact-consent';
import { withIndexes } from '../../src/core/schema-indexes';
import { describeWithMongo } from '../support/mongo';
import { createRepositoryTestBed, RepositoryTestBed } from '../support/repositories';

describeWithMongo('ContactRepository: audiences (MongoDB)', () => {
  let bed: RepositoryTestBed;
  let contacts: ContactRepository;
  const clientId = new Types.ObjectId().toHexString();
  const otherClient = new Types.ObjectId().toHexString();
  const fields = (name: string) => ({ name, email: null, organization: null });

  beforeAll(async () => {
    bed = await createRepositoryTestBed([{ name: Contact.name, schema: withIndexes(ContactSchema, CONTACT_AUDIENCE_INDEXES) }], [ContactRepository]);
    contacts = bed.get(ContactRepository);
  });
  afterAll(() => bed.close());

  it('imports by upsert on the number: a new contact is created once, an existing one gets $set and added tags', async () => {
    const now = new Date();
    const insert = { kind: 'insert' as const, phone: '2348031240001', fields: fields('Ada'), attributes: { city: 'Lagos' }, tags: ['vip'], optIn: null, optedOutAt: null, history: [] };
    await contacts.applyImport(clientId, [insert]);
    // The same insert again (a number created meanwhile) changes nothing and makes no duplicate.
    await contacts.applyImport(clientId, [{ ...insert, fields: fields('Other') }]);
    const [created] = await contacts.findForImport(clientId, ['2348031240001']);
    expect(created).toMatchObject({ name: 'Ada', attributes: { city: 'Lagos' }, tags: ['vip'] });
    await contacts.applyImport(clientId, [{ kind: 'update', id: created._id, set: { 'attributes.orders': 4, name: 'Ada O' }, addTags: ['vip', 'gold'], history: [{ action: 'opt_out', at: now, source: 'csv_import', text: null }] }]);
    const [updated] = await contacts.findForImport(clientId, ['2348031240001']);
    expect(updated).toMatchObject({ name: 'Ada O', attributes: { city: 'Lagos', orders: 4 }, tags: ['vip', 'gold'] });
    expect(await contacts.findForImport(otherClient, ['2348031240001'])).toEqual([]);
  });

  it('keeps the newest consent events only, and reads the current opt-in', async () => {
    const created = await contacts.create(clientId, { ...fields('Bola'), phone: '2348031240002' });
    const id = created._id.toHexString();
    const events = Array.from({ length: MAX_CONSENT_HISTORY + 5 }, (_value, index) => ({ action: 'opt_in' as const, at: new Date(1_700_000_000_000 + index), source: 'api' as const, text: `#${index}` }));
    const updated = await contacts.updateAudience(clientId, id, { optIn: { at: new Date(), source: 'api', text: null }, consentEvents: events });
    expect(updated?.consent_history).toHaveLength(MAX_CONSENT_HISTORY);
    expect(updated?.consent_history?.[0].text).toBe('#5');
    expect(await contacts.withCurrentOptIn(clientId, ['2348031240002', '2348031240001'])).toEqual(new Set(['2348031240002']));
    await contacts.setOptedOut(clientId, '2348031240002', true, new Date());
    expect(await contacts.withCurrentOptIn(clientId, ['2348031240002'])).toEqual(new Set());
    expect(await contacts.updateAudience(otherClient, id, { tags: ['x'] })).toBeNull();
  });

  it('pages a filter in _id order after a cursor, and streams the same contacts', async () => {
    const phones = ['2348031240010', '2348031240011', '2348031240012'];
    for (const phone of phones) {
      const created = await contacts.create(clientId, { ...fields(phone), phone });
      await contacts.addTags(clientId, created._id.toHexString(), ['paged']);
    }
    const first = await contacts.pageByFilter(clientId, { tags: { all: ['paged'] } }, null, 2);
    const second = await contacts.pageByFilter(clientId, { tags: { all: ['paged'] } }, first[1]._id, 2);
    expect([...first, ...second].map(({ phone }) => phone)).toEqual(phones);
    const streamed: string[] = [];
    for await (const contact of contacts.streamByFilter(clientId, { tags: { any: ['paged'] } })) streamed.push(contact.phone);
    expect(streamed).toEqual(phones);
    expect(await contacts.countByFilter(otherClient, { tags: { any: ['paged'] } })).toBe(0);
  });
});
