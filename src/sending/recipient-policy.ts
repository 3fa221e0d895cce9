import type { SessionRecord } from '../auth';
import type { MessageFailure } from '../message-log/message-log.repository';
import type { MessageContent } from '../message-content/message-content.schema';

/** One message about to be sent, as a recipient policy sees it. */
export interface MessageToCheck {
  clientId: string;
  session: SessionRecord;
  recipient: string;
  content: MessageContent;
}

/** A message that may not go yet (the portfolio's messaging limit): nothing is sent, and it is tried again after `retryInMs`. */
export interface RecipientWait {
  reason: string;
  /** When it is expected to go (the moving window frees room then). */
  waitUntil: Date;
  /** When to look again: at waitUntil, or sooner (a limit raised meanwhile lets it go earlier). */
  retryInMs: number;
}

export function isWait(verdict: MessageFailure | RecipientWait): verdict is RecipientWait {
  return 'waitUntil' in verdict;
}

/**
 * Port through which sending asks, once per message before its first provider call,
 * whether the recipient may be written to at all (opted out, outside WhatsApp's 24-hour
 * window, ...) and whether now. A refusal is a permanent failure with its reason: nothing is
 * sent; a wait leaves the message for later. The inbound module provides the implementation
 * (from a @Global() module); without one, every recipient may be written to.
 */
export interface RecipientPolicy {
  verdict(message: MessageToCheck): Promise<MessageFailure | RecipientWait | null>;
  /** WhatsApp said the recipient stopped marketing messages (131050): later marketing templates to them are refused here. */
  marketingStopped?(clientId: string, recipient: string, at: Date): Promise<void>;
}

export const RECIPIENT_POLICY = Symbol('RECIPIENT_POLICY');

/** Free-form: anything but a template. WhatsApp lets only templates through outside the customer-service window. */
export function isFreeForm(content: Pick<MessageContent, 'text' | 'attachments' | 'location' | 'contactId'>): boolean {
  return Boolean(content.text) || content.attachments.length > 0 || content.location !== null || content.contactId !== null;
}
