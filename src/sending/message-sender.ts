import { Injectable, Logger } from '@nestjs/common';
import { describeOutgoingMessage, OutgoingMessage, ProviderError, WhatsappProvider } from '@app/whatsapp';
import { SessionRecord, SessionRepository } from '../auth';
import { AppConfig } from '../config';
import { DeliveryStatusService } from '../delivery-status/delivery-status.service';
import { MessageFailure, MessageLogRepository } from '../message-log/message-log.repository';
import type { MessageLogRecord } from '../message-log/message-log.schema';
import { WhatsappLogRepository } from '../whatsapp-log/whatsapp-log.repository';
import { MessageRenderer } from './message-renderer';
import { ProviderRegistry } from './provider-registry';
import { SessionRateLimiter } from './session-rate-limiter';

/** How one logical message ended. */
export type SendOutcome = { status: 'sent' } | { status: 'failed'; failure: MessageFailure };

export const INTERNAL_ERROR_FAILURE: MessageFailure = {
  code: 'internal_error',
  message: 'The message could not be sent because of an internal error',
};
export const CANCELLED_FAILURE: MessageFailure = { code: 'cancelled', message: 'The broadcast was stopped before this message was sent' };

export interface DeliverOptions {
  /** No retry follows: a transient failure is final. */
  lastAttempt: boolean;
  /** Checked right before each provider call (after the rate-limit wait). */
  stopped?: () => Promise<boolean>;
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

/**
 * Sends one logical message: renders its wire messages, calls the session's provider for
 * each (rate-limited per session), writes one WhatsApp log per call and moves the message
 * log. Wire messages already accepted in an earlier attempt are not sent again.
 */
@Injectable()
export class MessageSender {
  private readonly logger = new Logger(MessageSender.name);

  constructor(
    private readonly messageLogs: MessageLogRepository,
    private readonly whatsappLogs: WhatsappLogRepository,
    private readonly sessions: SessionRepository,
    private readonly providers: ProviderRegistry,
    private readonly renderer: MessageRenderer,
    private readonly rateLimiter: SessionRateLimiter,
    private readonly config: AppConfig,
    private readonly deliveryStatus: DeliveryStatusService,
  ) {}

  /** Throws only to ask for a retry (transient failure, not the last attempt). */
  async deliver(entry: MessageLogRecord, options: DeliverOptions): Promise<SendOutcome> {
    const finished = outcomeOfFinished(entry);
    if (finished) return finished;
    const id = entry._id.toHexString();
    const session = await this.sessions.findById(entry.session_id.toHexString());
    try {
      if (!session) throw new ProviderError('permanent', 'session_missing', 'The sending session no longer exists');
      if (session.health === 'unhealthy') {
        throw new ProviderError('permanent', 'session_unhealthy', session.health_reason ?? 'The sending session is marked unhealthy');
      }
      const provider = this.providers.providerFor(session);
      const parts = await this.renderer.render(entry.client_id.toHexString(), entry.message);
      await this.messageLogs.markSendingAttempt(id);
      const perSecond = session.rate_limit_per_second ?? this.config.sending.sessionRateLimitPerSecond;
      for (let index = entry.provider_message_ids.length; index < parts.length; index++) {
        await this.rateLimiter.acquire(session._id.toHexString(), perSecond);
        if (options.stopped && (await options.stopped())) {
          await this.messageLogs.markFailed(id, CANCELLED_FAILURE);
          return { status: 'failed', failure: CANCELLED_FAILURE };
        }
        await this.call(provider, entry, session, parts[index], index);
      }
      await this.messageLogs.advanceStatus(id, 'sent');
    } catch (error) {
      const failure = await this.failureOf(error, session, options.lastAttempt);
      await this.messageLogs.markFailed(id, failure);
      return { status: 'failed', failure };
    }
    // The message is sent whatever happens next: a failed catch-up must not turn it into a failure.
    await this.deliveryStatus
      .catchUpMessage(id)
      .catch((error: unknown) => this.logger.warn({ err: error, messageLogId: id }, 'Could not catch the message up with its delivery reports'));
    return { status: 'sent' };
  }

  /** The final failure, or rethrows when a retry should follow. */
  private async failureOf(error: unknown, session: SessionRecord | null, lastAttempt: boolean): Promise<MessageFailure> {
    if (!(error instanceof ProviderError)) {
      if (!lastAttempt) throw error;
      return INTERNAL_ERROR_FAILURE;
    }
    if (error.options.sessionUnusable && session) await this.sessions.setHealth(session._id.toHexString(), 'unhealthy', error.message);
    if (error.isTransient && !lastAttempt) throw error;
    return { code: error.code, message: error.message };
  }

  /** One provider call and its WhatsApp log. */
  private async call(provider: WhatsappProvider, entry: MessageLogRecord, session: SessionRecord, part: OutgoingMessage, index: number): Promise<void> {
    const log = {
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
      const cost = result.costInUsdCents ?? 0;
      await this.whatsappLogs.recordProviderCall({
        ...log,
        status: 'sent',
        whatsAppMessageId: result.providerMessageId,
        statusMessage: null,
        errorCode: null,
        costInUsdCents: cost,
      });
      await this.messageLogs.recordProviderMessage(entry._id.toHexString(), result.providerMessageId, cost);
      await this.deliveryStatus.replayEarlyReports(result.providerMessageId, log.sessionId);
    } catch (error) {
      if (error instanceof ProviderError) {
        await this.whatsappLogs.recordProviderCall({
          ...log,
          status: 'failed',
          whatsAppMessageId: null,
          statusMessage: error.message,
          errorCode: error.code,
          costInUsdCents: 0,
        });
      }
      throw error;
    }
  }
}

/** Stable across retries of one wire message: `<broadcast>:<recipient>:<part>` or `<message_uid>:<part>`. */
export function idempotencyKeyOf(entry: Pick<MessageLogRecord, 'broadcast_id' | 'recipient' | 'message_uid'>, part: number): string {
  return entry.broadcast_id ? `${entry.broadcast_id.toHexString()}:${entry.recipient}:${part}` : `${entry.message_uid}:${part}`;
}
