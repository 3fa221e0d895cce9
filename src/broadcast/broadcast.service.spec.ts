import { Test } from '@nestjs/testing';
import { Types } from 'mongoose';
import { AppConfig } from '../config';
import { MessageLogRepository } from '../message-log/message-log.repository';
import { MessageContentValidator } from '../message/message-content.validator';
import { BroadcastPauseSignal } from './broadcast-pause.signal';
import { BroadcastSendJobs } from './broadcast-send-jobs';
import { BroadcastStopSignal } from './broadcast-stop.signal';
import { BroadcastQueue } from './broadcast.queue';
import { BroadcastRepository } from './broadcast.repository';
import { BroadcastService } from './broadcast.service';
import { RecipientVariablesRepository } from './recipient-variables.repository';

describe('BroadcastService cancel', () => {
  let service: BroadcastService;
  const clientId = new Types.ObjectId().toHexString();
  const broadcastId = new Types.ObjectId().toHexString();
  const broadcasts = { cancel: jest.fn(), findOwned: jest.fn() };
  const stopSignal = { raise: jest.fn() };
  const broadcastQueue = { removeFanOut: jest.fn() };
  const sendJobs = { removeQueued: jest.fn() };

  beforeEach(async () => {
    jest.resetAllMocks();
    const moduleRef = await Test.createTestingModule({
      providers: [
        BroadcastService,
        { provide: BroadcastRepository, useValue: broadcasts },
        { provide: MessageContentValidator, useValue: {} },
        { provide: MessageLogRepository, useValue: {} },
        { provide: BroadcastSendJobs, useValue: sendJobs },
        { provide: BroadcastQueue, useValue: broadcastQueue },
        { provide: BroadcastStopSignal, useValue: stopSignal },
        { provide: BroadcastPauseSignal, useValue: {} },
        { provide: RecipientVariablesRepository, useValue: {} },
        { provide: AppConfig, useValue: {} },
      ],
    }).compile();
    service = moduleRef.get(BroadcastService);
  });

  it('stops the jobs again when a cancel is repeated after the first one could not reach Redis', async () => {
    const cancelled = { _id: new Types.ObjectId(broadcastId), status: 'cancelled' };
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
