import type { DeliveryRollup, MessageFailure } from './message-log.repository';
import type { MessageLogRecord, ReplyAttribution } from './message-log.schema';

/** A message the sender finished with, as written to the ledger. */
export interface SendOutcomeRecorded {
  entry: MessageLogRecord;
  status: 'sent' | 'failed';
  failure?: MessageFailure;
  at: Date;
}

/** A customer's message attributed as the reply to one of our messages. */
export interface ReplyAttributed {
  reply: MessageLogRecord;
  /** The outbound message it answers, as it was before this reply. */
  target: MessageLogRecord;
  attribution: ReplyAttribution;
}

/**
 * Port through which the ledger's writers announce what they wrote, once MongoDB has
 * acknowledged it: the sender's outcomes, applied delivery reports, finished broadcasts,
 * received messages. The event-webhook module implements it (from a @Global() module) to
 * notify clients' own servers; without one, nothing listens. Calls return at once: a
 * listener never holds up, nor fails, the write that it hears about.
 */
export interface LedgerEvents {
  sendOutcomesRecorded(outcomes: SendOutcomeRecorded[]): void;
  /** Reports rolled up into messages; the listener checks which of them moved their message. */
  deliveryReportsApplied(rollups: DeliveryRollup[]): void;
  /** Called once per completion, by the writer whose conditional update finished the broadcast. */
  broadcastFinished(broadcastId: string, completion: { status: string; finishedAt: Date }): void;
  messagesReceived(entries: MessageLogRecord[]): void;
  repliesAttributed(replies: ReplyAttributed[]): void;
}

export const LEDGER_EVENTS = Symbol('LEDGER_EVENTS');
