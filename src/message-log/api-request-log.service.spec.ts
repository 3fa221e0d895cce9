import { Test } from '@nestjs/testing';
import { Types } from 'mongoose';
import { InputValidationException } from '@app/common';
import { ApiRequestLogService, toFilter } from './api-request-log.service';
import { ApiRequestsQueryDto } from './dto/api-requests-query.dto';
import { ApiRequestLogRepository } from './api-request-log.repository';

const query = (fields: Partial<ApiRequestsQueryDto>): ApiRequestsQueryDto => Object.assign(new ApiRequestsQueryDto(), fields);

describe('ApiRequestLogService', () => {
  let service: ApiRequestLogService;
  const logs: jest.Mocked<Pick<ApiRequestLogRepository, 'findApiRequests'>> = { findApiRequests: jest.fn() };
  const { findApiRequests } = logs;

  beforeEach(async () => {
    jest.resetAllMocks();
    const moduleRef = await Test.createTestingModule({
      providers: [ApiRequestLogService, { provide: ApiRequestLogRepository, useValue: logs }],
    }).compile();
    service = moduleRef.get(ApiRequestLogService);
  });

  it("renders the repository's rows in the seed's log shape, with the counts and paginationDetails", async () => {
    findApiRequests.mockResolvedValue({
      counts: { totalMessages: 21, sentCount: 20, deliveredCount: 15, readCount: 3, failedCount: 1 },
      items: [
        {
          _id: new Types.ObjectId(),
          template_name: 'hello_world',
          message_uid: '583e40b0c04347c7',
          recipient: '919812345678',
          contact: { contact_id: null, name: 'John Doe', phone: '919812345678' },
          status: 'delivered',
          createdAt: new Date('2025-07-02T04:25:49.001Z'),
        },
      ],
    });
    const data = await service.list('64ac509d05a7cc2b8c2bd9ab', query({ page: 2, limit: 10 }));
    expect(findApiRequests).toHaveBeenCalledWith('64ac509d05a7cc2b8c2bd9ab', expect.any(Object), { page: 2, limit: 10 });
    expect(data).toEqual({
      totalMessages: 21,
      sentCount: 20,
      deliveredCount: 15,
      readCount: 3,
      failedCount: 1,
      logs: [
        {
          template_name: 'hello_world',
          message_uid: '583e40b0c04347c7',
          contact_number: '+919812345678',
          contact_name: 'John Doe',
          sent: true,
          delivered: true,
          read: false,
          failed: false,
          createdAt: '2025-07-02T04:25:49.001Z',
        },
      ],
      paginationDetails: { totalCount: 21, totalPages: 3, currentPage: 2, nextPage: 3, prevPage: 1 },
    });
  });

  it('answers an empty set with zero counts and no next or previous page', async () => {
    findApiRequests.mockResolvedValue({
      counts: { totalMessages: 0, sentCount: 0, deliveredCount: 0, readCount: 0, failedCount: 0 },
      items: [],
    });
    const data = await service.list('64ac509d05a7cc2b8c2bd9ab', query({}));
    expect(data.paginationDetails).toEqual({ totalCount: 0, totalPages: 0, currentPage: 1, nextPage: null, prevPage: null });
  });
});

describe('toFilter', () => {
  it('turns inclusive UTC days into a [start, day after end) range', () => {
    const filter = toFilter(query({ start_date: '2025-07-02', end_date: '2025-07-02' }));
    expect(filter.createdFrom?.toISOString()).toBe('2025-07-02T00:00:00.000Z');
    expect(filter.createdBefore?.toISOString()).toBe('2025-07-03T00:00:00.000Z');
  });

  it('keeps only the digits of contact_number', () => {
    expect(toFilter(query({ contact_number: '+91 (98) 123-45' })).contactNumberDigits).toBe('919812345');
  });

  it('rejects an end before the start, naming both', () => {
    expect(() => toFilter(query({ start_date: '2025-07-03', end_date: '2025-07-02' }))).toThrow(InputValidationException);
    try {
      toFilter(query({ start_date: '2025-07-03', end_date: '2025-07-02' }));
    } catch (error) {
      expect((error as InputValidationException).details).toEqual(['end_date (2025-07-02) must not be before start_date (2025-07-03)']);
    }
  });

  it('leaves out what was not asked for', () => {
    expect(toFilter(query({}))).toEqual({
      sent: undefined,
      read: undefined,
      templateName: undefined,
      messageUid: undefined,
      createdFrom: undefined,
      createdBefore: undefined,
      contactNumberDigits: undefined,
      contactName: undefined,
    });
  });
});
