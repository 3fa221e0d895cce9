import { Injectable } from '@nestjs/common';
import { ContactService } from '../contact/contact.service';
import { MessageSender } from '../sending/message-sender';
import { MessageSendResult, SendAttempt } from '../sending/sending.jobs';
import { BroadcastPauseSignal } from './broadcast-pause.signal';
import { BroadcastProgress } from './broadcast-progress';
import { BroadcastStopSignal } from './broadcast-stop.signal';
import { BroadcastJobRecipient } from './broadcast.jobs';
import type { MessageContent } from '../message-content/message-content.schema';
import type { BroadcastSendContext } from './broadcast.schema';
import { renderTemplateComponents, renderVariables } from './message-variables';
import { TemplateLifecycle } from '../template/template-lifecycle';

/** A broadcast seen in another status than `sending` is read again if the copy is older than this (it may have been resumed or retried). */
const STATUS_RECHECK_MS = 1000;

/**
 * Sends a broadcast's message to one recipient: unless the broadcast was stopped or paused,
 * its entry is claimed (made on first use) with the text and template filled in with the
 * recipient's {{variables}}, and sent; the recipient's outcome joins the broadcast's next
 * progress write. A paused broadcast's recipient stays `pending` for the resume. The
 * recipient's send job and the group jobs of earlier versions send through it.
 */
@Injectable()
export class BroadcastRecipientSender {
  constructor(
    private readonly sender: MessageSender,
    private readonly progress: BroadcastProgress,
    private readonly stopSignal: BroadcastStopSignal,
    private readonly pauseSignal: BroadcastPauseSignal,
    private readonly contacts: ContactService,
    private readonly templates: TemplateLifecycle,
  ) {}

  /** The recipient's outcome; throws only to ask for a retry (see MessageSender.send). */
  async send(broadcastId: string, { recipient, contact, variables }: BroadcastJobRecipient, { lastAttempt }: SendAttempt): Promise<MessageSendResult> {
    const stopped = () => this.stopSignal.isRaised(broadcastId);
    if (await stopped()) return { status: 'skipped', reason: 'broadcast stopped' };
    if (await this.pauseSignal.isPaused(broadcastId)) return { status: 'skipped', reason: 'broadcast paused' };
    const broadcast = await this.sendingBroadcast(broadcastId);
    if (!broadcast) return { status: 'skipped', reason: 'broadcast not sending' };
    const clientId = broadcast.client_id.toHexString();
    // Paused while waiting for its rate slot: the sender leaves the message for the resume (`skipped`).
    const paused = () => this.pauseSignal.isPaused(broadcastId);
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
          // The ledger keeps what this recipient was sent.
          message: personalMessage(broadcast.message, variables),
        },
      },
      { lastAttempt, stopped, held: paused, contentKey: `broadcast:${broadcastId}` },
    );
    // The entry is made by the claim, so it always exists.
    if (!outcome) return { status: 'skipped', reason: 'message log not found' };
    // Another attempt holds the message (it records the recipient's outcome), or the broadcast was paused (it stays pending).
    if (outcome.status === 'skipped') return outcome;
    this.progress.record(clientId, broadcastId, recipient, outcome.status);
    // A template WhatsApp paused (132015) or disabled (132016) stops the broadcast, not only this message.
    if (outcome.status === 'failed' && broadcast.message.template) await this.templates.sendRefused(clientId, broadcast.session_id.toHexString(), broadcast.message.template, outcome.failure.code);
    return outcome;
  }

  /** The broadcast if it is sending; a cached copy in another status is checked again once it is a second old. */
  private async sendingBroadcast(broadcastId: string): Promise<BroadcastSendContext | null> {
    const cached = await this.progress.sendContext(broadcastId);
    if (cached?.status === 'sending') return cached;
    const fresh = await this.progress.sendContext(broadcastId, STATUS_RECHECK_MS);
    return fresh?.status === 'sending' ? fresh : null;
  }

  /** Jobs added before fan-out carried the contact look it up here. */
  private async contactOf(clientId: string, recipient: string): Promise<{ contactId: string | null; name: string | null }> {
    const found = await this.contacts.findByPhone(clientId, recipient);
    return { contactId: found?._id.toHexString() ?? null, name: found?.name ?? null };
  }
}

/** The broadcast's message with its text and template parameters filled in for one recipient (as it is when it has no placeholders). */
function personalMessage(message: MessageContent, variables: Record<string, string> | undefined): MessageContent {
  const text = message.text?.includes('{{') ? renderVariables(message.text, variables) : message.text;
  const template = message.template?.components ? { ...message.template, components: renderTemplateComponents(message.template.components, variables) } : message.template;
  if (text === message.text && template === message.template) return message;
  return { ...message, text, ...(template ? { template } : {}) };
}
