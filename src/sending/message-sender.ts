import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { Types } from 'mongoose';
import { createHash, randomUUID } from 'node:crypto';
import { describeOutgoingMessage, OutgoingMessage, ProviderError, WhatsappProvider } from '@app/whatsapp';
import { SessionRecord, SessionRepository } from '../auth';
import { AppConfig } from '../config';
import { PROCESS_ID } from '../core/process-identity';
import { AttemptOutcome, LeaseRequest, MessageFailure, SendTarget } from '../message-log/message-log.repository';
import type { MessageLogRecord } from '../message-log/message-log.schema';
import { sendingOutcomeOf } from '../message-status/message-status';
import type { AcceptedCall, NewWhatsappLog } from '../whatsapp-log/whatsapp-log.repository';
import { MessageRenderer } from '../message-content/message-renderer';
import { ProviderRegistry } from './provider-registry';
import { isWait, RECIPIENT_POLICY, RecipientPolicy, RecipientWait } from './recipient-policy';
import { SendLedger } from './send-ledger';
import { SenderThrottle } from './sender-throttle';
import { SessionCache } from './session-cache';
import { SessionRateLimiter } from './session-rate-limiter';

/** How one logical message ended. */
export type SendOutcome = { status: 'sent' } | { status: 'failed'; failure: MessageFailure };

/** An attempt that sent nothing and decided nothing: another attempt holds the message and records its outcome. */
export interface SkippedSend {
  status: 'skipped';
  reason: string;
  /** The message waits (see RecipientWait): its job goes again after this long. */
  retryInMs?: number;
}

export const INTERNAL_ERROR_FAILURE: MessageFailure = {
  code: 'internal_error',
  message: 'The message could not be sent because of an internal error',
  transient: true,
};
export const CANCELLED_FAILURE: MessageFailure = { code: 'cancelled', message: 'The broadcast was stopped before this message was sent', transient: true };

const SENT: SendOutcome = { status: 'sent' };

/** Why an attempt stopped because `held` said so. */
export const HELD_REASON = 'sending is on hold';

/** Thrown to retry later: another attempt (a job taken back from a stalled worker) holds the message's lease. */
export class LeaseBusyError extends Error {
  constructor(readonly retryAfterMs: number) {
    super('Another attempt is sending this message; trying again when its lease ends');
    this.name = LeaseBusyError.name;
  }
}

/** Margin after a busy lease's end before looking again. */
const LEASE_BUSY_MARGIN_MS = 250;
/** What a lease must have left beyond the provider's timeout when a call starts (the write of its outcome), and how long before it lapses a call under way renews it. */
const CALL_LEASE_MARGIN_MS = 2000;
/** Renewals of a lease under a long call come at most this often (a failed renewal is tried again after it). */
const LEASE_RENEW_MIN_WAIT_MS = 500;

export interface SendOptions {
  /** No retry follows: a transient failure is final. */
  lastAttempt: boolean;
  /** Checked right before each provider call (after the rate-limit wait). */
  stopped?: () => Promise<boolean>;
  /**
   * Checked with `stopped`: true leaves the message unsent for a later job (its lease released,
   * nothing more called) and the attempt answers `skipped` (a paused broadcast).
   */
  held?: () => Promise<boolean>;
  /** Messages sharing this key have the same content (a broadcast's): rendered once, not per recipient. */
  contentKey?: string;
  /** The caller's own reason not to send the message, asked with the recipient policy (once, before its first provider call). */
  refusal?: (entry: MessageLogRecord) => Promise<MessageFailure | null>;
}

/**
 * The outcome of an entry that is already past sending (a re-run job must not send again).
 * It is the outcome the first run recorded (sendingOutcomeOf): a message that was sent and then
 * reported failed by the provider stays `sent` here, so a re-run never moves its recipient to the
 * broadcast's other array (the failure is on the message log).
 */
export function outcomeOfFinished(entry: Pick<MessageLogRecord, 'status' | 'error' | 'status_times'>): SendOutcome | null {
  switch (sendingOutcomeOf(entry)) {
    case null:
      return null;
    case 'sent':
      return SENT;
    case 'failed':
      return { status: 'failed', failure: entry.error ?? INTERNAL_ERROR_FAILURE };
  }
}

