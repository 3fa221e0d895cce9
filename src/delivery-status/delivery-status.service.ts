import { Injectable } from '@nestjs/common';
import type { StatusUpdate, StatusUpdateSink } from '@app/whatsapp';
import { MessageLogRepository } from '../message-log/message-log.repository';
import { WhatsappLogRepository } from '../whatsapp-log/whatsapp-log.repository';

/**
 * The one place delivery reports land, from Cloud API webhooks and from the sandbox. The
 * WhatsApp log of the call moves forward (never back: read never becomes delivered), its
 * price is recorded once, and the change rolls up into the logical message's log.
 */
@Injectable()
export class DeliveryStatusService implements StatusUpdateSink {
  constructor(
    private readonly whatsappLogs: WhatsappLogRepository,
    private readonly messageLogs: MessageLogRepository,
  ) {}

  async apply(update: StatusUpdate): Promise<void> {
    if (update.costInUsdCents !== undefined && update.costInUsdCents > 0) {
      const priced = await this.whatsappLogs.setCostOnce(update.providerMessageId, update.costInUsdCents);
      if (priced?.messageLogId) await this.messageLogs.addCost(priced.messageLogId.toHexString(), update.costInUsdCents);
    }
    const advanced = await this.whatsappLogs.advanceStatus(update.providerMessageId, update.status, {
      statusMessage: update.error ? `${update.error.code}: ${update.error.message}` : undefined,
      errorCode: update.error?.code,
    });
    // Unknown id, or a repeated/late update: nothing moved, nothing to roll up.
    if (!advanced?.messageLogId) return;
    // A `sent` report adds nothing: the sender marks the message sent once all its parts are.
    if (update.status === 'sent') return;
    await this.messageLogs.applyDeliveryStatus(advanced.messageLogId.toHexString(), update.status, update.timestamp, update.error);
  }
}
