import { Test } from '@nestjs/testing';
import { Types } from 'mongoose';
import { SessionRepository } from '../auth';
import { AppConfig } from '../config';
import { MessageLogRepository } from '../message-log/message-log.repository';
import { MessageContentValidator } from '../message-content/message-content.validator';
import { TemplateValidator } from '../template/template-validator';
import { BroadcastPauseControl } from './broadcast-pause-control';
import { BroadcastAudiences } from './broadcast-audience';
import { BroadcastPauseSignal } from './broadcast-pause.signal';
import { BroadcastSendJobs } from './broadcast-send-jobs';
import { BroadcastStopSignal } from './broadcast-stop.signal';
import { BroadcastQueue } from './broadcast.queue';
import { BroadcastRepository } from './broadcast.repository';
import type { BroadcastRecord } from './broadcast.schema';
import { BroadcastService } from './broadcast.service';
import { DeliveryPlanner } from './delivery-plan';
import { RecipientVariablesRepository } from './recipient-variables.repository';
import { RedisLocks } from '../core/redis-lock';

describe('BroadcastService cancel', () => {
  let service: BroadcastService;
  const clientId = new Types.ObjectId().toHexString();
  const broadcastId = new Types.ObjectId().toHexString();
  const broadcasts: jest.Mocked<Pick<BroadcastRepository, 'cancel' | 'findOwned'>> = { cancel: jest.fn(), findOwned: jest.fn() };
  const stopSignal: jest.Mocked<Pick<BroadcastStopSignal, 'raise'>> = { raise: jest.fn() };
  const broadcastQueue: jest.Mocked<Pick<BroadcastQueue, 'removeFanOut'>> = { removeFanOut: jest.fn() };
  const sendJobs: jest.Mocked<Pick<BroadcastSendJobs, 'removeQueued'>> = { removeQueued: jest.fn() };
  // Cancelling touches neither content validation, the ledger nor the configuration.
  const unused = {};

  beforeEach(async () => {
    jest.resetAllMocks();
    const moduleRef = await Test.createTestingModule({
      providers: [
        BroadcastService,
        { provide: BroadcastRepository, useValue: broadcasts },
        { provide: MessageContentValidator, useValue: unused },
        { provide: MessageLogRepository, useValue: unused },
        { provide: BroadcastSendJobs, useValue: sendJobs },
        { provide: BroadcastQueue, useValue: broadcastQueue },
        { provide: BroadcastStopSignal, useValue: stopSignal },
        { provide: BroadcastPauseSignal, useValue: unused },
        { provide: RecipientVariablesRepository, useValue: unused },
        { provide: BroadcastPauseControl, useValue: unused },
        { provide: TemplateValidator, useValue: unused },
        { provide: AppConfig, useValue: unused },
        { provide: BroadcastAudiences, useValue: unused },
        { provide: DeliveryPlanner, useValue: unused },
        { provide: SessionRepository, useValue: unused },
        { provide: RedisLocks, useValue: unused },
      ],
    }).compile();
    service = moduleRef.get(BroadcastService);
  });

  it('stops the jobs again when a cancel is repeated after the first one could not reach Redis', async () => {
    const cancelled: BroadcastRecord = {
      _id: new Types.ObjectId(broadcastId),
      client_id: new Types.ObjectId(clientId),
      session_id: new Types.ObjectId(),
      send_type: 'individual',
      to: '2348031230001',
      message: { text: 'hi', attachments: [], location: null, contactId: null },
      status: 'cancelled',
      sent: [],
      pending: ['2348031230001'],
      failed: [],
      failures: [],
      finished_at: new Date(),
      createdAt: new Date(),
      updatedAt: new Date(),
      __v: 0,
    };
    broadcasts.cancel.mockResolvedValueOnce(cancelled).mockResolvedValueOnce(null);
    broadcasts.findOwned.mockResolvedValue(cancelled);
    stopSignal.raise.mockRejectedValueOnce(new Error('Connection is closed'));
    await expect(service.cancel(clientId, broadcastId)).rejects.toThrow('Connection is closed');

    // The client retries: the record already says cancelled, but the workers were never told.
    expect(await service.cancel(clientId, broadcastId)).toBe(cancelled);
    expect(stopSignal.raise).toHaveBeenCalledTimes(2);
    expect(sendJobs.removeQueued).toHaveBeenCalledWith(broadcastId);
  });
});