/** An attempt's hold on its message (see SendLease on the message log). */
type Lease = LeaseRequest;

/**
 * Sends one logical message. Its ledger entry is claimed first: the attempt leases it, and
 * only the holder of the lease calls the provider (a job run twice at once, say after a
 * worker stalled, sends once). Then its wire messages are rendered and sent one by one
 * (rate-limited per session), skipping those an earlier attempt got accepted; each accepted
 * call is on the message log before the next call is made, and the outcome is written with
 * the last. Reads and writes go through the SendLedger's batches and the session cache, so
 * a message costs no MongoDB round trip of its own.
 *
 * What is left is the at-least-once window: a worker that dies after the provider accepted a
 * call and before that write lands leaves no trace of the call, and the retry sends it again
 * (see src/broadcast/README.md).
 */
@Injectable()
export class MessageSender {
  private readonly logger = new Logger(MessageSender.name);
  private readonly leaseMs: number;
  /** The least a lease may have left when a provider call starts: the call's longest wait and the write after it. */
  private readonly callLeaseMs: number;

  constructor(
    private readonly ledger: SendLedger,
    private readonly sessionCache: SessionCache,
    private readonly sessions: SessionRepository,
    private readonly providers: ProviderRegistry,
    private readonly renderer: MessageRenderer,
    private readonly rateLimiter: SessionRateLimiter,
    private readonly config: AppConfig,
    private readonly throttle: SenderThrottle,
    @Optional() @Inject(RECIPIENT_POLICY) private readonly policy?: RecipientPolicy,
  ) {
    // As long as the worker's hold on the job: a job taken back from a dead worker finds the lease lapsed or about to.
    this.leaseMs = config.worker.lockDurationMs;
    this.callLeaseMs = Math.max(this.leaseMs / 2, config.cloudApi.timeoutMs + CALL_LEASE_MARGIN_MS);
  }

  /**
   * The outcome of the message; `skipped` when another attempt holds it on the last attempt;
   * null when its entry does not exist. Throws only to ask for a retry (a transient failure,
   * not on the last attempt, or a lease held by another attempt).
   */
  async send(target: SendTarget, options: SendOptions): Promise<SendOutcome | SkippedSend | null> {
    const lease: Lease = { token: randomUUID(), expiresAt: new Date(Date.now() + this.leaseMs), holder: PROCESS_ID };
    const claimed = await this.ledger.claim({ ...target, lease });
    if (!claimed) return null;
    // Cancelled by the client before it started (its job fired or the sweep ran anyway): nothing is sent.
    if (claimed.entry.status === 'cancelled') return { status: 'skipped', reason: 'the message was cancelled' };
    const { held, acceptedBefore } = claimed;
    const entry = await this.completeEarlierRecords(claimed.entry, acceptedBefore, lease, options);
    const finished = outcomeOfFinished(entry);
    if (finished) return finished;
    if (!held) {
      // That attempt records the outcome; the sweep re-enqueues the message should it die first.
      if (options.lastAttempt) return { status: 'skipped', reason: 'another attempt holds the message' };
      const busyFor = (entry.claim?.expires_at.getTime() ?? Date.now()) - Date.now();
      throw new LeaseBusyError(Math.max(busyFor, 0) + LEASE_BUSY_MARGIN_MS);
    }
    return this.attempt(entry, lease, options);
  }

