import type { OutboxedEvents } from '../event-webhook/document-outbox';
import type { DeliveryRollup, MessageFailure } from './message-log.repository';
import type { MessageLogRecord, ReplyAttribution } from './message-log.schema';

/**
 * The events a ledger write records on the entry it changes (its outbox, `pending_events`), in
 * the same update: the write cannot succeed without them. A publisher delivers them and takes
 * them off; a sweep delivers those a crash left behind.
 */
export const OUTBOX_EVENT_TYPES = ['message.sent', 'message.failed', 'message.delivered', 'message.read', 'message.received', 'message.replied'] as const;
export type OutboxEventType = (typeof OUTBOX_EVENT_TYPES)[number];

/** A message the sender finished with, as written to the ledger (its event recorded on the entry). */
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
 *
 * The ledger's events (a message's status, a received message, a reply) go through the outbox:
 * before writing, the writer asks which clients listen (`clientsRecordingEvents`) and records
 * those clients' events on the entries in the write itself; the announcement that follows is
 * the fast path that delivers them. A completion is recorded on its broadcast by the update
 * that ends it, whoever listens.
 */
export interface LedgerEvents {
  /**
   * The clients of the list whose events of these types are recorded (those with an endpoint
   * for one of them): cached, so a batch costs no query most of the time. Never fails: when the
   * endpoints cannot be read, every client is answered (an event recorded for nobody costs one
   * write to take it off).
   */
  clientsRecordingEvents(clientIds: string[], types: readonly OutboxEventType[]): Promise<Set<string>>;
  /** Outcomes whose event the write recorded on their entry (only those). */
  sendOutcomesRecorded(outcomes: SendOutcomeRecorded[]): void;
  /** Reports rolled up into messages; the entries they moved hold their events (when their client records them). */
  deliveryReportsApplied(rollups: DeliveryRollup[]): void;
  /** Called once per completion, by the writer whose conditional update finished the broadcast and recorded the completion in its outbox. */
  broadcastFinished(broadcastId: string, completion: { status: string; finishedAt: Date }): void;
  /** Inbound entries whose `message.received` the write recorded (only those). */
  messagesReceived(entries: MessageLogRecord[]): void;
  /** Replies whose `message.replied` the write recorded on the reply's entry (only those). */
  repliesAttributed(replies: ReplyAttributed[]): void;
  /**
   * Events recorded whole on the documents whose change caused them (a broadcast paused or
   * resumed by the service, a template's or a session's change; see DocumentOutbox): published,
   * then taken off. Settles once they are published, or once a failure is logged (the outbox
   * sweep publishes them later); never rejects.
   */
  clientEventsRecorded(recorded: OutboxedEvents[]): Promise<void>;
}

export const LEDGER_EVENTS = Symbol('LEDGER_EVENTS');
