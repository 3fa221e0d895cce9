import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import type { InboundMessage, InboundMessageSink } from '@app/whatsapp';
import { SessionRecord, SessionRepository } from '../auth';
import { AppConfig } from '../config';
import { ContactService } from '../contact/contact.service';
import { InboundLedgerRepository } from '../message-log/inbound-ledger.repository';
import type { MessageLogRecord } from '../message-log/message-log.schema';
import { LEDGER_EVENTS, LedgerEvents, OutboxEventType } from '../message-log/ledger-events';
import { inboundContentOf } from './inbound-content';
import { InboundQueue } from './inbound.queue';
import { OptOutKeywords } from './opt-out-keywords';

/** Message types whose text is the customer's own words (a reaction's emoji or a list title never opts anyone out). */
const KEYWORD_TYPES: ReadonlySet<string> = new Set(['text', 'button']);

/**
 * The one place customers' messages land, from Cloud API webhooks and from the sandbox's
 * simulated replies. For each message: the contact is created or updated (profile name,
 * last message, the session's 24-hour window) and an opt-out or opt-in keyword applied;
 * then the message is written to the ledger once (a redelivered webhook finds it there);
 * a media file is fetched afterwards, on the inbound queue; and the client hears about it
 * (`message.received`) once the entry is complete. A message that answers one of ours is
 * attributed to it (`message.replied`; see attributeReply).
 */
@Injectable()
export class InboundService implements InboundMessageSink {
  private readonly logger = new Logger(InboundService.name);

  constructor(
    private readonly sessions: SessionRepository,
    private readonly contacts: ContactService,
    private readonly ledger: InboundLedgerRepository,
    private readonly keywords: OptOutKeywords,
    private readonly queue: InboundQueue,
    private readonly config: AppConfig,
    @Optional() @Inject(LEDGER_EVENTS) private readonly events?: LedgerEvents,
  ) {}

  /** Messages that reached the session (the sandbox names it by id). */
  async receive(sessionId: string, messages: InboundMessage[]): Promise<void> {
    const session = await this.sessions.findById(sessionId);
    if (!session) {
      this.logger.warn({ sessionId }, 'Dropped inbound messages for a session that no longer exists');
      return;
    }
    await this.receiveForSession(session, messages);
  }

  /** Answers how many messages were new (the others had been recorded before). */
  async receiveForSession(session: SessionRecord, messages: InboundMessage[]): Promise<number> {
    let created = 0;
    for (const message of messages) if (await this.receiveOne(session, message)) created += 1;
    return created;
  }

  private async receiveOne(session: SessionRecord, message: InboundMessage): Promise<boolean> {
    const clientId = session.client_id.toHexString();
    const sessionId = session._id.toHexString();
    // The contact first: both writes are safe to repeat, so a redelivery after a failure here completes them.
    const contact = await this.contacts.recordInbound(clientId, { phone: message.from, sessionId, at: message.timestamp, profileName: message.profileName });
    const intent = KEYWORD_TYPES.has(message.type) ? this.keywords.intentOf(message.text) : null;
    if (intent) await this.contacts.setOptedOut(clientId, message.from, intent === 'opt-out', message.timestamp);

    const content = inboundContentOf(message);
    // A message without media is complete as written: its event goes in the same insert (the outbox).
    const received = !content.inbound.media && (await this.recordsEvent(clientId, 'message.received'));
    const { entry, created } = await this.ledger.record({
      clientId,
      sessionId,
      from: message.from,
      contact: { contactId: contact._id.toHexString(), name: contact.name },
      providerMessageId: message.providerMessageId,
      ...content,
      events: received ? ['message.received'] : [],
    });
    if (!created) return false;
    await this.attributeReply(entry, message, sessionId);
    if (content.inbound.media) await this.queue.fetchMedia(entry._id.toHexString());
    else if (received) this.events?.messagesReceived([entry]);
    return true;
  }

  /** Whether the client's events of this type are recorded (it has an endpoint for them). */
  private async recordsEvent(clientId: string, type: OutboxEventType): Promise<boolean> {
    return this.events ? (await this.events.clientsRecordingEvents([clientId], [type])).has(clientId) : false;
  }

  /**
   * A reply to one of our messages: the one it quotes (`context.id`, as replies and button taps
   * carry), else the latest broadcast message sent to the customer within REPLY_ATTRIBUTION_HOURS.
   * Attribution is a result, not the message: a failure is logged and the message stands.
   */
  private async attributeReply(entry: MessageLogRecord, message: InboundMessage, sessionId: string): Promise<void> {
    try {
      const match = await this.ledger.findReplyTarget({
        clientId: entry.client_id.toHexString(),
        sessionId,
        from: message.from,
        quotedProviderMessageId: message.replyTo,
        at: message.timestamp,
        windowMs: this.config.inbound.replyAttributionMs,
      });
      if (!match) return;
      const replied = await this.recordsEvent(entry.client_id.toHexString(), 'message.replied');
      await this.ledger.recordReply(entry, match, message.timestamp, replied ? 'message.replied' : null);
      if (replied) this.events?.repliesAttributed([{ reply: entry, target: match.target, attribution: match.attribution }]);
    } catch (error) {
      this.logger.warn({ err: error, messageLogId: entry._id }, 'Could not attribute a reply');
    }
  }
}