  /** Sends the parts an earlier attempt did not get accepted, recording each accepted call before the next. */
  private async attempt(entry: MessageLogRecord, lease: Lease, options: SendOptions): Promise<SendOutcome | SkippedSend> {
    const session = await this.sessionCache.get(entry.session_id.toHexString());
    let provider: WhatsappProvider;
    let parts: OutgoingMessage[];
    try {
      if (!session) throw new ProviderError('permanent', 'session_missing', 'The sending session no longer exists');
      if (session.health === 'unhealthy') {
        throw new ProviderError('permanent', 'session_unhealthy', session.health_reason ?? 'The sending session is marked unhealthy');
      }
      // Asked once per message, before its first provider call (an attempt after accepted parts goes on).
      // The caller's own refusal (a scheduled template send checked again), then the recipient policy's verdict.
      const verdict =
        entry.provider_message_ids.length === 0
          ? ((await options.refusal?.(entry)) ?? (await this.policy?.verdict({ clientId: entry.client_id.toHexString(), session, recipient: entry.recipient, content: entry.message })))
          : null;
      if (verdict && isWait(verdict)) return await this.putOnHold(entry, lease, verdict);
      if (verdict) return await this.finish(entry, lease, [], { status: 'failed', failure: verdict });
      provider = this.providers.providerFor(session);
      parts = await this.renderer.render(entry.client_id.toHexString(), entry.message, options.contentKey);
    } catch (error) {
      return this.end(entry, lease, [], error, session, options);
    }
    const perSecond = session.rate_limit_per_second ?? this.config.sending.sessionRateLimitPerSecond;
    const firstPart = entry.provider_message_ids.length;
    for (let index = firstPart; index < parts.length; index++) {
      const log = this.logOf(entry, session, parts[index]);
      let accepted: NewWhatsappLog;
      try {
        // A stop or pause that comes while this send waits for its rate slot ends the wait.
        for (let slot = false; !slot; ) {
          slot = await this.rateLimiter.acquire(session._id.toHexString(), perSecond, () => this.interrupted(options));
          if (options.stopped && (await options.stopped())) return this.finish(entry, lease, [], { status: 'failed', failure: CANCELLED_FAILURE });
          if (options.held && (await options.held())) return this.putOnHold(entry, lease);
        }
        if (!(await this.keepLease(entry, lease))) return { status: 'skipped', reason: 'the lease lapsed and another attempt took the message' };
        const message = parts[index];
        const result = await this.holdingLease(entry, lease, () => provider.send({ to: entry.recipient, message, idempotencyKey: idempotencyKeyOf(entry, index) }));
        accepted = { ...log, status: 'sent', whatsAppMessageId: result.providerMessageId, statusMessage: null, errorCode: null, costInUsdCents: result.costInUsdCents ?? 0 };
      } catch (error) {
        const refused: NewWhatsappLog[] =
          error instanceof ProviderError
            ? [{ ...log, status: 'failed', whatsAppMessageId: null, statusMessage: error.message, errorCode: error.code, costInUsdCents: 0 }]
            : [];
        return this.end(entry, lease, refused, error, session, options);
      }
      // A failed write fails the job, which retries and finds nothing of this call: the at-least-once window.
      // The message's only call on its first attempt: nothing of it was written before (see SendAttemptRecord.firstWrite).
      const firstWrite = parts.length === 1 && entry.attempts === 1 && entry.provider_message_ids.length === 0;
      await this.ledger.record({ entry, leaseToken: lease.token, calls: [accepted], outcome: index === parts.length - 1 ? SENT : null, firstWrite });
    }
    // Every part was accepted by an earlier attempt whose outcome was not written.
    if (firstPart >= parts.length) await this.ledger.record({ entry, leaseToken: lease.token, calls: [], outcome: SENT });
    return SENT;
  }

  /** The message's sender was stopped or put on hold. */
  private async interrupted(options: SendOptions): Promise<boolean> {
    return Boolean((options.stopped && (await options.stopped())) || (options.held && (await options.held())));
  }

  /** Ends the attempt on an error: a final failure, or a retry (the error is thrown again once recorded). */
  private async end(
    entry: MessageLogRecord,
    lease: Lease,
    calls: NewWhatsappLog[],
    error: unknown,
    session: SessionRecord | null,
    options: SendOptions,
  ): Promise<SendOutcome> {
    const refusal = error instanceof ProviderError ? await this.actOnRefusal(entry, error, session) : error;
    const failure = await this.failureOf(refusal, session, options.lastAttempt);
    if (failure) return this.finish(entry, lease, calls, { status: 'failed', failure });
    await this.ledger.record({ entry, leaseToken: lease.token, calls, outcome: { status: 'retry' } });
    throw refusal;
  }

