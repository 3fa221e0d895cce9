import { Types } from 'mongoose';
import { ContactFields, ContactRepository, DuplicateContactPhoneError } from '../../src/contact/contact.repository';
import { Contact, ContactSchema } from '../../src/contact/contact.schema';
import { describeWithMongo } from '../support/mongo';
import { createRepositoryTestBed, RepositoryTestBed } from '../support/repositories';

describeWithMongo('ContactRepository (MongoDB)', () => {
  let bed: RepositoryTestBed;
  let contacts: ContactRepository;
  const clientId = new Types.ObjectId().toHexString();
  const otherClient = new Types.ObjectId().toHexString();

  beforeAll(async () => {
    bed = await createRepositoryTestBed([{ name: Contact.name, schema: ContactSchema }], [ContactRepository]);
    contacts = bed.get(ContactRepository);
  });
  afterAll(() => bed.close());

  const fields = (phone: string, name = 'Ada Lovelace'): ContactFields => ({ name, phone, email: null, organization: null });

  it("keeps a phone number unique per client (the duplicate-key helper names it), not across clients", async () => {
    await contacts.create(clientId, fields('2348031230001'));
    await expect(contacts.create(clientId, fields('2348031230001', 'Again'))).rejects.toThrow(DuplicateContactPhoneError);
    await expect(contacts.create(clientId, fields('2348031230001', 'Again'))).rejects.toThrow('A contact with phone 2348031230001 already exists');
    await expect(contacts.create(otherClient, fields('2348031230001'))).resolves.toMatchObject({ phone: '2348031230001' });
  });

  it("refuses an update onto another contact's number, and leaves both as they were", async () => {
    const first = await contacts.create(clientId, fields('2348031230002', 'First'));
    await contacts.create(clientId, fields('2348031230003', 'Second'));
    await expect(contacts.update(clientId, first._id.toHexString(), { phone: '2348031230003' })).rejects.toThrow(DuplicateContactPhoneError);
    expect(await contacts.findOwned(clientId, first._id.toHexString())).toMatchObject({ phone: '2348031230002', name: 'First' });
    expect(await contacts.update(clientId, first._id.toHexString(), { name: 'Renamed' })).toMatchObject({ name: 'Renamed', phone: '2348031230002' });
  });

  it("finds by id and by phone(s) only within the client; another client's id reads as missing", async () => {
    const own = await contacts.create(clientId, fields('2348031230004', 'Bola'));
    await contacts.create(otherClient, fields('2348031230005', 'Foreign'));
    expect(await contacts.findOwned(otherClient, own._id.toHexString())).toBeNull();
    expect(await contacts.findOwned(clientId, 'nope')).toBeNull();
    expect(await contacts.findByPhone(clientId, '2348031230004')).toMatchObject({ name: 'Bola' });
    expect(await contacts.findByPhone(clientId, '2348031230005')).toBeNull();
    const found = await contacts.findByPhones(clientId, ['2348031230004', '2348031230005', '2348031239999']);
    expect(found.map(({ name, phone }) => ({ name, phone }))).toEqual([{ name: 'Bola', phone: '2348031230004' }]);
    expect(await contacts.update(otherClient, own._id.toHexString(), { name: 'Hijack' })).toBeNull();
    expect(await contacts.delete(otherClient, own._id.toHexString())).toBe(false);
    expect(await contacts.delete(clientId, own._id.toHexString())).toBe(true);
  });

  it('applies opt-out changes in time order: an older one arriving late changes nothing, of two in one second the later arrival wins', async () => {
    const phone = '2348031230009';
    await contacts.create(clientId, fields(phone, 'Opt'));
    const second = new Date('2026-12-01T10:00:00Z');
    expect(await contacts.setOptedOut(clientId, phone, true, second)).toBe(true);
    // START in the same second (WhatsApp's timestamps are whole seconds): the user's last word.
    expect(await contacts.setOptedOut(clientId, phone, false, second)).toBe(true);
    expect(await contacts.findByPhone(clientId, phone)).toMatchObject({ opted_out: false, opted_out_at: null });
    // A STOP from a minute earlier, delivered late.
    expect(await contacts.setOptedOut(clientId, phone, true, new Date(second.getTime() - 60_000))).toBe(false);
    expect(await contacts.findByPhone(clientId, phone)).toMatchObject({ opted_out: false });
  });

  it('lists newest first with the total', async () => {
    const listed = new Types.ObjectId().toHexString();
    const first = await contacts.create(listed, fields('2348031230010', 'One'));
    const second = await contacts.create(listed, fields('2348031230011', 'Two'));
    const page = await contacts.list(listed, { page: 1, limit: 1 });
    expect(page.total).toBe(2);
    expect(page.items.map(({ _id }) => _id.toHexString())).toEqual([second._id.toHexString()]);
    expect((await contacts.list(listed, { page: 2, limit: 1 })).items.map(({ _id }) => _id.toHexString())).toEqual([first._id.toHexString()]);
  });
});
