import { NotFoundException } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { Types } from 'mongoose';
import { InputValidationException } from '@app/common';
import { WhatsappLogRepository } from './whatsapp-log.repository';
import { WhatsappLogService } from './whatsapp-log.service';

const CLIENT = '64ac509d05a7cc2b8c2bd9ab';
const LOG_ID = '6650c1f2a7cc2b8c2bd9ab01';
const LOG_OID = new Types.ObjectId(LOG_ID);

describe('WhatsappLogService', () => {
  let service: WhatsappLogService;
  const repository: jest.Mocked<Pick<WhatsappLogRepository, 'findPageForClient' | 'countForClient' | 'findOneForClient'>> = {
    findPageForClient: jest.fn(),
    countForClient: jest.fn(),
    findOneForClient: jest.fn(),
  };

  beforeEach(async () => {
    jest.resetAllMocks();
    const module = await Test.createTestingModule({
      providers: [WhatsappLogService, { provide: WhatsappLogRepository, useValue: repository }],
    }).compile();
    service = module.get(WhatsappLogService);
  });

  it("answers get-list in the seed's shape, passing the parsed request and the client to the repository", async () => {
    repository.findPageForClient.mockResolvedValue({ items: [{ _id: LOG_OID, status: 'sent' }], total: 31 });
    const answer = await service.list(CLIENT, { skip: 20, limit: 10 }, { select: { status: true }, query: { status: 'sent' }, sort: { createdAt: 'ASC' } });
    expect(answer).toEqual({ count: 31, limit: 10, skip: 20, data: [{ _id: LOG_OID, status: 'sent' }] });
    expect(repository.findPageForClient).toHaveBeenCalledWith(CLIENT, {
      select: ['status'],
      conditions: [{ field: 'status', kind: 'string', value: 'sent' }],
      sort: [
        { field: 'createdAt', direction: 1 },
        { field: '_id', direction: 1 },
      ],
      skip: 20,
      limit: 10,
    });
  });

  it('fills a selected field the stored log lacks with null, so the shape never varies', async () => {
    repository.findOneForClient.mockResolvedValue({ _id: LOG_OID, status: 'sent' });
    expect(await service.get(CLIENT, LOG_ID, { select: { status: true, errorCode: true } })).toEqual({ _id: LOG_OID, status: 'sent', errorCode: null });
    const full = await service.get(CLIENT, LOG_ID, {});
    expect(full).toMatchObject({ _id: LOG_OID, status: 'sent', sessionId: null, broadcastId: null, onCallDutyPolicyScheduleId: null });
  });

  it('answers 404 when the repository finds no log of this client', async () => {
    repository.findOneForClient.mockResolvedValue(null);
    await expect(service.get(CLIENT, LOG_ID, {})).rejects.toThrow(new NotFoundException(`WhatsApp log ${LOG_ID} not found`));
    expect(repository.findOneForClient).toHaveBeenCalledWith(CLIENT, LOG_ID, null);
  });

  it('rejects a bad body before reaching the repository', async () => {
    await expect(service.list(CLIENT, { skip: 0, limit: 10 }, { query: { $where: '1' } })).rejects.toBeInstanceOf(InputValidationException);
    await expect(service.count(CLIENT, { query: { status: { $ne: null } } })).rejects.toBeInstanceOf(InputValidationException);
    await expect(service.get(CLIENT, LOG_ID, { select: { incident: true } })).rejects.toBeInstanceOf(InputValidationException);
    expect(repository.findPageForClient).not.toHaveBeenCalled();
    expect(repository.countForClient).not.toHaveBeenCalled();
    expect(repository.findOneForClient).not.toHaveBeenCalled();
  });

  it('counts with the parsed conditions', async () => {
    repository.countForClient.mockResolvedValue(7);
    expect(await service.count(CLIENT, { query: { broadcastId: { _type: 'EqualTo', value: LOG_ID.toUpperCase() } } })).toEqual({ count: 7 });
    expect(repository.countForClient).toHaveBeenCalledWith(CLIENT, [{ field: 'broadcastId', kind: 'objectId', value: LOG_ID }]);
  });
});