  /** What a refusal means beyond its message (see docs/messaging-limits.md): the session's sends wait, or the recipient stopped marketing. */
  private async actOnRefusal(entry: MessageLogRecord, error: ProviderError, session: SessionRecord | null): Promise<ProviderError> {
    if (error.options.marketingStopped) await this.policy?.marketingStopped?.(entry.client_id.toHexString(), entry.recipient, new Date());
    return session ? this.throttle.onRefused(error, session._id.toHexString()) : error;
  }

  private async finish(entry: MessageLogRecord, lease: Lease, calls: NewWhatsappLog[], outcome: Extract<AttemptOutcome, SendOutcome>): Promise<SendOutcome> {
    await this.ledger.record({ entry, leaseToken: lease.token, calls, outcome });
    return outcome;
  }

  /** Leaves the message unsent and free for a later attempt (its parts accepted so far stay recorded); a wait says when to try again. */
  private async putOnHold(entry: MessageLogRecord, lease: Lease, wait?: RecipientWait): Promise<SkippedSend> {
    const outcome: AttemptOutcome = wait ? { status: 'retry', waiting: { reason: wait.reason, until: wait.waitUntil } } : { status: 'retry' };
    await this.ledger.record({ entry, leaseToken: lease.token, calls: [], outcome });
    return wait ? { status: 'skipped', reason: wait.reason, retryInMs: wait.retryInMs } : { status: 'skipped', reason: HELD_REASON };
  }

  /** The final failure, or null when a retry should follow. */
  private async failureOf(error: unknown, session: SessionRecord | null, lastAttempt: boolean): Promise<MessageFailure | null> {
    if (!(error instanceof ProviderError)) return lastAttempt ? INTERNAL_ERROR_FAILURE : null;
    if (error.options.sessionUnusable && session) {
      await this.sessions
        .setHealth(session._id.toHexString(), 'unhealthy', error.message)
        .catch((healthError: unknown) => this.logger.warn({ err: healthError }, 'Could not mark the session unhealthy'));
      this.sessionCache.forget(session._id.toHexString());
    }
    if (error.isTransient && !lastAttempt) return null;
    // Marked only when it may pass: POST /broadcast/:id/retry retries these.
    return error.isTransient ? { code: error.code, message: error.message, transient: true } : { code: error.code, message: error.message };
  }

  /**
   * Renews the lease before a provider call unless it outlasts the call (the provider's timeout,
   * and the write after it) and has half its length left: an attempt that waited long for its rate
   * limit renews, so that no lease lapses while its call is under way and another attempt takes
   * the message (with `now`, it renews whatever is left: for a call under way). False when it
   * lapsed already and another attempt holds the message.
   */
  private async keepLease(entry: MessageLogRecord, lease: Lease, now = false): Promise<boolean> {
    if (!now && lease.expiresAt.getTime() - Date.now() > this.callLeaseMs) return true;
    const expiresAt = new Date(Date.now() + Math.max(this.leaseMs, this.callLeaseMs + CALL_LEASE_MARGIN_MS));
    if (!(await this.ledger.extendLease(entry.client_id.toHexString(), entry._id.toHexString(), lease.token, expiresAt))) return false;
    lease.expiresAt = expiresAt;
    return true;
  }

  /**
   * Runs a provider call while renewing the lease shortly before it would lapse: a call can outlast
   * any lease fixed in advance (a media upload may take CLOUD_API_UPLOAD_TIMEOUT_MS, then the send,
   * and an upload refused once goes again), and a lease that lapses under a call lets another
   * attempt, or a DISABLED template's hold, take a message that is being sent. Quick calls end
   * before the first renewal is due, and cost no write.
   */
  private async holdingLease<T>(entry: MessageLogRecord, lease: Lease, call: () => Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    let done = false;
    const renewSoon = (): void => {
      timer = setTimeout(
        () => {
          this.keepLease(entry, lease, true)
            .then((held) => {
              if (held && !done) renewSoon();
            })
            .catch((error: unknown) => {
              this.logger.warn({ err: error, messageLogId: entry._id }, 'Could not renew the lease of a message being sent; trying again');
              if (!done) renewSoon();
            });
        },
        Math.max(lease.expiresAt.getTime() - Date.now() - CALL_LEASE_MARGIN_MS, LEASE_RENEW_MIN_WAIT_MS),
      );
      timer.unref();
    };
    renewSoon();
    try {
      return await call();
    } finally {
      done = true;
      clearTimeout(timer);
    }
  }

