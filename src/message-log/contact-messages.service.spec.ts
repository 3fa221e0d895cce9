import { BadRequestException, NotFoundException } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { Types } from 'mongoose';
import { AttachmentService } from '../attachment';
import { SessionRepository } from '../auth';
import type { ContactRecord } from '../contact/contact.schema';
import { ContactService } from '../contact/contact.service';
import { ContactMessagesService } from './contact-messages.service';
import { ContactMessagesQueryDto } from './dto/contact-messages-query.dto';
import { ContactMessagesRepository } from './contact-messages.repository';

const CLIENT = '64ac509d05a7cc2b8c2bd9ab';
const CONTACT_ID = '649ff7e0e6046617c8aeabf1';

const query = (fields: Partial<ContactMessagesQueryDto> = {}): ContactMessagesQueryDto =>
  Object.assign(new ContactMessagesQueryDto(), fields);

const contact = (phone: string): ContactRecord => ({
  _id: new Types.ObjectId(CONTACT_ID),
  client_id: new Types.ObjectId(CLIENT),
  name: 'Ada',
  phone,
  email: null,
  organization: null,
  createdAt: new Date(),
  updatedAt: new Date(),
  __v: 0,
});

describe('ContactMessagesService', () => {
  let service: ContactMessagesService;
  const logs: jest.Mocked<Pick<ContactMessagesRepository, 'pageForRecipient'>> = { pageForRecipient: jest.fn() };
  const contacts: jest.Mocked<Pick<ContactService, 'findOwned' | 'findByPhone'>> = { findOwned: jest.fn(), findByPhone: jest.fn() };
  const attachments: jest.Mocked<Pick<AttachmentService, 'findOwned'>> = { findOwned: jest.fn() };
  const sessions: jest.Mocked<Pick<SessionRepository, 'listByClient'>> = { listByClient: jest.fn() };
  const { pageForRecipient } = logs;
  const { findOwned, findByPhone } = contacts;

  beforeEach(async () => {
    jest.resetAllMocks();
    pageForRecipient.mockResolvedValue({ items: [], hasMore: false });
    findByPhone.mockResolvedValue(null);
    attachments.findOwned.mockResolvedValue([]);
    sessions.listByClient.mockResolvedValue([]);
    const moduleRef = await Test.createTestingModule({
      providers: [
        ContactMessagesService,
        { provide: ContactMessagesRepository, useValue: logs },
        { provide: ContactService, useValue: contacts },
        { provide: AttachmentService, useValue: attachments },
        { provide: SessionRepository, useValue: sessions },
      ],
    }).compile();
    service = moduleRef.get(ContactMessagesService);
  });

  it("lists a contact id's messages by the contact's number, 20 per page by default", async () => {
    findOwned.mockResolvedValue(contact('2348179803743'));
    const page = await service.list(CLIENT, CONTACT_ID, query());
    expect(findOwned).toHaveBeenCalledWith(CLIENT, CONTACT_ID);
    expect(pageForRecipient).toHaveBeenCalledWith(CLIENT, '2348179803743', 20, null);
    expect(page).toEqual({ data: [], nextCursor: null, prevCursor: null });
  });

  it('answers 404 for a contact id this client does not have, reading no messages', async () => {
    findOwned.mockResolvedValue(null);
    await expect(service.list(CLIENT, CONTACT_ID, query())).rejects.toThrow(NotFoundException);
    expect(pageForRecipient).not.toHaveBeenCalled();
  });

  it('normalises a phone number identifier', async () => {
    await service.list(CLIENT, '+234 817-980-3743', query({ perPage: 5 }));
    expect(findByPhone).toHaveBeenCalledWith(CLIENT, '2348179803743');
    expect(pageForRecipient).toHaveBeenCalledWith(CLIENT, '2348179803743', 5, null);
  });

  it.each(['ada', '12345', '+1 000'])('answers 400 for the identifier %p, reading nothing', async (identifier) => {
    await expect(service.list(CLIENT, identifier, query())).rejects.toThrow(BadRequestException);
    expect(pageForRecipient).not.toHaveBeenCalled();
  });

  it('answers 400 for a forged cursor before reading anything', async () => {
    await expect(service.list(CLIENT, '2348179803743', query({ cursor: 'eyJ0IjoxfQ' }))).rejects.toThrow(/cursor is not valid/);
    expect(findByPhone).not.toHaveBeenCalled();
  });
});
