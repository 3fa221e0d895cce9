import { ConflictException, NotFoundException } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { Types } from 'mongoose';
import { Readable } from 'node:stream';
import { AttachmentRepository } from './attachment.repository';
import type { AttachmentRecord } from './attachment.schema';
import { AttachmentService } from './attachment.service';
import { ATTACHMENT_USAGE, AttachmentUsage } from './attachment-usage';
import { AttachmentStorage, StoredFileRef } from './storage/attachment-storage';
import { AttachmentStores } from './storage/attachment-stores';

const CLIENT = new Types.ObjectId().toHexString();

function record(overrides: Partial<AttachmentRecord> = {}): AttachmentRecord {
  return {
    _id: new Types.ObjectId(),
    type: 'pdf',
    mimetype: 'application/pdf',
    name: 'ABCDEFGHIJ12345',
    path: './public/attachments/ABCDEFGHIJ12345.pdf',
    size: 42,
    client_id: new Types.ObjectId(CLIENT),
    createdAt: new Date(),
    updatedAt: new Date(),
    __v: 0,
    ...overrides,
  };
}

/** An in-memory repository with the same tenancy rule as the real one. */
class FakeAttachmentRepository implements Pick<AttachmentRepository, 'findOwned' | 'deleteOwned' | 'findManyOwned'> {
  readonly records = new Map<string, AttachmentRecord>();

  async findOwned(clientId: string, id: string): Promise<AttachmentRecord | null> {
    const found = this.records.get(id);
    return found && found.client_id.toHexString() === clientId ? found : null;
  }

  async deleteOwned(clientId: string, id: string): Promise<AttachmentRecord | null> {
    const found = await this.findOwned(clientId, id);
    if (found) this.records.delete(id);
    return found;
  }

  async findManyOwned(clientId: string, ids: string[]): Promise<AttachmentRecord[]> {
    return ids.map((id) => this.records.get(id)).filter((item): item is AttachmentRecord => item?.client_id.toHexString() === clientId);
  }
}

class FakeStorage implements AttachmentStorage {
  readonly kind = 'local' as const;
  readonly files = new Map<string, Buffer>();
  pathFor(file: StoredFileRef): string {
    return `./public/attachments/${file.fileName}`;
  }
  async write(file: StoredFileRef, source: Readable): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of source) chunks.push(chunk as Buffer);
    this.files.set(file.fileName, Buffer.concat(chunks));
  }
  async open(file: StoredFileRef): Promise<Readable> {
    return Readable.from([this.files.get(file.fileName) ?? Buffer.alloc(0)]);
  }
  async remove(file: StoredFileRef): Promise<void> {
    this.files.delete(file.fileName);
  }
}

async function serviceWith(usage?: jest.Mocked<AttachmentUsage>) {
  const repository = new FakeAttachmentRepository();
  const storage = new FakeStorage();
  const stores: Pick<AttachmentStores, 'holding' | 'forNewUploads'> = { holding: () => storage, forNewUploads: () => storage };
  const moduleRef = await Test.createTestingModule({
    providers: [
      AttachmentService,
      { provide: AttachmentRepository, useValue: repository },
      { provide: AttachmentStores, useValue: stores },
      ...(usage ? [{ provide: ATTACHMENT_USAGE, useValue: usage }] : []),
    ],
  }).compile();
  const stored = record();
  repository.records.set(stored._id.toHexString(), stored);
  storage.files.set(`${stored.name}.${stored.type}`, Buffer.from('%PDF-1.4'));
  return { service: moduleRef.get(AttachmentService), repository, storage, stored };
}

/** The broadcasts' answer to "how many sending broadcasts use it". */
const usageCounting = (count: number): jest.Mocked<AttachmentUsage> => ({ countSendingBroadcastsUsing: jest.fn().mockResolvedValue(count) });

describe('AttachmentService', () => {
  describe('delete while broadcasts use the attachment', () => {
    it('answers 409 naming how many sending broadcasts use it, and keeps record and file', async () => {
      const usage = usageCounting(2);
      const { service, repository, storage, stored } = await serviceWith(usage);
      const id = stored._id.toHexString();

      const attempt = service.remove(CLIENT, id);
      await expect(attempt).rejects.toBeInstanceOf(ConflictException);
      await expect(service.remove(CLIENT, id)).rejects.toThrow(/used by 2 broadcasts still sending/);
      expect(usage.countSendingBroadcastsUsing).toHaveBeenCalledWith(CLIENT, id);
      expect(repository.records.has(id)).toBe(true);
      expect(storage.files.size).toBe(1);
    });

    it('deletes record and file once no sending broadcast uses it', async () => {
      const usage = usageCounting(0);
      const { service, repository, storage, stored } = await serviceWith(usage);
      await service.remove(CLIENT, stored._id.toHexString());
      expect(repository.records.size).toBe(0);
      expect(storage.files.size).toBe(0);
    });

    it('deletes without asking when no usage port is provided (broadcasts not installed)', async () => {
      const { service, repository, stored } = await serviceWith();
      await service.remove(CLIENT, stored._id.toHexString());
      expect(repository.records.size).toBe(0);
    });

    it("answers 404 for another client's attachment without consulting the port", async () => {
      const usage = usageCounting(1);
      const { service, repository, stored } = await serviceWith(usage);
      await expect(service.remove(new Types.ObjectId().toHexString(), stored._id.toHexString())).rejects.toBeInstanceOf(NotFoundException);
      expect(usage.countSendingBroadcastsUsing).not.toHaveBeenCalled();
      expect(repository.records.size).toBe(1);
    });
  });

  describe('for the sending pipeline', () => {
    it('finds only the client\'s attachments among the ids', async () => {
      const { service, repository, stored } = await serviceWith();
      const foreign = record({ client_id: new Types.ObjectId() });
      repository.records.set(foreign._id.toHexString(), foreign);
      const found = await service.findOwned(CLIENT, [stored._id.toHexString(), foreign._id.toHexString(), 'not-an-id']);
      expect(found).toEqual([stored]);
    });

    it('maps stored mimetypes to WhatsApp media kinds', async () => {
      const { service } = await serviceWith();
      expect(service.mediaKindOf(record({ mimetype: 'image/jpeg' }))).toBe('image');
      expect(service.mediaKindOf(record({ mimetype: 'image/webp' }))).toBe('sticker');
      expect(service.mediaKindOf(record({ mimetype: 'audio/mp4' }))).toBe('audio');
      expect(service.mediaKindOf(record({ mimetype: 'video/3gpp' }))).toBe('video');
      expect(service.mediaKindOf(record({ mimetype: 'text/plain' }))).toBe('document');
    });

    it('gives a media source that streams the stored bytes', async () => {
      const { service, stored } = await serviceWith();
      const source = service.mediaSource(stored);
      expect(source).toMatchObject({ id: stored._id.toHexString(), mimetype: 'application/pdf', size: 42, fileName: 'ABCDEFGHIJ12345.pdf' });
      const chunks: Buffer[] = [];
      for await (const chunk of await source.open()) chunks.push(chunk as Buffer);
      expect(Buffer.concat(chunks).toString()).toBe('%PDF-1.4');
    });
  });
});
