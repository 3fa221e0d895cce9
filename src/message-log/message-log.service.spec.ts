import { NotFoundException } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { MessageLogListRepository } from './message-log-list.repository';
import { MessageLogService } from './message-log.service';

const CLIENT = '64ac509d05a7cc2b8c2bd9ab';
const SESSION = '649ff7e0e6046617c8aeabf1';

describe('MessageLogService', () => {
  let service: MessageLogService;
  const logs: jest.Mocked<Pick<MessageLogListRepository, 'listForScope' | 'findForClient'>> = {
    listForScope: jest.fn(),
    findForClient: jest.fn(),
  };

  beforeEach(async () => {
    jest.resetAllMocks();
    logs.listForScope.mockResolvedValue({ items: [], total: 0 });
    logs.findForClient.mockResolvedValue(null);
    const moduleRef = await Test.createTestingModule({
      providers: [MessageLogService, { provide: MessageLogListRepository, useValue: logs }],
    }).compile();
    service = moduleRef.get(MessageLogService);
  });

  it("lists one session's logs, or every session's", async () => {
    await service.list({ clientId: CLIENT, sessionId: SESSION }, { page: 1, limit: 10 });
    await service.list({ clientId: CLIENT, sessionId: null }, { page: 2, limit: 5 });
    expect(logs.listForScope.mock.calls).toEqual([
      [{ clientId: CLIENT, sessionId: SESSION }, { page: 1, limit: 10 }],
      [{ clientId: CLIENT, sessionId: null }, { page: 2, limit: 5 }],
    ]);
  });

  it('answers 404 for a log the repository does not find for this client', async () => {
    await expect(service.get(CLIENT, SESSION)).rejects.toThrow(NotFoundException);
    expect(logs.findForClient).toHaveBeenCalledWith(CLIENT, SESSION);
  });
});
