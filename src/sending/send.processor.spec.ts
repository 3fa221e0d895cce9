import { getQueueToken } from '@nestjs/bull';
import { Test } from '@nestjs/testing';
import type { Job } from 'bull';
import { Types } from 'mongoose';
import { BroadcastProgress } from '../broadcast/broadcast-progress';
import { BroadcastStopSignal } from '../broadcast/broadcast-stop.signal';
import { AppConfig } from '../config';
import { ContactService } from '../contact/contact.service';
import { MessageLogRepository } from '../message-log/message-log.repository';
import { MessageSender } from './message-sender';
import { SendProcessor } from './send.processor';
import { SEND_QUEUE, SendJobData } from './sending.jobs';

const broadcastId = new Types.ObjectId().toHexString();
const clientId = new Types.ObjectId();
const sessionId = new Types.ObjectId();

function job(data: SendJobData, attemptsMade = 0, attempts = 3): Job<SendJobData> {
  return { data, attemptsMade, opts: { attempts } } as unknown as Job<SendJobData>;
}

describe('SendProcessor', () => {
  let processor: SendProcessor;
  const entry = { _id: new Types.ObjectId(), status: 'queued', recipient: '2348031230000' };
  const sender = { deliver: jest.fn() };
  const progress = { record: jest.fn(), flush: jest.fn(), sendContext: jest.fn() };
  const stopSignal = { isRaised: jest.fn() };
  const messageLogs = { findOrCreateForBroadcastRecipient: jest.fn(), findById: jest.fn() };
  const contacts = { findByPhone: jest.fn() };

  beforeEach(async () => {
    jest.resetAllMocks();
    stopSignal.isRaised.mockResolvedValue(false);
    progress.sendContext.mockResolvedValue({
      _id: new Types.ObjectId(broadcastId),
      client_id: clientId,
      session_id: sessionId,
      status: 'sending',
      message: { text: 'hi', attachments: [], location: null, contactId: null },
    });
    messageLogs.findOrCreateForBroadcastRecipient.mockResolvedValue(entry);
    contacts.findByPhone.mockResolvedValue({ _id: new Types.ObjectId(), name: 'Ada' });
    const moduleRef = await Test.createTestingModule({
      providers: [
        SendProcessor,
        { provide: getQueueToken(SEND_QUEUE), useValue: {} },
        { provide: AppConfig, useValue: { worker: { concurrency: 1 } } },
        { provide: MessageLogRepository, useValue: messageLogs },
        { provide: MessageSender, useValue: sender },
        { provide: BroadcastProgress, useValue: progress },
        { provide: BroadcastStopSignal, useValue: stopSignal },
        { provide: ContactService, useValue: contacts },
      ],
    }).compile();
    processor = moduleRef.get(SendProcessor);
  });

  it("sends to a broadcast recipient and records the outcome for the broadcast's batched update", async () => {
    sender.deliver.mockResolvedValue({ status: 'sent' });
    const result = await processor.handle(job({ kind: 'broadcast-recipient', broadcastId, recipient: '2348031230000' }));
    expect(result).toEqual({ status: 'sent' });
    expect(messageLogs.findOrCreateForBroadcastRecipient).toHaveBeenCalledWith(
      expect.objectContaining({
        broadcastId,
        recipient: '2348031230000',
        source: 'broadcast',
        clientId: clientId.toHexString(),
        contact: { contactId: expect.any(String), name: 'Ada' },
        message: { text: 'hi', attachments: [], location: null, contactId: null },
      }),
    );
    expect(sender.deliver).toHaveBeenCalledWith(entry, { lastAttempt: false, stopped: expect.any(Function) });
    expect(progress.record).toHaveBeenCalledWith(broadcastId, '2348031230000', 'sent');
  });

  it('tells the sender when no retry follows', async () => {
    sender.deliver.mockResolvedValue({ status: 'failed', failure: { code: '130429', message: 'Rate limit hit' } });
    await processor.handle(job({ kind: 'broadcast-recipient', broadcastId, recipient: '2348031230000' }, 2, 3));
    expect(sender.deliver).toHaveBeenCalledWith(entry, expect.objectContaining({ lastAttempt: true }));
    expect(progress.record).toHaveBeenCalledWith(broadcastId, '2348031230000', 'failed');
  });

  it('lets a transient failure propagate so that Bull retries, recording nothing yet', async () => {
    sender.deliver.mockRejectedValue(new Error('transient'));
    await expect(processor.handle(job({ kind: 'broadcast-recipient', broadcastId, recipient: '2348031230000' }))).rejects.toThrow('transient');
    expect(progress.record).not.toHaveBeenCalled();
  });

  it('skips recipients of a stopped (cancelled or deleted) broadcast without touching the ledger', async () => {
    stopSignal.isRaised.mockResolvedValue(true);
    const result = await processor.handle(job({ kind: 'broadcast-recipient', broadcastId, recipient: '2348031230000' }));
    expect(result).toEqual({ status: 'skipped', reason: 'broadcast stopped' });
    expect(messageLogs.findOrCreateForBroadcastRecipient).not.toHaveBeenCalled();
    expect(sender.deliver).not.toHaveBeenCalled();
  });

  it('skips a broadcast that no longer exists or has finished', async () => {
    progress.sendContext.mockResolvedValue(null);
    expect(await processor.handle(job({ kind: 'broadcast-recipient', broadcastId, recipient: '2348031230000' }))).toEqual({
      status: 'skipped',
      reason: 'broadcast not sending',
    });
    expect(sender.deliver).not.toHaveBeenCalled();
  });

  it('sends a single message-log entry (POST /v1/messages) through the same sender', async () => {
    messageLogs.findById.mockResolvedValue(entry);
    sender.deliver.mockResolvedValue({ status: 'sent' });
    const messageLogId = entry._id.toHexString();
    expect(await processor.handle(job({ kind: 'message', messageLogId }))).toEqual({ status: 'sent' });
    expect(sender.deliver).toHaveBeenCalledWith(entry, { lastAttempt: false });
    expect(progress.record).not.toHaveBeenCalled();
  });
});
