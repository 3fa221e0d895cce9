import { Injectable, Logger } from '@nestjs/common';
import { Types } from 'mongoose';
import { describeOutgoingMessage, OutgoingMessage, ProviderError, WhatsappProvider } from '@app/whatsapp';
import { SessionRecord, SessionRepository } from '../auth';
import { AppConfig } from '../config';
import { AttemptOutcome, MessageFailure, SendClaim } from '../message-log/message-log.repository';
import type { MessageLogRecord } from '../message-log/message-log.schema';
import type { NewWhatsappLog } from '../whatsapp-log/whatsapp-log.repository';
import { MessageRenderer } from './message-renderer';
import { ProviderRegistry } from './provider-registry';
import { SendLedger } from './send-ledger';
import { SessionCache } from './session-cache';
import { SessionRateLimiter } from './session-rate-limiter';

/** How one logical message ended. */
export type SendOutcome = { status: 'sent' } | { status: 'failed'; failure: MessageFailure };

export const INTERNAL_ERROR_FAILURE: MessageFailure = {
  code: 'internal_error',
  message: 'The message could not be sent because of an internal error',
  transient: true,
};
export const CANCELLED_FAILURE: MessageFailure = { code: 'cancelled', message: 'The broadcast was stopped before this message was sent', transient: true };

export interface SendOptions {
  /** No retry follows: a transient failure is final. */
  lastAttempt: boolean;
  /** Checked right before each provider call (after the rate-limit wait). */
  stopped?: () => Promise<boolean>;
  /**
   * Checked with `stopped`: true leaves the message unsent (nothing more is called, the entry
   * stays unfinished for a later job) and send() throws SendHeldError (a paused broadcast).
   */
  held?: () => Promise<boolean>;
  /** Messages sharing this key have the same content (a broadcast's): rendered once, not per recipient. */
  contentKey?: string;
}

/** send() stopped before a provider call because `held` said so: the message is left for a later job. */
export class SendHeldError extends Error {
  constructor() {
    super('Sending is on hold');
    this.name = 'SendHeldError';
  }
}

/**
 * The outcome of an entry that is already past sending (a re-run job must not send again).
 * It is the outcome the first run recorded: a message that was sent and then reported
 * failed by the provider stays `sent` here, so a re-run never moves its recipient to the
 * broadcast's other array (the failure is on the message log).
 */
export function outcomeOfFinished(entry: Pick<MessageLogRecord, 'status' | 'error' | 'status_times'>): SendOutcome | null {
  switch (entry.status) {
    case 'queued':
    case 'sending':
      return null;
    case 'sent':
    case 'delivered':
    case 'read':
      return { status: 'sent' };
    case 'failed':
      if (entry.status_times?.sentAt) return { status: 'sent' };
      return { status: 'failed', failure: entry.error ?? INTERNAL_ERROR_FAILURE };
  }
}

/** An attempt that ends in a retry keeps the error to rethrow once its calls are recorded. */
type AttemptResult = SendOutcome | (Extract<AttemptOutcome, { status: 'retry' }> & { error: unknown });

/**
 * Sends one logical message: claims its ledger entry, renders its wire messages, calls the
 * session's provider for each (rate-limited per session), then records the calls (one
 * WhatsApp log each) and the outcome. Reads and writes go through the SendLedger's batches
 * and the session cache, so that a message costs no MongoDB round trip of its own. Wire
 * messages accepted in an earlier attempt are not sent again.
 */
@Injectable()
export class MessageSender {
  private readonly logger = new Logger(MessageSender.name);

  constructor(
    private readonly ledger: SendLedger,
    private readonly sessionCache: SessionCache,
    private readonly sessions: SessionRepository,
    private readonly providers: ProviderRegistry,
    private readonly renderer: MessageRenderer,
    private readonly rateLimiter: SessionRateLimiter,
    private readonly config: AppConfig,
  ) {}

  /**
   * The outcome of the claimed message, or null when its entry does not exist. Throws only
   * to ask for a retry (a transient failure, not on the last attempt).
   */
  async send(claim: SendClaim, options: SendOptions): Promise<SendOutcome | null> {
    const claimed = await this.ledger.claim(claim);
    if (!claimed) return null;
    const { entry, accepted } = claimed;
    const finished = outcomeOfFinished(entry);
    if (finished) return finished;

    const calls: NewWhatsappLog[] = [];
    const outcome = await this.attempt(entry, accepted.length, calls, options);
    const listed = new Set(entry.provider_message_ids);
    await this.ledger.record({ entry, calls, recovered: accepted.filter((call) => !listed.has(call.whatsAppMessageId)), outcome });
    if (outcome.status === 'retry') throw outcome.error;
    return outcome;
  }

