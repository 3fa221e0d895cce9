import { Test } from '@nestjs/testing';
import { Types } from 'mongoose';
import type { StatusUpdate } from '@app/whatsapp';
import { MessageLogRepository } from '../message-log/message-log.repository';
import { ReportedOnCall, WhatsappLogRepository } from '../whatsapp-log/whatsapp-log.repository';
import { DeliveryStatusService } from './delivery-status.service';
import { EarlyStatusUpdates } from './early-status-updates';

const at = new Date('2026-01-02T03:04:05Z');
const messageLogId = new Types.ObjectId();
const sessionId = new Types.ObjectId();
const clientId = new Types.ObjectId();
const client = clientId.toHexString();

function call(whatsAppMessageId: string, overrides: Partial<ReportedOnCall> = {}): ReportedOnCall {
  return { _id: new Types.ObjectId(), projectId: clientId, whatsAppMessageId, sessionId, messageLogId, status: 'sent', whatsAppCostInUSDCents: 0, ...overrides };
}

describe('DeliveryStatusService', () => {
  let service: DeliveryStatusService;
  let whatsappLogs: jest.Mocked<
    Pick<WhatsappLogRepository, 'findCallsByWhatsAppMessageIds' | 'advanceStatuses' | 'setCostsOnce' | 'furthestDeliveryOfMessages'>
  >;
  let messageLogs: jest.Mocked<Pick<MessageLogRepository, 'applyDeliveryStatuses' | 'statusesOf' | 'addCallPrices'>>;
  let early: jest.Mocked<Pick<EarlyStatusUpdates, 'park' | 'takeForRecordedCalls' | 'markUnrolled'>>;
  let calls: ReportedOnCall[];

  beforeEach(async () => {
    calls = [call('wamid.1')];
    whatsappLogs = {
      findCallsByWhatsAppMessageIds: jest.fn(async (ids: string[]) => calls.filter((candidate) => ids.includes(candidate.whatsAppMessageId!))),
      advanceStatuses: jest.fn(),
      setCostsOnce: jest.fn(),
      furthestDeliveryOfMessages: jest.fn().mockResolvedValue(new Map()),
    };
    messageLogs = { applyDeliveryStatuses: jest.fn(async (rollups) => rollups.length), statusesOf: jest.fn(), addCallPrices: jest.fn() };
    early = { park: jest.fn(), takeForRecordedCalls: jest.fn().mockResolvedValue({ parked: new Map(), unrolled: new Set() }), markUnrolled: jest.fn() };
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

  const report = (status: StatusUpdate['status'], providerMessageId = 'wamid.1', extra: Partial<StatusUpdate> = {}): StatusUpdate => ({
    providerMessageId,
    status,
    timestamp: at,
    ...extra,
  });

  it('moves the WhatsApp log forward and rolls the status up into its message log', async () => {
    await service.apply(report('read'));
    expect(whatsappLogs.advanceStatuses).toHaveBeenCalledWith([{ whatsAppMessageId: 'wamid.1', clientId: client, callId: calls[0]._id.toHexString(), status: 'read' }]);
    expect(messageLogs.applyDeliveryStatuses).toHaveBeenCalledWith([{ id: messageLogId.toHexString(), clientId: client, status: 'read', at, failure: undefined }], new Set());
  });

  it('applies the reports that arrive together with one read and one write per collection, in their order', async () => {
    calls = [call('wamid.1'), call('wamid.2')];
    await Promise.all([service.apply(report('delivered')), service.apply(report('read')), service.apply(report('delivered', 'wamid.2'))]);
    expect(whatsappLogs.findCallsByWhatsAppMessageIds).toHaveBeenCalledTimes(1);
    expect(whatsappLogs.advanceStatuses).toHaveBeenCalledTimes(1);
    expect(whatsappLogs.advanceStatuses.mock.calls[0][0].map((advance) => `${advance.whatsAppMessageId} ${advance.status}`)).toEqual([
      'wamid.1 delivered',
      'wamid.1 read',
      'wamid.2 delivered',
    ]);
    expect(messageLogs.applyDeliveryStatuses).toHaveBeenCalledTimes(1);
  });

  it('ignores a repeated or late update (the WhatsApp log is there already)', async () => {
    calls = [call('wamid.1', { status: 'read' })];
    await service.apply(report('delivered'));
    expect(whatsappLogs.advanceStatuses).toHaveBeenCalledWith([]);
    expect(messageLogs.applyDeliveryStatuses).not.toHaveBeenCalled();
  });

  it('records a failure with the provider code and message', async () => {
    const error = { code: '131047', message: 'Re-engagement message' };
    await service.apply(report('failed', 'wamid.1', { error }));
    expect(whatsappLogs.advanceStatuses).toHaveBeenCalledWith([
      { whatsAppMessageId: 'wamid.1', clientId: client, callId: calls[0]._id.toHexString(), status: 'failed', statusMessage: '131047: Re-engagement message', errorCode: '131047' },
    ]);
    expect(messageLogs.applyDeliveryStatuses).toHaveBeenCalledWith([{ id: messageLogId.toHexString(), clientId: client, status: 'failed', at, failure: error }], new Set());
  });

  it('writes a reported price to the call and to its message (the repositories add each price once)', async () => {
    await service.apply(report('delivered', 'wamid.1', { costInUsdCents: 1 }));
    expect(whatsappLogs.setCostsOnce).toHaveBeenCalledWith([{ whatsAppMessageId: 'wamid.1', clientId: client, callId: calls[0]._id.toHexString(), costInUsdCents: 1 }]);
    expect(messageLogs.addCallPrices).toHaveBeenCalledWith([{ id: messageLogId.toHexString(), clientId: client, providerMessageId: 'wamid.1', costInUsdCents: 1 }]);
    // A call read as priced already is not priced again.
    calls = [call('wamid.1', { whatsAppCostInUSDCents: 1 })];
    whatsappLogs.setCostsOnce.mockClear();
    messageLogs.addCallPrices.mockClear();
    await service.apply(report('read', 'wamid.1', { costInUsdCents: 1 }));
    expect(whatsappLogs.setCostsOnce).toHaveBeenCalledWith([]);
    expect(messageLogs.addCallPrices).toHaveBeenCalledWith([]);
  });

  it('parks a report whose call is not recorded yet, and applies it when the sender records the call', async () => {
    calls = [];
    const update = report('delivered', 'wamid.9');
    await service.apply(update, sessionId.toHexString());
    expect(early.park).toHaveBeenCalledWith(update, sessionId.toHexString());
    expect(whatsappLogs.advanceStatuses).not.toHaveBeenCalled();

    calls = [call('wamid.9')];
    early.takeForRecordedCalls.mockResolvedValue({ parked: new Map([['wamid.9', [{ update, sessionId: sessionId.toHexString() }]]]), unrolled: new Set() });
    await service.replayEarlyReports('wamid.9', sessionId.toHexString());
    expect(whatsappLogs.advanceStatuses).toHaveBeenLastCalledWith([{ whatsAppMessageId: 'wamid.9', clientId: client, callId: calls[0]._id.toHexString(), status: 'delivered' }]);
  });

  it('applies a report parked just after the sender recorded the call and took the parked reports', async () => {
    // The report read no call; meanwhile the sender recorded it and found nothing parked; then the report parked.
    calls = [];
    const update = report('delivered', 'wamid.8');
    early.park.mockImplementation(async () => {
      calls = [call('wamid.8')];
    });
    early.takeForRecordedCalls.mockResolvedValue({ parked: new Map([['wamid.8', [{ update, sessionId: sessionId.toHexString() }]]]), unrolled: new Set() });
    await service.apply(update, sessionId.toHexString());
    expect(early.park).toHaveBeenCalledWith(update, sessionId.toHexString());
    expect(early.takeForRecordedCalls).toHaveBeenCalledWith(['wamid.8'], []);
    expect(messageLogs.applyDeliveryStatuses).toHaveBeenCalledWith([{ id: messageLogId.toHexString(), clientId: client, status: 'delivered', at, failure: undefined }], new Set());
  });

  it('parks a batch of early reports with one more read for the whole batch, and replays those recorded meanwhile together', async () => {
    calls = [];
    const updates = Array.from({ length: 10 }, (_unused, index) => report('delivered', `wamid.early${index}`));
    // The sender records the even ones while the batch parks.
    early.park.mockImplementation(async () => {
      calls = updates.filter((_update, index) => index % 2 === 0).map((update) => call(update.providerMessageId));
    });
    await Promise.all(updates.map((update) => service.apply(update, sessionId.toHexString())));
    expect(early.park).toHaveBeenCalledTimes(10);
    // One read before parking, one after: not one per report.
    expect(whatsappLogs.findCallsByWhatsAppMessageIds).toHaveBeenCalledTimes(2);
    expect(early.takeForRecordedCalls).toHaveBeenCalledTimes(1);
    expect(early.takeForRecordedCalls).toHaveBeenCalledWith(
      updates.filter((_update, index) => index % 2 === 0).map((update) => update.providerMessageId),
      [],
    );
  });

  it("skips a webhook report about another session's call, even when correctly signed", async () => {
    await service.apply(report('read'), new Types.ObjectId().toHexString());
    expect(whatsappLogs.advanceStatuses).not.toHaveBeenCalled();
    expect(early.park).not.toHaveBeenCalled();
  });

  it("never lets a parked webhook report reach another session's call", async () => {
    early.takeForRecordedCalls.mockResolvedValue({ parked: new Map([['wamid.1', [{ update: report('read'), sessionId: 'other' }]]]), unrolled: new Set() });
    await service.replayEarlyReports('wamid.1', sessionId.toHexString());
    expect(whatsappLogs.advanceStatuses).not.toHaveBeenCalled();
  });

  it('leaves a mark for the sender when a report reaches a message still being sent, and looks once more', async () => {
    messageLogs.applyDeliveryStatuses.mockResolvedValueOnce(0).mockResolvedValueOnce(1);
    messageLogs.statusesOf.mockResolvedValue(new Map([[messageLogId.toHexString(), 'sending']]));
    await service.apply(report('delivered'));
    expect(early.markUnrolled).toHaveBeenCalledWith(messageLogId.toHexString());
    expect(messageLogs.applyDeliveryStatuses).toHaveBeenCalledTimes(2);
  });

  it('leaves no mark when the report moved the message, or the message is past it', async () => {
    await service.apply(report('delivered'));
    expect(messageLogs.statusesOf).not.toHaveBeenCalled();
    messageLogs.applyDeliveryStatuses.mockResolvedValueOnce(0);
    messageLogs.statusesOf.mockResolvedValue(new Map([[messageLogId.toHexString(), 'read']]));
    await service.apply(report('delivered', 'wamid.1'));
    expect(early.markUnrolled).not.toHaveBeenCalled();
  });

  it('catches up only the recorded messages a report left a mark on, reading nothing when there is none', async () => {
    const marked = messageLogId.toHexString();
    const unmarked = new Types.ObjectId().toHexString();
    early.takeForRecordedCalls.mockResolvedValue({ parked: new Map(), unrolled: new Set([marked]) });
    whatsappLogs.furthestDeliveryOfMessages.mockResolvedValue(new Map([[marked, { clientId: client, status: 'delivered', at }]]));
    await service.catchUpRecorded([{ providerMessageId: 'wamid.1', sessionId: sessionId.toHexString() }], [marked, unmarked]);
    expect(early.takeForRecordedCalls).toHaveBeenCalledWith(['wamid.1'], [marked, unmarked]);
    expect(whatsappLogs.furthestDeliveryOfMessages).toHaveBeenCalledWith([marked]);
    expect(messageLogs.applyDeliveryStatuses).toHaveBeenCalledWith([{ id: marked, clientId: client, status: 'delivered', at, failure: undefined }], new Set());

    whatsappLogs.furthestDeliveryOfMessages.mockClear();
    early.takeForRecordedCalls.mockResolvedValue({ parked: new Map(), unrolled: new Set() });
    await service.catchUpRecorded([{ providerMessageId: 'wamid.2', sessionId: sessionId.toHexString() }], [unmarked]);
    expect(whatsappLogs.furthestDeliveryOfMessages).not.toHaveBeenCalled();
  });
});
