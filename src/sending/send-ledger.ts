import { Inject, Injectable, Logger, OnModuleDestroy, Optional } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { Batcher } from '../core/batcher';
import { isMongoUnreachableError } from '../core/mongo-errors';
import { DeliveryStatusService } from '../delivery-status/delivery-status.service';
import { LEDGER_EVENTS, LedgerEvents, OutboxEventType, SendOutcomeRecorded } from '../message-log/ledger-events';
import { AttemptOutcome, MessageLogRepository, SendAttemptRecord, SendClaim } from '../message-log/message-log.repository';
import type { MessageLogRecord } from '../message-log/message-log.schema';
import { AcceptedCall, NewWhatsappLog, WhatsappLogRepository } from '../whatsapp-log/whatsapp-log.repository';

/** Largest batch: one bulk write per collection carries this many messages' writes. */
export const LEDGER_BATCH_SIZE = 100;
/** How long a write waits for others to share its round trip. */
export const LEDGER_BATCH_DELAY_MS = 5;

/** An entry claimed for one send attempt. */
export interface ClaimedMessage {
  entry: MessageLogRecord;
  /** The attempt holds the entry's lease: it may call the provider. Otherwise another attempt does, or the entry is finished. */
  held: boolean;
  /**
   * Calls an earlier attempt got accepted, as its WhatsApp logs show, in send order. Empty on a
   * first attempt. With the entry's provider ids they tell what is missing after a write that
   * failed or a worker that died between the two writes that follow a call.
   */
  acceptedBefore: AcceptedCall[];
}

/** What one send attempt did since its last record: its provider calls (accepted or refused) and, at its end, how it ended. */
export interface AttemptRecord {
  entry: MessageLogRecord;
  leaseToken: string;
  calls: NewWhatsappLog[];
  /** Calls of an earlier attempt that its WhatsApp logs show accepted and the entry does not list (its message-log write failed). */
  adopted?: AcceptedCall[];
  /** Null while the attempt goes on (a part was accepted, more follow). */
  outcome: AttemptOutcome | null;
  /** The message's only call, on its first attempt: nothing of the message was written before (see SendAttemptRecord). */
  firstWrite?: boolean;
}

/**
 * The sending pipeline's writes to the ledger, gathered across concurrent jobs for a few
 * milliseconds and written per collection in one round trip. A job awaits its batch, so it
 * goes on (or completes) only once its writes are acknowledged; a failed batch fails exactly
 * its jobs, which retry. What a provider accepted lands on the message log first, in the
 * write that follows the call, so a retry finds it there and does not send it again; the
 * WhatsApp logs follow, written even when the message-log write failed, so that a retry finds
 * the call in one or the other (and completes the one that misses it).
 */
@Injectable()
export class SendLedger implements OnModuleDestroy {
  private readonly logger = new Logger(SendLedger.name);
  private readonly claims = new Batcher<SendClaim, ClaimedMessage | null>((claims) => this.writeClaims(claims), {
    maxBatchSize: LEDGER_BATCH_SIZE,
    maxDelayMs: LEDGER_BATCH_DELAY_MS,
  });
  private readonly attempts = new Batcher<AttemptRecord, void>((attempts) => this.writeAttempts(attempts), {
    maxBatchSize: LEDGER_BATCH_SIZE,
    maxDelayMs: LEDGER_BATCH_DELAY_MS,
  });

  constructor(
    private readonly messageLogs: MessageLogRepository,
    private readonly whatsappLogs: WhatsappLogRepository,
    private readonly deliveryStatus: DeliveryStatusService,
    @Optional() @Inject(LEDGER_EVENTS) private readonly events?: LedgerEvents,
  ) {}

  /** The entry to send, in `sending` and leased to the attempt (or as it ended, or held by another attempt); null when it does not exist. */
  claim(claim: SendClaim): Promise<ClaimedMessage | null> {
    return this.claims.submit(claim);
  }

  /** Writes what the attempt did; resolves once MongoDB has acknowledged it. */
  record(attempt: AttemptRecord): Promise<void> {
    return this.attempts.submit(attempt);
  }

  /** Extends the attempt's lease; false when it lapsed and another attempt holds the entry now. */
  extendLease(clientId: string, entryId: string, token: string, expiresAt: Date): Promise<boolean> {
    return this.messageLogs.extendLease(clientId, entryId, token, expiresAt);
  }

  /** Writes what is waiting and resolves when every batch under way is written. */
  async drain(): Promise<void> {
    await Promise.all([this.claims.drain(), this.attempts.drain()]);
  }

  onModuleDestroy(): Promise<void> {
    return this.drain();
  }

  private async writeClaims(claims: SendClaim[]): Promise<Array<ClaimedMessage | null>> {
    const claimed = await this.messageLogs.claimForSending(claims);
    // Entries an earlier attempt worked on (rare: after a failure, a crash, a stalled worker).
    const tried = claimed.flatMap((found) =>
      found && !found.created && (found.entry.attempts > 1 || found.entry.provider_message_ids.length > 0) ? [found.entry._id.toHexString()] : [],
    );
    const accepted = await this.whatsappLogs.acceptedCallsOfMessages(tried);
    return claimed.map((found) => {
      if (!found) return null;
      const id = found.entry._id.toHexString();
      return { entry: found.entry, held: found.held, acceptedBefore: accepted.filter((call) => call.messageLogId === id) };
    });
  }

