import { Test } from '@nestjs/testing';
import { Types } from 'mongoose';
import { MessageLogRepository } from '../message-log/message-log.repository';
import { WhatsappLogRepository } from '../whatsapp-log/whatsapp-log.repository';
import { DeliveryStatusService } from './delivery-status.service';

describe('DeliveryStatusService', () => {
  let service: DeliveryStatusService;
  const messageLogId = new Types.ObjectId();
  const whatsappLogs = { advanceStatus: jest.fn(), setCostOnce: jest.fn() };
  const messageLogs = { applyDeliveryStatus: jest.fn(), addCost: jest.fn() };
  const at = new Date('2024-01-01T00:00:00Z');

  beforeEach(async () => {
    jest.resetAllMocks();
    const moduleRef = await Test.createTestingModule({
      providers: [
        DeliveryStatusService,
        { provide: WhatsappLogRepository, useValue: whatsappLogs },
        { provide: MessageLogRepository, useValue: messageLogs },
      ],
    }).compile();
    service = moduleRef.get(DeliveryStatusService);
  });

  it('moves the WhatsApp log forward and rolls the status up into its message log', async () => {
    whatsappLogs.advanceStatus.mockResolvedValue({ messageLogId });
    await service.apply({ providerMessageId: 'wamid.1', status: 'read', timestamp: at });
    expect(whatsappLogs.advanceStatus).toHaveBeenCalledWith('wamid.1', 'read', { statusMessage: undefined, errorCode: undefined });
    expect(messageLogs.applyDeliveryStatus).toHaveBeenCalledWith(messageLogId.toHexString(), 'read', at, undefined);
  });

  it('ignores a repeated or late update (the WhatsApp log did not move)', async () => {
    whatsappLogs.advanceStatus.mockResolvedValue(null);
    await service.apply({ providerMessageId: 'wamid.1', status: 'delivered', timestamp: at });
    expect(messageLogs.applyDeliveryStatus).not.toHaveBeenCalled();
  });

  it('records a failure with the provider code and message', async () => {
    whatsappLogs.advanceStatus.mockResolvedValue({ messageLogId });
    const error = { code: '131047', message: 'Re-engagement message' };
    await service.apply({ providerMessageId: 'wamid.1', status: 'failed', timestamp: at, error });
    expect(whatsappLogs.advanceStatus).toHaveBeenCalledWith('wamid.1', 'failed', { statusMessage: '131047: Re-engagement message', errorCode: '131047' });
    expect(messageLogs.applyDeliveryStatus).toHaveBeenCalledWith(messageLogId.toHexString(), 'failed', at, error);
  });

  it('adds a price to the message log only the first time it is reported', async () => {
    whatsappLogs.advanceStatus.mockResolvedValue(null);
    whatsappLogs.setCostOnce.mockResolvedValueOnce({ messageLogId }).mockResolvedValueOnce(null);
    const update = { providerMessageId: 'wamid.1', status: 'delivered' as const, timestamp: at, costInUsdCents: 1 };
    await service.apply(update);
    await service.apply(update);
    expect(messageLogs.addCost).toHaveBeenCalledTimes(1);
    expect(messageLogs.addCost).toHaveBeenCalledWith(messageLogId.toHexString(), 1);
  });
});
