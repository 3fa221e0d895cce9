import { Test } from '@nestjs/testing';
import { Types } from 'mongoose';
import { ProviderError, WhatsappProvider } from '@app/whatsapp';
import { SessionRepository } from '../auth';
import { AppConfig } from '../config';
import type { MessageLogRecord } from '../message-log/message-log.schema';
import { MessageRenderer } from './message-renderer';
import { MessageSender } from './message-sender';
import { ProviderRegistry } from './provider-registry';
import { AttemptRecord, SendLedger } from './send-ledger';
import { SessionCache } from './session-cache';
import { SessionRateLimiter } from './session-rate-limiter';

const sessionId = new Types.ObjectId();
const claim = { kind: 'entry' as const, id: new Types.ObjectId().toHexString() };

function entry(overrides: Partial<MessageLogRecord> = {}): MessageLogRecord {
  return {
    _id: new Types.ObjectId(),
    client_id: new Types.ObjectId(),
    session_id: sessionId,
    broadcast_id: new Types.ObjectId(),
    recipient: '2348031230001',
    message_uid: '0123456789abcdef',
    message: { text: 'hi', attachments: [], location: null, contactId: null, template: null },
    status: 'sending',
    status_times: { queuedAt: new Date(), sendingAt: new Date(), sentAt: null, deliveredAt: null, readAt: null, failedAt: null },
    provider_message_ids: [],
    error: null,
    attempts: 1,
    ...overrides,
  } as MessageLogRecord;
}

