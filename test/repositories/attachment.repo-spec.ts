import { Types } from 'mongoose';
import { AttachmentRepository, NewAttachment } from '../../src/attachment/attachment.repository';
import { Attachment, AttachmentSchema } from '../../src/attachment/attachment.schema';
import { describeWithMongo } from '../support/mongo';
import { createRepositoryTestBed, RepositoryTestBed } from '../support/repositories';

describeWithMongo('AttachmentRepository (MongoDB)', () => {
  let bed: RepositoryTestBed;
  let attachments: AttachmentRepository;
  const clientId = new Types.ObjectId().toHexString();
  const otherClient = new Types.ObjectId().toHexString();
  let sequence = 0;

  beforeAll(async () => {
    bed = await createRepositoryTestBed([{ name: Attachment.name, schema: AttachmentSchema }], [AttachmentRepository]);
    attachments = bed.get(AttachmentRepository);
  });
  afterAll(() => bed.close());

  const newAttachment = (owner: string): NewAttachment => {
    const name = `FILE${String(++sequence).padStart(11, '0')}`;
    return { id: new Types.ObjectId().toHexString(), clientId: owner, type: 'png', mimetype: 'image/png', name, path: `./public/attachments/${name}.png`, size: 42 };
  };

  it('stores a record under the id chosen before the upload finished', async () => {
    const wanted = newAttachment(clientId);
    const created = await attachments.create(wanted);
    expect(created._id.toHexString()).toBe(wanted.id);
    expect(await attachments.findOwned(clientId, wanted.id)).toMatchObject({ name: wanted.name, size: 42, mimetype: 'image/png' });
  });

  it("scopes every read and delete to the client: foreign, unknown and malformed ids are left out", async () => {
    const own = await attachments.create(newAttachment(clientId));
    const foreign = await attachments.create(newAttachment(otherClient));
    const ids = [own._id.toHexString(), foreign._id.toHexString(), new Types.ObjectId().toHexString(), 'nope', own._id.toHexString()];
    expect((await attachments.findManyOwned(clientId, ids)).map(({ _id }) => _id.toHexString())).toEqual([own._id.toHexString()]);
    expect(await attachments.findManyOwned(clientId, ['nope'])).toEqual([]);
    expect(await attachments.findOwned(clientId, foreign._id.toHexString())).toBeNull();
    expect(await attachments.deleteOwned(clientId, foreign._id.toHexString())).toBeNull();
    expect(await attachments.deleteOwned(clientId, own._id.toHexString())).toMatchObject({ name: own.name });
    expect(await attachments.findOwned(clientId, own._id.toHexString())).toBeNull();
  });

  it('lists newest first with the total', async () => {
    const listed = new Types.ObjectId().toHexString();
    const first = await attachments.create(newAttachment(listed));
    const second = await attachments.create(newAttachment(listed));
    const page = await attachments.listByClient(listed, { page: 1, limit: 10 });
    expect(page.total).toBe(2);
    expect(page.items.map(({ _id }) => _id.toHexString())).toEqual([second._id.toHexString(), first._id.toHexString()]);
  });
});
