import { Test } from '@nestjs/testing';
import { Types } from 'mongoose';
import { SessionRepository } from '../auth';
import { AppConfig } from '../config';
import { DeliveryStatusService } from '../delivery-status/delivery-status.service';
import { MessageLogRepository } from '../message-log/message-log.repository';
import type { MessageLogRecord } from '../message-log/message-log.schema';
import { WhatsappLogRepository } from '../whatsapp-log/whatsapp-log.repository';
import { MessageRenderer } from './message-renderer';
import { MessageSender } from './message-sender';
import { ProviderRegistry } from './provider-registry';
import { SessionRateLimiter } from './session-rate-limiter';

const sessionId = new Types.ObjectId();

function entry(overrides: Partial<MessageLogRecord> = {}): MessageLogRecord {
  return {
    _id: new Types.ObjectId(),
    client_id: new Types.ObjectId(),
    session_id: sessionId,
    broadcast_id: new Types.ObjectId(),
    recipient: '2348031230001',
    message_uid: '0123456789abcdef',
    message: { text: 'hi', attachments: [], location: null, contactId: null, template: null },
    status: 'queued',
    status_times: { queuedAt: new Date(), sendingAt: null, sentAt: null, deliveredAt: null, readAt: null, failedAt: null },
    provider_message_ids: [],
    error: null,
    ...overrides,
  } as MessageLogRecord;
}

describe('MessageSender', () => {
  let sender: MessageSender;
  const provider = { name: 'sandbox', send: jest.fn() };
  const messageLogs = {
    markSendingAttempt: jest.fn(),
    recordProviderMessage: jest.fn(),
    advanceStatus: jest.fn(),
    markFailed: jest.fn(),
  };
  const whatsappLogs = { recordProviderCall: jest.fn() };
  const sessions = { findById: jest.fn(), setHealth: jest.fn() };
  const deliveryStatus = { catchUpMessage: jest.fn(), replayEarlyReports: jest.fn() };

  beforeEach(async () => {
    jest.resetAllMocks();
    sessions.findById.mockResolvedValue({ _id: sessionId, provider: 'sandbox', health: 'healthy', phone_number: null, rate_limit_per_second: null });
    provider.send.mockResolvedValue({ providerMessageId: 'wamid.1' });
    messageLogs.advanceStatus.mockResolvedValue(true);
    messageLogs.markFailed.mockResolvedValue(true);
    const moduleRef = await Test.createTestingModule({
      providers: [
        MessageSender,
        { provide: MessageLogRepository, useValue: messageLogs },
        { provide: WhatsappLogRepository, useValue: whatsappLogs },
        { provide: SessionRepository, useValue: sessions },
        { provide: ProviderRegistry, useValue: { providerFor: () => provider } },
        { provide: MessageRenderer, useValue: { render: jest.fn().mockResolvedValue([{ kind: 'text', text: 'hi' }]) } },
        { provide: SessionRateLimiter, useValue: { acquire: jest.fn() } },
        { provide: AppConfig, useValue: { sending: { sessionRateLimitPerSecond: 80 } } },
        { provide: DeliveryStatusService, useValue: deliveryStatus },
      ],
    }).compile();
    sender = moduleRef.get(MessageSender);
  });

  it('reports a re-run of a message that was sent and later reported failed as sent, as the first run did', async () => {
    // The first run recorded the recipient as sent; a delivery report failed the message afterwards.
    // A re-run (sweep, fan-out retry) must record the same outcome, or the recipient lands in both arrays.
    const reportedFailed = entry({
      status: 'failed',
      status_times: { queuedAt: new Date(), sendingAt: new Date(), sentAt: new Date(), deliveredAt: null, readAt: null, failedAt: new Date() },
      provider_message_ids: ['wamid.1'],
      error: { code: '131047', message: 'Re-engagement message' },
    });
    expect(await sender.deliver(reportedFailed, { lastAttempt: true })).toEqual({ status: 'sent' });
    expect(provider.send).not.toHaveBeenCalled();
  });

  it('still reports a message that failed before it was sent as failed', async () => {
    const failure = { code: '131026', message: 'Message undeliverable' };
    expect(await sender.deliver(entry({ status: 'failed', error: failure }), { lastAttempt: true })).toEqual({ status: 'failed', failure });
  });

  it('never turns a message it already marked sent into a failure when the catch-up afterwards fails', async () => {
    deliveryStatus.catchUpMessage.mockRejectedValue(new Error('connection reset'));
    expect(await sender.deliver(entry(), { lastAttempt: true })).toEqual({ status: 'sent' });
    expect(provider.send).toHaveBeenCalledTimes(1);
    expect(messageLogs.markFailed).not.toHaveBeenCalled();
  });
});
