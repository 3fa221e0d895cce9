import { Inject, Injectable, OnModuleDestroy, Optional } from '@nestjs/common';
import type { StatusUpdate, StatusUpdateSink } from '@app/whatsapp';
import { Batcher } from '../core/batcher';
import { LEDGER_EVENTS, LedgerEvents, OutboxEventType } from '../message-log/ledger-events';
import { DeliveryRollup, MessageLogRepository } from '../message-log/message-log.repository';
import { isUnsent, reportableFrom } from '../message-status/message-status';
import { ReportedOnCall, StatusAdvance, WhatsappLogRepository } from '../whatsapp-log/whatsapp-log.repository';
import { EarlyStatusUpdates } from './early-status-updates';

/**
 * The one place delivery reports land, from Cloud API webhooks and from the sandbox. The
 * WhatsApp log of the call moves forward (never back: read never becomes delivered), its
 * price is recorded once, and the change rolls up into the logical message's log.
 *
 * Two races are closed here: a report for a call whose WhatsApp log is not written yet is
 * parked, and a report that reaches a message still being sent leaves a mark; the sender
 * takes both once it has recorded the calls and marked the message sent (`catchUpRecorded`).
 */
/**
 * Reports gathered into one batch: up to 50 ms' worth. Reports trickle in at the pace of the
 * sends, and nobody waits on them but the webhook's answer, so a longer wait buys larger batches.
 */
const REPORT_BATCH_SIZE = 200;
const REPORT_BATCH_DELAY_MS = 50;
/** The events a report that moves a message records on it (a `sent` report never moves one). */
const ROLLUP_EVENTS: readonly OutboxEventType[] = ['message.delivered', 'message.read', 'message.failed'];

interface Report {
  update: StatusUpdate;
  onlyForSessionId: string | null;
}

@Injectable()
export class DeliveryStatusService implements StatusUpdateSink, OnModuleDestroy {
  private readonly reports = new Batcher<Report, void>((reports) => this.applyBatch(reports), {
    maxBatchSize: REPORT_BATCH_SIZE,
    maxDelayMs: REPORT_BATCH_DELAY_MS,
  });

  constructor(
    private readonly whatsappLogs: WhatsappLogRepository,
    private readonly messageLogs: MessageLogRepository,
    private readonly early: EarlyStatusUpdates,
    @Optional() @Inject(LEDGER_EVENTS) private readonly events?: LedgerEvents,
  ) {}

  /**
   * Applies a report (with the others arriving meanwhile: a few queries for the whole batch);
   * one for an unknown provider id is parked (optionally only for that session's call).
   */
  apply(update: StatusUpdate, onlyForSessionId: string | null = null): Promise<void> {
    return this.reports.submit({ update, onlyForSessionId });
  }

  async onModuleDestroy(): Promise<void> {
    await this.reports.drain();
  }

  /** The sender recorded the call with this provider id: apply what arrived before it. */
  async replayEarlyReports(providerMessageId: string, sessionId: string): Promise<void> {
    await this.catchUpRecorded([{ providerMessageId, sessionId }], []);
  }

  /**
   * The sender recorded these calls and marked these messages sent: apply the reports that
   * arrived before the calls were recorded, and take the messages a report reached while
   * they were being sent as far as their calls' reports went. One Redis round trip; MongoDB
   * only for what there is to apply (rare).
   */
  async catchUpRecorded(calls: Array<{ providerMessageId: string; sessionId: string }>, sentMessageLogIds: string[]): Promise<void> {
    const { parked, unrolled } = await this.early.takeForRecordedCalls(
      calls.map((call) => call.providerMessageId),
      sentMessageLogIds,
    );
    const replayed = calls.flatMap(({ providerMessageId, sessionId }) =>
      (parked.get(providerMessageId) ?? []).filter(({ sessionId: onlyFor }) => onlyFor === null || onlyFor === sessionId).map(({ update }) => update),
    );
    try {
      if (replayed.length > 0) await this.applyToRecordedCalls(replayed, await this.callsOf(replayed));
      await this.catchUpMessages([...unrolled]);
    } catch (error) {
      // What was taken goes back, for the next look (a report for the call, or a rerun) to apply.
      for (const [, reports] of parked) for (const { update, sessionId } of reports) await this.early.park(update, sessionId);
      for (const messageLogId of unrolled) await this.early.markUnrolled(messageLogId);
      throw error;
    }
  }

  /** Takes each message as far as its calls' reports already went (one read for all). */
  async catchUpMessages(messageLogIds: string[]): Promise<void> {
    if (messageLogIds.length === 0) return;
    const reached = await this.whatsappLogs.furthestDeliveryOfMessages(messageLogIds);
    const rollups: DeliveryRollup[] = [...reached].map(([id, { clientId, status, at, failure }]) => ({ id, clientId, status, at, failure }));
    await this.rollUp(rollups);
  }

  private async applyBatch(reports: Report[]): Promise<void[]> {
    const calls = await this.callsOf(reports.map((report) => report.update));
    const recorded: StatusUpdate[] = [];
    const unknown: Report[] = [];
    for (const report of reports) {
      const call = calls.get(report.update.providerMessageId);
      if (!call) unknown.push(report);
      else if (!report.onlyForSessionId || call.sessionId?.toHexString() === report.onlyForSessionId) recorded.push(report.update);
    }
    await this.applyToRecordedCalls(recorded, calls);
    await this.parkUntilRecorded(unknown);
    return reports.map(() => undefined);
  }

