import { Test } from '@nestjs/testing';
import { Types } from 'mongoose';
import { MessageLogRepository } from '../message-log/message-log.repository';
import { WhatsappLogRepository } from '../whatsapp-log/whatsapp-log.repository';
import { DeliveryStatusService } from './delivery-status.service';
import { EarlyStatusUpdates } from './early-status-updates';

describe('DeliveryStatusService', () => {
  let service: DeliveryStatusService;
  const messageLogId = new Types.ObjectId();
  const sessionId = new Types.ObjectId();
  const whatsappLogs = { advanceStatus: jest.fn(), setCostOnce: jest.fn(), findByWhatsAppMessageId: jest.fn(), furthestDeliveryOfMessages: jest.fn() };
  const early = { park: jest.fn(), takeMany: jest.fn() };
  const messageLogs = { applyDeliveryStatus: jest.fn(), addCost: jest.fn() };
  const at = new Date('2024-01-01T00:00:00Z');

  beforeEach(async () => {
    jest.resetAllMocks();
    whatsappLogs.findByWhatsAppMessageId.mockResolvedValue({ messageLogId, sessionId });
    const moduleRef = await Test.createTestingModule({
      providers: [
        DeliveryStatusService,
        { provide: WhatsappLogRepository, useValue: whatsappLogs },
        { provide: MessageLogRepository, useValue: messageLogs },
        { provide: EarlyStatusUpdates, useValue: early },
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

  it('parks a report whose call is not recorded yet, and applies it when the sender records the call', async () => {
    whatsappLogs.findByWhatsAppMessageId.mockResolvedValue(null);
    const update = { providerMessageId: 'wamid.9', status: 'delivered' as const, timestamp: at };
    await service.apply(update, sessionId.toHexString());
    expect(early.park).toHaveBeenCalledWith(update, sessionId.toHexString());
    expect(whatsappLogs.advanceStatus).not.toHaveBeenCalled();

    early.takeMany.mockResolvedValue(new Map([['wamid.9', [{ update, sessionId: sessionId.toHexString() }]]]));
    whatsappLogs.advanceStatus.mockResolvedValue({ messageLogId });
    await service.replayEarlyReports('wamid.9', sessionId.toHexString());
    expect(whatsappLogs.advanceStatus).toHaveBeenCalledWith('wamid.9', 'delivered', { statusMessage: undefined, errorCode: undefined });
  });

  it('applies a report parked just after the sender recorded the call and took the parked reports', async () => {
    // The webhook read no call; meanwhile the sender recorded it and found nothing parked; then the webhook parked.
    whatsappLogs.findByWhatsAppMessageId.mockResolvedValueOnce(null).mockResolvedValueOnce({ messageLogId, sessionId });
    const update = { providerMessageId: 'wamid.8', status: 'delivered' as const, timestamp: at };
    early.takeMany.mockResolvedValue(new Map([['wamid.8', [{ update, sessionId: sessionId.toHexString() }]]]));
    whatsappLogs.advanceStatus.mockResolvedValue({ messageLogId });
    await service.apply(update, sessionId.toHexString());
    expect(early.park).toHaveBeenCalledWith(update, sessionId.toHexString());
    expect(early.takeMany).toHaveBeenCalledWith(['wamid.8']);
    expect(messageLogs.applyDeliveryStatus).toHaveBeenCalledWith(messageLogId.toHexString(), 'delivered', at, undefined);
  });

  it("never lets a parked webhook report reach another session's call", async () => {
    early.takeMany.mockResolvedValue(new Map([['wamid.9', [{ update: { providerMessageId: 'wamid.9', status: 'read', timestamp: at }, sessionId: 'other' }]]]));
    await service.replayEarlyReports('wamid.9', sessionId.toHexString());
    expect(whatsappLogs.advanceStatus).not.toHaveBeenCalled();
  });

  it("skips a webhook report about another session's call, even when correctly signed", async () => {
    await service.apply({ providerMessageId: 'wamid.1', status: 'read', timestamp: at }, new Types.ObjectId().toHexString());
    expect(whatsappLogs.advanceStatus).not.toHaveBeenCalled();
    expect(early.park).not.toHaveBeenCalled();
  });

  it('catches a message up with the furthest report its calls reached while it was being sent', async () => {
    const quiet = new Types.ObjectId().toHexString();
    whatsappLogs.furthestDeliveryOfMessages.mockResolvedValue(new Map([[messageLogId.toHexString(), { status: 'read', at }]]));
    await service.catchUpMessages([messageLogId.toHexString(), quiet]);
    expect(whatsappLogs.furthestDeliveryOfMessages).toHaveBeenCalledWith([messageLogId.toHexString(), quiet]);
    expect(messageLogs.applyDeliveryStatus).toHaveBeenCalledTimes(1);
    expect(messageLogs.applyDeliveryStatus).toHaveBeenCalledWith(messageLogId.toHexString(), 'read', at);
  });
});
