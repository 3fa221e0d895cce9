import { Injectable } from '@nestjs/common';
import { ContactService } from '../contact/contact.service';
import { MessageSender } from '../sending/message-sender';
import { HandlesSendJob, SendAttempt, SendJobHandler, SendJobResult } from '../sending/sending.jobs';
import { BroadcastProgress } from './broadcast-progress';
import { BroadcastStopSignal } from './broadcast-stop.signal';
import { BROADCAST_RECIPIENT_JOB, BroadcastRecipientJobData } from './broadcast.jobs';

/**
 * Sends a broadcast's message to one recipient: unless the broadcast was stopped, its entry
 * is claimed (made on first use) and sent, and the recipient's outcome joins the broadcast's
 * next progress write.
 */
@Injectable()
@HandlesSendJob(BROADCAST_RECIPIENT_JOB)
export class BroadcastRecipientHandler implements SendJobHandler<BroadcastRecipientJobData> {
  constructor(
    private readonly sender: MessageSender,
    private readonly progress: BroadcastProgress,
    private readonly stopSignal: BroadcastStopSignal,
    private readonly contacts: ContactService,
  ) {}

  async handle({ broadcastId, recipient, contact }: BroadcastRecipientJobData, { lastAttempt }: SendAttempt): Promise<SendJobResult> {
    const stopped = () => this.stopSignal.isRaised(broadcastId);
    if (await stopped()) return { status: 'skipped', reason: 'broadcast stopped' };
    const broadcast = await this.progress.sendContext(broadcastId);
    if (!broadcast || broadcast.status !== 'sending') return { status: 'skipped', reason: 'broadcast not sending' };
    const clientId = broadcast.client_id.toHexString();
    const outcome = await this.sender.send(
      {
        kind: 'broadcast-recipient',
        entry: {
          clientId,
          sessionId: broadcast.session_id.toHexString(),
          source: 'broadcast',
          broadcastId,
          recipient,
          contact: contact === undefined ? await this.contactOf(clientId, recipient) : (contact ?? { contactId: null, name: null }),
          message: broadcast.message,
        },
      },
      { lastAttempt, stopped, contentKey: `broadcast:${broadcastId}` },
    );
    // The entry is made by the claim, so it always exists.
    if (!outcome) return { status: 'skipped', reason: 'message log not found' };
    // Another attempt holds the message: it records the recipient's outcome.
    if (outcome.status === 'skipped') return outcome;
    this.progress.record(broadcastId, recipient, outcome.status);
    return outcome;
  }

  /** Jobs added before fan-out carried the contact look it up here. */
  private async contactOf(clientId: string, recipient: string): Promise<{ contactId: string | null; name: string | null }> {
    const found = await this.contacts.findByPhone(clientId, recipient);
    return { contactId: found?._id.toHexString() ?? null, name: found?.name ?? null };
  }
}