  private async callsOf(updates: StatusUpdate[]): Promise<Map<string, ReportedOnCall>> {
    const found = await this.whatsappLogs.findCallsByWhatsAppMessageIds([...new Set(updates.map((update) => update.providerMessageId))]);
    return new Map(found.map((call) => [call.whatsAppMessageId!, call]));
  }

  /**
   * Reports about calls not recorded yet wait for the sender (the provider's webhook beat our
   * insert). The sender may have recorded some of the calls and taken what was parked for them
   * between our read and the park: one more read for all of them, and what it finds is replayed
   * (taking is atomic, so a report applies once). A batch costs the same few queries however
   * many of its reports came early.
   */
  private async parkUntilRecorded(reports: Report[]): Promise<void> {
    if (reports.length === 0) return;
    // Issued together, and in the reports' order, so two reports for one call stay in order.
    await Promise.all(reports.map(({ update, onlyForSessionId }) => this.early.park(update, onlyForSessionId)));
    const recordedMeanwhile = await this.whatsappLogs.findCallsByWhatsAppMessageIds([...new Set(reports.map(({ update }) => update.providerMessageId))]);
    await this.catchUpRecorded(
      recordedMeanwhile.flatMap((call) => (call.sessionId ? [{ providerMessageId: call.whatsAppMessageId!, sessionId: call.sessionId.toHexString() }] : [])),
      [],
    );
  }

  /**
   * Moves each call forward (never back) in one bulk write, records prices once, and rolls
   * the moves up into the messages. `calls` holds the calls as read before: what moves is
   * decided from them, in the reports' order; the writes stay conditional, so a report that
   * another process applied meanwhile changes nothing twice.
   */
  private async applyToRecordedCalls(updates: StatusUpdate[], calls: Map<string, ReportedOnCall>): Promise<void> {
    if (updates.length === 0) return;
    const statuses = new Map([...calls].map(([id, call]) => [id, call.status]));
    const advances: StatusAdvance[] = [];
    const rollups: DeliveryRollup[] = [];
    const priced: StatusUpdate[] = [];
    for (const update of updates) {
      const call = calls.get(update.providerMessageId);
      if (!call) continue;
      if (update.costInUsdCents !== undefined && update.costInUsdCents > 0 && call.whatsAppCostInUSDCents === 0) priced.push(update);
      const current = statuses.get(update.providerMessageId)!;
      // A repeated or late update: nothing moves, nothing to roll up.
      if (!reportableFrom(update.status).includes(current)) continue;
      statuses.set(update.providerMessageId, update.status);
      const clientId = call.projectId.toHexString();
      advances.push({
        whatsAppMessageId: update.providerMessageId,
        clientId,
        callId: call._id.toHexString(),
        status: update.status,
        ...(update.error ? { statusMessage: `${update.error.code}: ${update.error.message}`, errorCode: update.error.code } : {}),
      });
      // A `sent` report adds nothing: the sender marks the message sent once all its parts are.
      if (update.status !== 'sent' && call.messageLogId) {
        rollups.push({ id: call.messageLogId.toHexString(), clientId, status: update.status, at: update.timestamp, failure: update.error });
      }
    }
    // Prices go on the calls and on their messages, each once however often it is reported: three bulk writes side by side.
    const prices = priced.map((update) => ({ update, call: calls.get(update.providerMessageId)! }));
    await Promise.all([
      this.whatsappLogs.setCostsOnce(
        prices.map(({ update, call }) => ({
          whatsAppMessageId: update.providerMessageId,
          clientId: call.projectId.toHexString(),
          callId: call._id.toHexString(),
          costInUsdCents: update.costInUsdCents!,
        })),
      ),
      this.messageLogs.addCallPrices(
        prices.flatMap(({ update, call }) =>
          call.messageLogId ? [{ id: call.messageLogId.toHexString(), clientId: call.projectId.toHexString(), providerMessageId: update.providerMessageId, costInUsdCents: update.costInUsdCents! }] : [],
        ),
      ),
      this.whatsappLogs.advanceStatuses(advances),
    ]);
    await this.rollUp(rollups);
  }

  /**
   * Moves the messages forward, each move recording its event on the message when its client
   * listens (the outbox), and announces them. A message a report could not move may still be being sent
   * (or be past the report already): it gets a mark that the sender takes once it has marked
   * the message sent, and one more look, in case the sender just did.
   */
  private async rollUp(rollups: DeliveryRollup[]): Promise<void> {
    if (rollups.length === 0) return;
    const recording = this.events ? await this.events.clientsRecordingEvents(rollups.map((rollup) => rollup.clientId), ROLLUP_EVENTS) : new Set<string>();
    const announce = () => this.events?.deliveryReportsApplied(rollups.filter((rollup) => recording.has(rollup.clientId)));
    if ((await this.messageLogs.applyDeliveryStatuses(rollups, recording)) === rollups.length) return announce();
    const statuses = await this.messageLogs.statusesOf([...new Set(rollups.map((rollup) => rollup.id))]);
    const unsent = [...statuses].flatMap(([id, status]) => (isUnsent(status) ? [id] : []));
    await Promise.all(unsent.map((id) => this.early.markUnrolled(id)));
    // Looked at again once marked, whatever the status read: the sender may have marked a message
    // sent between the bulk write and that read (the writes are conditional, so a stale report moves nothing).
    await this.messageLogs.applyDeliveryStatuses(rollups, recording);
    announce();
  }
}