  /** Sends the parts from `firstPart` on, collecting each call's WhatsApp log in `calls`. */
  private async attempt(
    entry: MessageLogRecord,
    firstPart: number,
    calls: NewWhatsappLog[],
    options: SendOptions,
  ): Promise<AttemptResult> {
    const session = await this.sessionCache.get(entry.session_id.toHexString());
    try {
      if (!session) throw new ProviderError('permanent', 'session_missing', 'The sending session no longer exists');
      if (session.health === 'unhealthy') {
        throw new ProviderError('permanent', 'session_unhealthy', session.health_reason ?? 'The sending session is marked unhealthy');
      }
      const provider = this.providers.providerFor(session);
      const parts = await this.renderer.render(entry.client_id.toHexString(), entry.message, options.contentKey);
      const perSecond = session.rate_limit_per_second ?? this.config.sending.sessionRateLimitPerSecond;
      for (let index = firstPart; index < parts.length; index++) {
        await this.rateLimiter.acquire(session._id.toHexString(), perSecond);
        if (options.stopped && (await options.stopped())) return { status: 'failed', failure: CANCELLED_FAILURE };
        if (options.held && (await options.held())) return { status: 'retry', error: new SendHeldError() };
        await this.call(provider, entry, session, parts[index], index, calls);
      }
      return { status: 'sent' };
    } catch (error) {
      const failure = await this.failureOf(error, session, options.lastAttempt);
      return failure ? { status: 'failed', failure } : { status: 'retry', error };
    }
  }

  /** The final failure, or null when a retry should follow. */
  private async failureOf(error: unknown, session: SessionRecord | null, lastAttempt: boolean): Promise<MessageFailure | null> {
    if (!(error instanceof ProviderError)) return lastAttempt ? INTERNAL_ERROR_FAILURE : null;
    if (error.options.sessionUnusable && session) {
      // The attempt's accepted calls are recorded after this: a failed health write must not lose them.
      await this.sessions
        .setHealth(session._id.toHexString(), 'unhealthy', error.message)
        .catch((healthError: unknown) => this.logger.warn({ err: healthError }, 'Could not mark the session unhealthy'));
      this.sessionCache.forget(session._id.toHexString());
    }
    if (error.isTransient && !lastAttempt) return null;
    return { code: error.code, message: error.message, transient: error.isTransient };
  }

  /** One provider call; its WhatsApp log (accepted or refused) joins `calls`. */
  private async call(
    provider: WhatsappProvider,
    entry: MessageLogRecord,
    session: SessionRecord,
    part: OutgoingMessage,
    index: number,
    calls: NewWhatsappLog[],
  ): Promise<void> {
    const log = {
      id: new Types.ObjectId().toHexString(),
      clientId: entry.client_id.toHexString(),
      sessionId: session._id.toHexString(),
      messageLogId: entry._id.toHexString(),
      broadcastId: entry.broadcast_id?.toHexString() ?? null,
      toNumber: entry.recipient,
      fromNumber: session.phone_number,
      messageText: describeOutgoingMessage(part),
    };
    try {
      const result = await provider.send({ to: entry.recipient, message: part, idempotencyKey: idempotencyKeyOf(entry, index) });
      calls.push({
        ...log,
        status: 'sent',
        whatsAppMessageId: result.providerMessageId,
        statusMessage: null,
        errorCode: null,
        costInUsdCents: result.costInUsdCents ?? 0,
      });
    } catch (error) {
      if (error instanceof ProviderError) {
        calls.push({ ...log, status: 'failed', whatsAppMessageId: null, statusMessage: error.message, errorCode: error.code, costInUsdCents: 0 });
      }
      throw error;
    }
  }
}

/** Stable across retries of one wire message: `<broadcast>:<recipient>:<part>` or `<message_uid>:<part>`. */
export function idempotencyKeyOf(entry: Pick<MessageLogRecord, 'broadcast_id' | 'recipient' | 'message_uid'>, part: number): string {
  return entry.broadcast_id ? `${entry.broadcast_id.toHexString()}:${entry.recipient}:${part}` : `${entry.message_uid}:${part}`;
}
