import { Injectable } from '@nestjs/common';
import type { StatusUpdate, StatusUpdateSink } from '@app/whatsapp';
import { MessageLogRepository } from '../message-log/message-log.repository';
import { WhatsappLogRepository } from '../whatsapp-log/whatsapp-log.repository';
import { EarlyStatusUpdates } from './early-status-updates';

/**
 * The one place delivery reports land, from Cloud API webhooks and from the sandbox. The
 * WhatsApp log of the call moves forward (never back: read never becomes delivered), its
 * price is recorded once, and the change rolls up into the logical message's log.
 *
 * Two races are closed here: a report for a call whose WhatsApp log is not written yet is
 * parked and replayed when the sender records the call (`replayEarlyReports`), and a report
 * that lands while the message is still being sent is caught up when the sender marks the
 * message sent (`catchUpMessages`).
 */
@Injectable()
export class DeliveryStatusService implements StatusUpdateSink {
  constructor(
    private readonly whatsappLogs: WhatsappLogRepository,
    private readonly messageLogs: MessageLogRepository,
    private readonly early: EarlyStatusUpdates,
  ) {}

  /** Applies a report; one for an unknown provider id is parked (optionally only for that session's call). */
  async apply(update: StatusUpdate, onlyForSessionId: string | null = null): Promise<void> {
    const call = await this.whatsappLogs.findByWhatsAppMessageId(update.providerMessageId);
    if (!call) {
      await this.early.park(update, onlyForSessionId);
      // The sender may have recorded the call and taken the parked reports between our read
      // and the park: look again, and replay (take is atomic, so the report applies once).
      const recordedMeanwhile = await this.whatsappLogs.findByWhatsAppMessageId(update.providerMessageId);
      if (recordedMeanwhile?.sessionId) await this.replayEarlyReports(update.providerMessageId, recordedMeanwhile.sessionId.toHexString());
      return;
    }
    if (onlyForSessionId && call.sessionId?.toHexString() !== onlyForSessionId) return;
    await this.applyToRecordedCall(update);
  }

  /** The sender recorded the call with this provider id: apply what arrived before it. */
  async replayEarlyReports(providerMessageId: string, sessionId: string): Promise<void> {
    await this.replayEarlyReportsOf([{ providerMessageId, sessionId }]);
  }

  /** The same for many recorded calls: one Redis round trip, then the (rare) parked reports. */
  async replayEarlyReportsOf(calls: Array<{ providerMessageId: string; sessionId: string }>): Promise<void> {
    const parked = await this.early.takeMany(calls.map((call) => call.providerMessageId));
    for (const { providerMessageId, sessionId } of calls) {
      for (const { update, sessionId: onlyFor } of parked.get(providerMessageId) ?? []) {
        if (onlyFor === null || onlyFor === sessionId) await this.applyToRecordedCall(update);
      }
    }
  }

  /** The sender marked these messages sent: take each as far as its calls' reports already went (one read for all). */
  async catchUpMessages(messageLogIds: string[]): Promise<void> {
    const reached = await this.whatsappLogs.furthestDeliveryOfMessages(messageLogIds);
    for (const [messageLogId, { status, at, failure }] of reached) {
      if (failure) await this.messageLogs.applyDeliveryStatus(messageLogId, status, at, failure);
      else await this.messageLogs.applyDeliveryStatus(messageLogId, status, at);
    }
  }

  private async applyToRecordedCall(update: StatusUpdate): Promise<void> {
    if (update.costInUsdCents !== undefined && update.costInUsdCents > 0) {
      const priced = await this.whatsappLogs.setCostOnce(update.providerMessageId, update.costInUsdCents);
      if (priced?.messageLogId) await this.messageLogs.addCost(priced.messageLogId.toHexString(), update.costInUsdCents);
    }
    const advanced = await this.whatsappLogs.advanceStatus(update.providerMessageId, update.status, {
      statusMessage: update.error ? `${update.error.code}: ${update.error.message}` : undefined,
      errorCode: update.error?.code,
    });
    // A repeated/late update: nothing moved, nothing to roll up.
    if (!advanced?.messageLogId) return;
    // A `sent` report adds nothing: the sender marks the message sent once all its parts are.
    if (update.status === 'sent') return;
    // While the message is still being sent this moves nothing; catchUpMessages applies it then.
    await this.messageLogs.applyDeliveryStatus(advanced.messageLogId.toHexString(), update.status, update.timestamp, update.error);
  }
}
