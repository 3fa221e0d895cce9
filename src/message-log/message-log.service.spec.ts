import { BadRequestException, NotFoundException } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { Permission, Principal, Role } from '../auth';
import { MessageLogRepository } from './message-log.repository';
import { MessageLogService } from './message-log.service';

const CLIENT = '64ac509d05a7cc2b8c2bd9ab';
const SESSION = '649ff7e0e6046617c8aeabf1';

const principal = (withSession: boolean): Principal => ({
  clientId: CLIENT,
  keyId: 'key',
  role: Role.Owner,
  permissions: new Set([Permission.MessageLogRead]),
  rateLimits: { perMinute: null, expensivePerMinute: null },
  session: withSession
    ? { id: SESSION, name: 'line', provider: 'sandbox', phoneNumber: null, rateLimitPerSecond: null, health: 'healthy' }
    : null,
});

describe('MessageLogService', () => {
  let service: MessageLogService;
  const listForScope = jest.fn().mockResolvedValue({ items: [], total: 0 });
  const findForClient = jest.fn().mockResolvedValue(null);

  beforeEach(async () => {
    jest.clearAllMocks();
    const moduleRef = await Test.createTestingModule({
      providers: [MessageLogService, { provide: MessageLogRepository, useValue: { listForScope, findForClient } }],
    }).compile();
    service = moduleRef.get(MessageLogService);
  });

  it("lists the selected session's logs", async () => {
    await service.list(principal(true), undefined, { page: 1, limit: 10 });
    expect(listForScope).toHaveBeenCalledWith({ clientId: CLIENT, sessionId: SESSION }, { page: 1, limit: 10 });
  });

  it('lists every session with type=all, with or without a session', async () => {
    await service.list(principal(true), 'all', { page: 1, limit: 10 });
    await service.list(principal(false), 'all', { page: 1, limit: 10 });
    expect(listForScope.mock.calls.map(([scope]: [unknown]) => scope)).toEqual([
      { clientId: CLIENT, sessionId: null },
      { clientId: CLIENT, sessionId: null },
    ]);
  });

  it('refuses a session list without a session, reading nothing', async () => {
    await expect(service.list(principal(false), undefined, { page: 1, limit: 10 })).rejects.toThrow(BadRequestException);
    expect(listForScope).not.toHaveBeenCalled();
  });

  it('answers 404 for a log the repository does not find for this client', async () => {
    await expect(service.get(CLIENT, SESSION)).rejects.toThrow(NotFoundException);
    expect(findForClient).toHaveBeenCalledWith(CLIENT, SESSION);
  });
});
