import { Test } from '@nestjs/testing';
import { Types } from 'mongoose';
import { ProviderError, WhatsappProvider } from '@app/whatsapp';
import { SessionRepository } from '../auth';
import { AppConfig } from '../config';
import type { MessageLogRecord } from '../message-log/message-log.schema';
import { MessageRenderer } from '../message-content/message-renderer';
import { LeaseBusyError, MessageSender } from './message-sender';
import { ProviderRegistry } from './provider-registry';
import { AttemptRecord, SendLedger } from './send-ledger';
import { SessionCache } from './session-cache';
import { SenderThrottle } from './sender-throttle';
import { SessionRateLimiter } from './session-rate-limiter';
import { RECIPIENT_POLICY, RecipientPolicy } from './recipient-policy';

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
  let ledger: jest.Mocked<Pick<SendLedger, 'claim' | 'record' | 'extendLease'>>;
  let sessionCache: jest.Mocked<Pick<SessionCache, 'get' | 'forget'>>;
  let sessions: jest.Mocked<Pick<SessionRepository, 'setHealth'>>;
  let renderer: jest.Mocked<Pick<MessageRenderer, 'render'>>;
  let policy: jest.Mocked<RecipientPolicy>;
  let throttle: jest.Mocked<Pick<SenderThrottle, 'onRefused'>>;
  const recorded = (): AttemptRecord[] => ledger.record.mock.calls.map(([attempt]) => attempt);

  beforeEach(async () => {
    provider = { send: jest.fn().mockResolvedValue({ providerMessageId: 'wamid.1', costInUsdCents: 0 }) };
    ledger = {
      claim: jest.fn().mockResolvedValue({ entry: entry(), held: true, acceptedBefore: [] }),
      record: jest.fn().mockResolvedValue(undefined),
      extendLease: jest.fn().mockResolvedValue(true),
    };
    sessionCache = {
      get: jest.fn().mockResolvedValue({ _id: sessionId, provider: 'sandbox', health: 'healthy', phone_number: null, rate_limit_per_second: null }),
      forget: jest.fn(),
    };
    sessions = { setHealth: jest.fn().mockResolvedValue(undefined) };
    renderer = { render: jest.fn().mockResolvedValue([{ kind: 'text', text: 'hi' }]) };
    policy = { verdict: jest.fn().mockResolvedValue(null), marketingStopped: jest.fn().mockResolvedValue(undefined) };
    throttle = { onRefused: jest.fn((error: ProviderError, _sessionId: string) => Promise.resolve(error)) };
    sender = await senderWith({ sending: { sessionRateLimitPerSecond: 80 }, worker: { lockDurationMs: 20_000 }, cloudApi: { timeoutMs: 15_000 } });
  });

  /** A sender over the fakes above, with this configuration. */
  async function senderWith(config: unknown): Promise<MessageSender> {
    const moduleRef = await Test.createTestingModule({
      providers: [
        MessageSender,
        { provide: SendLedger, useValue: ledger },
        { provide: SessionCache, useValue: sessionCache },
        { provide: SessionRepository, useValue: sessions },
        { provide: ProviderRegistry, useValue: { providerFor: () => provider } },
        { provide: MessageRenderer, useValue: renderer },
        { provide: SessionRateLimiter, useValue: { acquire: jest.fn().mockResolvedValue(true) } },
        { provide: AppConfig, useValue: config },
        { provide: SenderThrottle, useValue: throttle },
        { provide: RECIPIENT_POLICY, useValue: policy },
      ],
    }).compile();
    return moduleRef.get(MessageSender);
  }

  it('claims the message with a lease of its own, then records each accepted call before the next, the outcome with the last', async () => {
    renderer.render.mockResolvedValue([
      { kind: 'text', text: 'hi' },
      { kind: 'location', latitude: 6.5, longitude: 3.3 },
    ]);
    provider.send.mockResolvedValueOnce({ providerMessageId: 'wamid.1', costInUsdCents: 1 }).mockImplementationOnce(async () => {
      // The first call is on the ledger before the second is made.
      expect(recorded()).toHaveLength(1);
      return { providerMessageId: 'wamid.2' };
    });
    expect(await sender.send(claim, { lastAttempt: false, contentKey: 'broadcast:1' })).toEqual({ status: 'sent' });
    expect(renderer.render.mock.calls[0][2]).toBe('broadcast:1');
    const [{ lease }] = ledger.claim.mock.calls[0];
    expect(lease.token).toMatch(/^[0-9a-f-]{36}$/);
    expect(lease.expiresAt.getTime() - Date.now()).toBeGreaterThan(19_000);
    expect(recorded().map((attempt) => [attempt.leaseToken, attempt.outcome, attempt.calls.map((call) => [call.status, call.whatsAppMessageId, call.costInUsdCents])])).toEqual([
      [lease.token, null, [['sent', 'wamid.1', 1]]],
      [lease.token, { status: 'sent' }, [['sent', 'wamid.2', 0]]],
    ]);
  });

  it('sends nothing while another attempt holds the message, and retries once that lease ends', async () => {
    const expiresAt = new Date(Date.now() + 5000);
    ledger.claim.mockResolvedValue({ entry: entry({ claim: { token: 'other', expires_at: expiresAt } }), held: false, acceptedBefore: [] });
    const busy = await sender.send(claim, { lastAttempt: false }).catch((error: unknown) => error);
    expect(busy).toBeInstanceOf(LeaseBusyError);
    expect((busy as LeaseBusyError).retryAfterMs).toBeGreaterThan(4000);
    expect((busy as LeaseBusyError).retryAfterMs).toBeLessThan(6000);
    // On the last attempt it gives way: the holder records the outcome (the sweep covers a holder that dies).
    expect(await sender.send(claim, { lastAttempt: true })).toEqual({ status: 'skipped', reason: expect.any(String) });
    expect(provider.send).not.toHaveBeenCalled();
    expect(ledger.record).not.toHaveBeenCalled();
  });

  it('renews a lease that is more than half used before calling the provider, and gives way when it was lost', async () => {
    let now = Date.now();
    const clock = jest.spyOn(Date, 'now').mockImplementation(() => now);
    try {
      (renderer.render as jest.Mock).mockImplementation(async () => {
        now += 15_000; // a long wait (rendering, the rate limit) uses most of the 20 s lease
        return [{ kind: 'text', text: 'hi' }];
      });
      expect(await sender.send(claim, { lastAttempt: false })).toEqual({ status: 'sent' });
      expect(ledger.extendLease).toHaveBeenCalledTimes(1);

      ledger.extendLease.mockResolvedValue(false);
      provider.send.mockClear();
      expect(await sender.send(claim, { lastAttempt: false })).toEqual({ status: 'skipped', reason: expect.any(String) });
      expect(provider.send).not.toHaveBeenCalled();
    } finally {
      clock.mockRestore();
    }
  });

  it("renews a lease that would lapse while the provider call may still run (its 15 s timeout and the write after it), and no other", async () => {
    let now = Date.now();
    const clock = jest.spyOn(Date, 'now').mockImplementation(() => now);
    try {
      let wait = 2_000;
      (renderer.render as jest.Mock).mockImplementation(async () => {
        now += wait;
        return [{ kind: 'text', text: 'hi' }];
      });
      // 18 s of the 20 s lease left: the call (15 s at most) and its write (2 s) fit.
      expect(await sender.send(claim, { lastAttempt: false })).toEqual({ status: 'sent' });
      expect(ledger.extendLease).not.toHaveBeenCalled();
      // 14 s left: more than half of the lease, but a slow call could outlive it and let another attempt send the message.
      wait = 6_000;
      expect(await sender.send(claim, { lastAttempt: false })).toEqual({ status: 'sent' });
      expect(ledger.extendLease).toHaveBeenCalledTimes(1);
      const [, , , expiresAt] = ledger.extendLease.mock.calls[0];
      expect(expiresAt.getTime() - now).toBe(20_000);
    } finally {
      clock.mockRestore();
    }
  });

  it('renews the lease while a long provider call is under way (a media upload), shortly before it would lapse, and stops when the call ends', async () => {
    // A 3 s lease, a call expected within 0.5 s: no renewal before the call, the first 2 s before it would lapse.
    const shortLeases = await senderWith({ sending: { sessionRateLimitPerSecond: 80 }, worker: { lockDurationMs: 3_000 }, cloudApi: { timeoutMs: 500 } });
    provider.send.mockImplementation(() => new Promise((resolve) => setTimeout(() => resolve({ providerMessageId: 'wamid.slow', costInUsdCents: 0 }), 1_600)));
    const startedAt = Date.now();
    expect(await shortLeases.send(claim, { lastAttempt: false })).toEqual({ status: 'sent' });
    expect(ledger.extendLease).toHaveBeenCalledTimes(1);
    const [, , , expiresAt] = ledger.extendLease.mock.calls[0];
    // Renewed about 1 s into the call, for another 3 s.
    expect(expiresAt.getTime() - startedAt).toBeGreaterThanOrEqual(3_900);
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(ledger.extendLease).toHaveBeenCalledTimes(1);
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
    ledger.claim.mockResolvedValue({ entry: reportedFailed, held: false, acceptedBefore: [{ messageLogId: claim.id, whatsAppMessageId: 'wamid.1', costInUsdCents: 0 }] });
    expect(await sender.send(claim, { lastAttempt: true })).toEqual({ status: 'sent' });
    expect(provider.send).not.toHaveBeenCalled();
    expect(ledger.record).not.toHaveBeenCalled();
  });

  it('still reports a message that failed before it was sent as failed', async () => {
    const failure = { code: '131026', message: 'Message undeliverable' };
    ledger.claim.mockResolvedValue({ entry: entry({ status: 'failed', error: failure }), held: false, acceptedBefore: [] });
    expect(await sender.send(claim, { lastAttempt: true })).toEqual({ status: 'failed', failure });
  });

  it('on a re-run, skips the parts the message log shows accepted', async () => {
    renderer.render.mockResolvedValue([
      { kind: 'text', text: 'hi' },
      { kind: 'location', latitude: 6.5, longitude: 3.3 },
    ]);
    ledger.claim.mockResolvedValue({
      entry: entry({ attempts: 2, provider_message_ids: ['wamid.first'] }),
      held: true,
      acceptedBefore: [{ messageLogId: claim.id, whatsAppMessageId: 'wamid.first', costInUsdCents: 0 }],
    });
    provider.send.mockResolvedValue({ providerMessageId: 'wamid.second' });
    expect(await sender.send(claim, { lastAttempt: false })).toEqual({ status: 'sent' });
    expect(provider.send).toHaveBeenCalledTimes(1);
    expect(provider.send.mock.calls[0][0].message).toEqual({ kind: 'location', latitude: 6.5, longitude: 3.3 });
    expect(recorded().map((attempt) => attempt.calls.map((call) => call.whatsAppMessageId))).toEqual([['wamid.second']]);
  });

  it('on a re-run after a failed message-log write, adopts the calls the WhatsApp logs show accepted instead of sending them again', async () => {
    renderer.render.mockResolvedValue([
      { kind: 'text', text: 'hi' },
      { kind: 'location', latitude: 6.5, longitude: 3.3 },
    ]);
    const first = { messageLogId: claim.id, whatsAppMessageId: 'wamid.first', costInUsdCents: 2 };
    ledger.claim.mockResolvedValue({ entry: entry({ attempts: 2 }), held: true, acceptedBefore: [first] });
    provider.send.mockResolvedValue({ providerMessageId: 'wamid.second' });
    expect(await sender.send(claim, { lastAttempt: false })).toEqual({ status: 'sent' });
    expect(provider.send).toHaveBeenCalledTimes(1);
    expect(provider.send.mock.calls[0][0].message).toEqual({ kind: 'location', latitude: 6.5, longitude: 3.3 });
    const [adoption, second] = recorded();
    expect(adoption).toMatchObject({ calls: [], adopted: [first], outcome: null });
    expect(second.calls.map((call) => call.whatsAppMessageId)).toEqual(['wamid.second']);
    expect(second.entry.provider_message_ids).toEqual(['wamid.first']);
  });

  it('records only the outcome when every part was accepted before, and writes again the WhatsApp logs a dying worker left out', async () => {
    const earlier = entry({ attempts: 2, provider_message_ids: ['wamid.only'], cost_in_usd_cents: 3 });
    ledger.claim.mockResolvedValue({ entry: earlier, held: true, acceptedBefore: [] });
    expect(await sender.send(claim, { lastAttempt: false })).toEqual({ status: 'sent' });
    expect(provider.send).not.toHaveBeenCalled();
    const [relogged, finished] = recorded();
    expect(relogged.outcome).toBeNull();
    expect(relogged.calls).toEqual([expect.objectContaining({ status: 'sent', whatsAppMessageId: 'wamid.only', messageText: 'hi', costInUsdCents: 3 })]);
    expect(finished).toMatchObject({ calls: [], outcome: { status: 'sent' } });
    // Written again by a second attempt at the same time, the log keeps its id: one log, not two.
    ledger.record.mockClear();
    await sender.send(claim, { lastAttempt: false });
    expect(recorded()[0].calls[0].id).toBe(relogged.calls[0].id);
  });

  it('records a transient failure and its refused call, then throws so that Bull retries', async () => {
    provider.send.mockRejectedValue(new ProviderError('transient', '131000', 'Something went wrong'));
    await expect(sender.send(claim, { lastAttempt: false })).rejects.toThrow('Something went wrong');
    const [attempt] = recorded();
    expect(attempt.outcome).toEqual({ status: 'retry' });
    expect(attempt.calls).toEqual([expect.objectContaining({ status: 'failed', whatsAppMessageId: null, errorCode: '131000' })]);
  });

  it('fails the message on the last attempt, and at once for a permanent error', async () => {
    provider.send.mockRejectedValue(new ProviderError('transient', '131000', 'Something went wrong'));
    expect(await sender.send(claim, { lastAttempt: true })).toEqual({ status: 'failed', failure: { code: '131000', message: 'Something went wrong', transient: true } });
    provider.send.mockRejectedValue(new ProviderError('permanent', '131026', 'Message undeliverable'));
    expect(await sender.send(claim, { lastAttempt: false })).toEqual({ status: 'failed', failure: { code: '131026', message: 'Message undeliverable' } });
    expect(recorded().map((attempt) => attempt.outcome?.status)).toEqual(['failed', 'failed']);
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
    expect(await sender.send(claim, { lastAttempt: false })).toEqual({ status: 'failed', failure: { code: '190', message: 'Token expired' } });
    expect(recorded().map((attempt) => attempt.calls.map((call) => call.whatsAppMessageId))).toEqual([['wamid.1'], [null]]);
  });

  it('stops before a call when the broadcast was stopped, failing the message as cancelled', async () => {
    const outcome = await sender.send(claim, { lastAttempt: false, stopped: async () => true });
    expect(outcome).toEqual({ status: 'failed', failure: { code: 'cancelled', message: expect.any(String), transient: true } });
    expect(provider.send).not.toHaveBeenCalled();
  });

  it('lets a failed write of an accepted call fail the job, so that it retries, and never calls that a failed message', async () => {
    ledger.record.mockRejectedValue(new Error('write concern timeout'));
    await expect(sender.send(claim, { lastAttempt: true })).rejects.toThrow('write concern timeout');
    expect(recorded().map((attempt) => attempt.outcome)).toEqual([{ status: 'sent' }]);
  });

  it('leaves a message the messaging limit holds unsent and free, and says when to look again', async () => {
    const waitUntil = new Date(Date.now() + 3_600_000);
    policy.verdict.mockResolvedValue({ reason: 'waiting_for_limit', waitUntil, retryInMs: 60_000 });
    expect(await sender.send(claim, { lastAttempt: false })).toEqual({ status: 'skipped', reason: 'waiting_for_limit', retryInMs: 60_000 });
    expect(provider.send).not.toHaveBeenCalled();
    // The ledger entry says it waits, and until when (the broadcast's counts show it).
    expect(recorded().map((attempt) => attempt.outcome)).toEqual([{ status: 'retry', waiting: { reason: 'waiting_for_limit', until: waitUntil } }]);
  });

  it('remembers a recipient who stopped marketing (131050), and lets the throttle answer the error a sender limit retries with', async () => {
    provider.send.mockRejectedValueOnce(new ProviderError('permanent', '131050', 'The recipient stopped marketing messages', { marketingStopped: true }));
    expect(await sender.send(claim, { lastAttempt: false })).toMatchObject({ status: 'failed', failure: { code: '131050' } });
    const { entry: claimed } = (await ledger.claim.mock.results[0].value) as { entry: MessageLogRecord };
    expect(policy.marketingStopped).toHaveBeenCalledWith(claimed.client_id.toHexString(), claimed.recipient, expect.any(Date));

    const paused = new ProviderError('transient', '131048', 'Spam rate limit hit (the session pauses)', { retryAfterMs: 60_000, throttled: 'spam_rate' });
    throttle.onRefused.mockResolvedValueOnce(paused);
    provider.send.mockRejectedValueOnce(new ProviderError('transient', '131048', 'Spam rate limit hit', { throttled: 'spam_rate' }));
    await expect(sender.send(claim, { lastAttempt: false })).rejects.toBe(paused);
  });
});
