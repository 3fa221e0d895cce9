import { Inject, Injectable, Logger, OnModuleDestroy, Optional } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { Batcher } from '../core/batcher';
import { DeliveryStatusService } from '../delivery-status/delivery-status.service';
import { LEDGER_EVENTS, LedgerEvents, SendOutcomeRecorded } from '../message-log/ledger-events';
import { AttemptOutcome, MessageLogRepository, SendAttemptRecord, SendClaim } from '../message-log/message-log.repository';
import type { MessageLogRecord } from '../message-log/message-log.schema';
import { AcceptedCall, NewWhatsappLog, WhatsappLogRepository } from '../whatsapp-log/whatsapp-log.repository';

/** Largest batch: one bulk write per collection carries this many messages' writes. */
export const LEDGER_BATCH_SIZE = 100;
/** How long a write waits for others to share its round trip. */
export const LEDGER_BATCH_DELAY_MS = 5;

/** An entry claimed for one send attempt, with the calls an earlier attempt already got accepted. */
export interface ClaimedMessage {
  entry: MessageLogRecord;
  /** Accepted calls in send order: the parts to skip. Empty on a first attempt. */
  accepted: AcceptedCall[];
}

/** What one send attempt did: its provider calls (accepted or refused) and how it ended. */
export interface AttemptRecord {
  entry: MessageLogRecord;
  calls: NewWhatsappLog[];
  /** Calls accepted by an earlier attempt that the entry does not list yet (that attempt's write failed). */
  recovered: AcceptedCall[];
  outcome: AttemptOutcome;
}

/**
 * The sending pipeline's writes to the ledger, gathered across concurrent jobs for a few
 * milliseconds and written per collection in one round trip. A job awaits its batch, so it
 * completes only once its writes are acknowledged; a failed batch fails exactly its jobs,
 * which retry (and find what the failed attempt got accepted, so nothing is sent twice).
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

  /** The entry to send, in `sending` (or as it ended, when an earlier run finished it); null when it does not exist. */
  claim(claim: SendClaim): Promise<ClaimedMessage | null> {
    return this.claims.submit(claim);
  }

  /** Writes what the attempt did; resolves once MongoDB has acknowledged it. */
  record(attempt: AttemptRecord): Promise<void> {
    return this.attempts.submit(attempt);
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
    // A run after a failed or interrupted one: its provider calls may be recorded only as WhatsApp logs.
    const reruns = claimed.flatMap((found) => (found && !found.firstAttempt && isUnfinished(found.entry) ? [found.entry._id.toHexString()] : []));
    const accepted = await this.whatsappLogs.acceptedCallsOfMessages(reruns);
    return claimed.map((found) => {
      if (!found) return null;
      const id = found.entry._id.toHexString();
      return { entry: found.entry, accepted: accepted.filter((call) => call.messageLogId === id) };
    });
  }

  private async writeAttempts(attempts: AttemptRecord[]): Promise<void[]> {
    // WhatsApp logs first: a job retried after the next write fails finds its accepted calls there and does not send them again.
    const calls = attempts.flatMap((attempt) => attempt.calls);
    await persist(() => this.whatsappLogs.recordProviderCalls(calls));
    const records = attempts.map(attemptRecordOf);
    await persist(() => this.messageLogs.recordSendAttempts(records));
    this.events?.sendOutcomesRecorded(finishedOutcomes(attempts));
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
    const sent = attempts.filter((attempt) => attempt.outcome.status === 'sent').map((attempt) => attempt.entry._id.toHexString());
    await this.deliveryStatus.catchUpRecorded(calls, sent);
  }
}

/** Tries of a write of calls the provider already accepted: if it is lost, a retried job sends them again. */
export const ATTEMPT_WRITE_TRIES = 3;
const ATTEMPT_WRITE_BACKOFF_MS = 100;

/**
 * Retries a write a few times (a primary stepping down, a blip) before the batch, and so its
 * jobs, fail. Both writes are safe to repeat: WhatsApp logs have ids chosen at the call, and
 * provider ids are added to a set; only a cost whose write was applied but reported failed
 * would be added twice.
 */
async function persist(write: () => Promise<void>): Promise<void> {
  for (let tried = 1; ; tried++) {
    try {
      return await write();
    } catch (error) {
      if (tried >= ATTEMPT_WRITE_TRIES) throw error;
      await sleep(ATTEMPT_WRITE_BACKOFF_MS * 2 ** (tried - 1));
    }
  }
}

/** The attempts that ended their message (sent, or failed for good), as events tell them. */
function finishedOutcomes(attempts: AttemptRecord[], at: Date = new Date()): SendOutcomeRecorded[] {
  return attempts.flatMap(({ entry, calls, recovered, outcome }) => {
    if (outcome.status === 'retry') return [];
    const accepted = [...recovered.map((call) => call.whatsAppMessageId), ...calls.flatMap((call) => (call.whatsAppMessageId ? [call.whatsAppMessageId] : []))];
    const written = { ...entry, provider_message_ids: [...new Set([...entry.provider_message_ids, ...accepted])] };
    return [{ entry: written, status: outcome.status, failure: outcome.status === 'failed' ? outcome.failure : undefined, at }];
  });
}

const isUnfinished = (entry: MessageLogRecord): boolean => entry.status === 'queued' || entry.status === 'sending';

function attemptRecordOf({ entry, calls, recovered, outcome }: AttemptRecord): SendAttemptRecord {
  const accepted = [
    ...recovered.map((call) => ({ id: call.whatsAppMessageId, cost: call.costInUsdCents })),
    ...calls.flatMap((call) => (call.whatsAppMessageId ? [{ id: call.whatsAppMessageId, cost: call.costInUsdCents }] : [])),
  ];
  return {
    id: entry._id.toHexString(),
    providerMessageIds: accepted.map((call) => call.id),
    costInUsdCents: accepted.reduce((sum, call) => sum + call.cost, 0),
    outcome,
  };
}