  private async writeAttempts(attempts: AttemptRecord[]): Promise<void[]> {
    // The outcomes' events go in the write that ends their messages (the outbox), for the clients that listen.
    const ending = attempts.filter(({ outcome }) => outcome?.status === 'sent' || outcome?.status === 'failed');
    const recording = ending.length > 0 && this.events ? await this.events.clientsRecordingEvents(ending.map(({ entry }) => entry.client_id.toHexString()), OUTCOME_EVENTS) : new Set<string>();
    const records = attempts.map((attempt) => attemptRecordOf(attempt, recording));
    // The message logs first: once a provider id is there, no retry sends that part again.
    const failed = await persist(() => this.messageLogs.recordSendAttempts(records)).then(
      () => null,
      (error: unknown) => ({ error }),
    );
    // Even when that failed: a retry then finds the accepted calls here.
    await persist(() => this.whatsappLogs.recordProviderCalls(attempts.flatMap((attempt) => attempt.calls)));
    if (failed) throw failed.error;
    this.events?.sendOutcomesRecorded(finishedOutcomes(attempts.filter((_attempt, index) => records[index].event)));
    await this.applyEarlyReports(attempts).catch((error: unknown) =>
      // The messages are recorded whatever happens here: a report left parked expires, a late one still applies.
      this.logger.warn({ err: error }, 'Could not apply the delivery reports that arrived while sending'),
    );
    return attempts.map(() => undefined);
  }

  /** Reports that beat our writes: parked ones (the call was not recorded yet) and ones the unsent message could not take. */
  private async applyEarlyReports(attempts: AttemptRecord[]): Promise<void> {
    const calls = attempts.flatMap((attempt) =>
      attempt.calls.flatMap((call) => (call.whatsAppMessageId ? [{ providerMessageId: call.whatsAppMessageId, sessionId: call.sessionId }] : [])),
    );
    // A report marks a message it reached while unsent only through a call's WhatsApp log, which a first write's
    // message was already `sent` before (the message log is written first): only the others may have a mark to take.
    const sent = attempts.filter((attempt) => attempt.outcome?.status === 'sent' && !attempt.firstWrite).map((attempt) => attempt.entry._id.toHexString());
    await this.deliveryStatus.catchUpRecorded(calls, sent);
  }
}

/** Tries of a write of calls the provider already accepted that MongoDB refuses: if it is lost, a retried job sends them again. */
export const ATTEMPT_WRITE_TRIES = 3;

/** How the ledger's writes after provider calls are retried (see persist). */
export interface PersistTiming {
  backoffMs: number;
  maxBackoffMs: number;
  /** How long a write goes on being tried while MongoDB does not answer. */
  unreachableForMs: number;
}

/**
 * A MongoDB stall (a step-down, a long pause, a partition) lasts seconds to a minute; the accepted calls
 * in memory wait that long for it rather than be forgotten. Past two minutes the worker gives up (its
 * jobs then retry, and the lease keeps the message from a second send until it lapses).
 */
export const PERSIST_TIMING: PersistTiming = { backoffMs: 100, maxBackoffMs: 2000, unreachableForMs: 120_000 };

/**
 * Retries a write before the batch, and so its jobs, fail: a write MongoDB refused a few times
 * (ATTEMPT_WRITE_TRIES), one it did not answer for as long as `unreachableForMs`. Both writes are
 * safe to repeat: WhatsApp logs have ids chosen at the call, and a call's provider id and cost are
 * added only while the entry does not list that id.
 */
export async function persist(write: () => Promise<void>, timing: PersistTiming = PERSIST_TIMING): Promise<void> {
  const started = Date.now();
  for (let tried = 1; ; tried++) {
    try {
      return await write();
    } catch (error) {
      const waitForMongo = isMongoUnreachableError(error) && Date.now() - started < timing.unreachableForMs;
      if (tried >= ATTEMPT_WRITE_TRIES && !waitForMongo) throw error;
      await sleep(Math.min(timing.backoffMs * 2 ** (tried - 1), timing.maxBackoffMs));
    }
  }
}

/** The attempts that ended their message (sent, or failed for good), as events tell them. */
function finishedOutcomes(attempts: AttemptRecord[], at: Date = new Date()): SendOutcomeRecorded[] {
  return attempts.flatMap(({ entry, calls, adopted = [], outcome }) => {
    if (!outcome || outcome.status === 'retry') return [];
    const accepted = [...adopted.map((call) => call.whatsAppMessageId), ...calls.flatMap((call) => (call.whatsAppMessageId ? [call.whatsAppMessageId] : []))];
    const written = { ...entry, provider_message_ids: [...new Set([...entry.provider_message_ids, ...accepted])] };
    return [{ entry: written, status: outcome.status, failure: outcome.status === 'failed' ? outcome.failure : undefined, at }];
  });
}

const OUTCOME_EVENTS: readonly OutboxEventType[] = ['message.sent', 'message.failed'];

/** The ledger's record of an attempt; one that ends its message records the outcome's event when its client is in `recording`. */
function attemptRecordOf({ entry, leaseToken, calls, adopted = [], outcome, firstWrite }: AttemptRecord, recording: ReadonlySet<string>): SendAttemptRecord {
  const listed = new Set(entry.provider_message_ids);
  const accepted = [
    ...adopted.map((call) => ({ id: call.whatsAppMessageId, cost: call.costInUsdCents })),
    ...calls.flatMap((call) => (call.whatsAppMessageId ? [{ id: call.whatsAppMessageId, cost: call.costInUsdCents }] : [])),
    // A WhatsApp log written again for a provider id the entry lists already adds no id and no cost.
  ].filter((call) => !listed.has(call.id));
  return {
    id: entry._id.toHexString(),
    clientId: entry.client_id.toHexString(),
    leaseToken,
    providerMessageIds: accepted.map((call) => call.id),
    costInUsdCents: accepted.reduce((sum, call) => sum + call.cost, 0),
    outcome,
    firstWrite,
    ...((outcome?.status === 'sent' || outcome?.status === 'failed') && recording.has(entry.client_id.toHexString()) ? { event: `message.${outcome.status}` as const } : {}),
  };
}