  /**
   * Completes what an earlier attempt left half written: provider ids its WhatsApp logs show but
   * the entry does not (its message-log write failed) go on the entry; provider ids on the entry
   * without a WhatsApp log (its worker died between the two writes) get their log. Answers the
   * entry as it now stands. The logs written again have ids derived from the provider id, so two
   * attempts doing this at once write one log.
   */
  private async completeEarlierRecords(entry: MessageLogRecord, acceptedBefore: AcceptedCall[], lease: Lease, options: SendOptions): Promise<MessageLogRecord> {
    const logged = new Set(acceptedBefore.map((call) => call.whatsAppMessageId));
    const listed = new Set(entry.provider_message_ids);
    const adopted = acceptedBefore.filter((call) => !listed.has(call.whatsAppMessageId));
    const unlogged = entry.provider_message_ids.filter((id) => !logged.has(id));
    if (adopted.length === 0 && unlogged.length === 0) return entry;
    const session = unlogged.length > 0 ? await this.sessionCache.get(entry.session_id.toHexString()) : null;
    const parts = unlogged.length > 0 ? await this.renderer.render(entry.client_id.toHexString(), entry.message, options.contentKey).catch(() => []) : [];
    const calls = unlogged.map((providerMessageId): NewWhatsappLog => {
      const index = entry.provider_message_ids.indexOf(providerMessageId);
      return {
        ...this.logOf(entry, session, parts[index]),
        id: loggedAgainId(entry, providerMessageId),
        status: 'sent',
        whatsAppMessageId: providerMessageId,
        statusMessage: null,
        errorCode: null,
        // Each call's cost is known only as part of the entry's total.
        costInUsdCents: entry.provider_message_ids.length === 1 ? entry.cost_in_usd_cents : 0,
      };
    });
    await this.ledger.record({ entry, leaseToken: lease.token, calls, adopted, outcome: null });
    return { ...entry, provider_message_ids: [...entry.provider_message_ids, ...adopted.map((call) => call.whatsAppMessageId)] };
  }

  /** What a call's WhatsApp log says whatever its result. */
  private logOf(entry: MessageLogRecord, session: SessionRecord | null, part: OutgoingMessage | undefined) {
    return {
      id: new Types.ObjectId().toHexString(),
      clientId: entry.client_id.toHexString(),
      sessionId: entry.session_id.toHexString(),
      messageLogId: entry._id.toHexString(),
      broadcastId: entry.broadcast_id?.toHexString() ?? null,
      toNumber: entry.recipient,
      fromNumber: session?.phone_number ?? null,
      messageText: part ? describeOutgoingMessage(part) : null,
    };
  }
}

/** Stable across retries of one wire message: `<broadcast>:<recipient>:<part>` or `<message_uid>:<part>`. */
export function idempotencyKeyOf(entry: Pick<MessageLogRecord, 'broadcast_id' | 'recipient' | 'message_uid'>, part: number): string {
  return entry.broadcast_id ? `${entry.broadcast_id.toHexString()}:${entry.recipient}:${part}` : `${entry.message_uid}:${part}`;
}

/** The id of a WhatsApp log written again: the entry's creation second (from its id), then a digest of the provider id. */
function loggedAgainId(entry: Pick<MessageLogRecord, '_id'>, providerMessageId: string): string {
  const seconds = entry._id.toHexString().slice(0, 8);
  return seconds + createHash('sha256').update(providerMessageId).digest('hex').slice(0, 16);
}