describe('MessageSender', () => {
  let sender: MessageSender;
  let provider: jest.Mocked<Pick<WhatsappProvider, 'send'>>;
  let ledger: jest.Mocked<Pick<SendLedger, 'claim' | 'record'>>;
  let sessionCache: jest.Mocked<Pick<SessionCache, 'get' | 'forget'>>;
  let sessions: jest.Mocked<Pick<SessionRepository, 'setHealth'>>;
  let renderer: jest.Mocked<Pick<MessageRenderer, 'render'>>;
  const recorded = (): AttemptRecord[] => ledger.record.mock.calls.map(([attempt]) => attempt);

  beforeEach(async () => {
    provider = { send: jest.fn().mockResolvedValue({ providerMessageId: 'wamid.1', costInUsdCents: 0 }) };
    ledger = { claim: jest.fn().mockResolvedValue({ entry: entry(), accepted: [] }), record: jest.fn().mockResolvedValue(undefined) };
    sessionCache = {
      get: jest.fn().mockResolvedValue({ _id: sessionId, provider: 'sandbox', health: 'healthy', phone_number: null, rate_limit_per_second: null }),
      forget: jest.fn(),
    };
    sessions = { setHealth: jest.fn().mockResolvedValue(undefined) };
    renderer = { render: jest.fn().mockResolvedValue([{ kind: 'text', text: 'hi' }]) };
    const moduleRef = await Test.createTestingModule({
      providers: [
        MessageSender,
        { provide: SendLedger, useValue: ledger },
        { provide: SessionCache, useValue: sessionCache },
        { provide: SessionRepository, useValue: sessions },
        { provide: ProviderRegistry, useValue: { providerFor: () => provider } },
        { provide: MessageRenderer, useValue: renderer },
        { provide: SessionRateLimiter, useValue: { acquire: jest.fn() } },
        { provide: AppConfig, useValue: { sending: { sessionRateLimitPerSecond: 80 } } },
      ],
    }).compile();
    sender = moduleRef.get(MessageSender);
  });

  it('sends every part and records the accepted calls and the outcome together', async () => {
    renderer.render.mockResolvedValue([
      { kind: 'text', text: 'hi' },
      { kind: 'location', latitude: 6.5, longitude: 3.3 },
    ]);
    provider.send.mockResolvedValueOnce({ providerMessageId: 'wamid.1', costInUsdCents: 1 }).mockResolvedValueOnce({ providerMessageId: 'wamid.2' });
    expect(await sender.send(claim, { lastAttempt: false, contentKey: 'broadcast:1' })).toEqual({ status: 'sent' });
    expect(renderer.render.mock.calls[0][2]).toBe('broadcast:1');
    const [attempt] = recorded();
    expect(attempt.outcome).toEqual({ status: 'sent' });
    expect(attempt.recovered).toEqual([]);
    expect(attempt.calls.map((call) => [call.status, call.whatsAppMessageId, call.costInUsdCents])).toEqual([
      ['sent', 'wamid.1', 1],
      ['sent', 'wamid.2', 0],
    ]);
  });

  it('answers null, sending nothing, when the entry does not exist', async () => {
    ledger.claim.mockResolvedValue(null);
    expect(await sender.send(claim, { lastAttempt: true })).toBeNull();
    expect(provider.send).not.toHaveBeenCalled();
    expect(ledger.record).not.toHaveBeenCalled();
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
    ledger.claim.mockResolvedValue({ entry: reportedFailed, accepted: [] });
    expect(await sender.send(claim, { lastAttempt: true })).toEqual({ status: 'sent' });
    expect(provider.send).not.toHaveBeenCalled();
    expect(ledger.record).not.toHaveBeenCalled();
  });

  it('still reports a message that failed before it was sent as failed', async () => {
    const failure = { code: '131026', message: 'Message undeliverable' };
    ledger.claim.mockResolvedValue({ entry: entry({ status: 'failed', error: failure }), accepted: [] });
    expect(await sender.send(claim, { lastAttempt: true })).toEqual({ status: 'failed', failure });
  });

  it('on a re-run, skips the parts an earlier attempt got accepted and records those the entry does not list yet', async () => {
    renderer.render.mockResolvedValue([
      { kind: 'text', text: 'hi' },
      { kind: 'location', latitude: 6.5, longitude: 3.3 },
    ]);
    const earlier = { messageLogId: claim.id, whatsAppMessageId: 'wamid.first', costInUsdCents: 2 };
    ledger.claim.mockResolvedValue({ entry: entry({ attempts: 2 }), accepted: [earlier] });
    provider.send.mockResolvedValue({ providerMessageId: 'wamid.second' });
    expect(await sender.send(claim, { lastAttempt: false })).toEqual({ status: 'sent' });
    expect(provider.send).toHaveBeenCalledTimes(1);
    expect(provider.send.mock.calls[0][0].message).toEqual({ kind: 'location', latitude: 6.5, longitude: 3.3 });
    const [attempt] = recorded();
    expect(attempt.recovered).toEqual([earlier]);
    expect(attempt.calls.map((call) => call.whatsAppMessageId)).toEqual(['wamid.second']);
  });

  it('records a transient failure and its refused call, then throws so that Bull retries', async () => {
    provider.send.mockRejectedValue(new ProviderError('transient', '131000', 'Something went wrong'));
    await expect(sender.send(claim, { lastAttempt: false })).rejects.toThrow('Something went wrong');
    const [attempt] = recorded();
    expect(attempt.outcome.status).toBe('retry');
    expect(attempt.calls).toEqual([expect.objectContaining({ status: 'failed', whatsAppMessageId: null, errorCode: '131000' })]);
  });

  it('fails the message on the last attempt, and at once for a permanent error', async () => {
    provider.send.mockRejectedValue(new ProviderError('transient', '131000', 'Something went wrong'));
    expect(await sender.send(claim, { lastAttempt: true })).toEqual({ status: 'failed', failure: { code: '131000', message: 'Something went wrong', transient: true } });
    provider.send.mockRejectedValue(new ProviderError('permanent', '131026', 'Message undeliverable'));
    expect(await sender.send(claim, { lastAttempt: false })).toEqual({ status: 'failed', failure: { code: '131026', message: 'Message undeliverable', transient: false } });
    expect(recorded().map((attempt) => attempt.outcome.status)).toEqual(['failed', 'failed']);
  });

  it('marks a session whose credentials stopped working unhealthy, and reads it again next time', async () => {
    provider.send.mockRejectedValue(new ProviderError('permanent', '190', 'Token expired', { sessionUnusable: true }));
    await sender.send(claim, { lastAttempt: false });
    expect(sessions.setHealth).toHaveBeenCalledWith(sessionId.toHexString(), 'unhealthy', 'Token expired');
    expect(sessionCache.forget).toHaveBeenCalledWith(sessionId.toHexString());
  });

  it('records the calls already accepted even when marking the session unhealthy fails', async () => {
    renderer.render.mockResolvedValue([
      { kind: 'text', text: 'hi' },
      { kind: 'location', latitude: 6.5, longitude: 3.3 },
    ]);
    provider.send.mockResolvedValueOnce({ providerMessageId: 'wamid.1' }).mockRejectedValueOnce(new ProviderError('permanent', '190', 'Token expired', { sessionUnusable: true }));
    sessions.setHealth.mockRejectedValue(new Error('MongoDB unreachable'));
    expect(await sender.send(claim, { lastAttempt: false })).toEqual({ status: 'failed', failure: { code: '190', message: 'Token expired', transient: false } });
    expect(recorded()[0].calls.map((call) => call.whatsAppMessageId)).toEqual(['wamid.1', null]);
  });

  it('stops before a call when the broadcast was stopped, failing the message as cancelled', async () => {
    const outcome = await sender.send(claim, { lastAttempt: false, stopped: async () => true });
    expect(outcome).toEqual({ status: 'failed', failure: { code: 'cancelled', message: expect.any(String), transient: true } });
    expect(provider.send).not.toHaveBeenCalled();
  });

  it('lets a failed ledger write fail the job, so that it retries', async () => {
    ledger.record.mockRejectedValue(new Error('write concern timeout'));
    await expect(sender.send(claim, { lastAttempt: false })).rejects.toThrow('write concern timeout');
  });
});
