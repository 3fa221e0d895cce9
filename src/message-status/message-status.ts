/**
 * The life of a message, in one place: the statuses of a logical message (its message log,
 * the ledger) and of each provider call (its WhatsApp log), their order, the moves allowed
 * between them, and what counts as sent, delivered, read and failed in flags, filters and counts.
 *
 *   scheduled ─→ queued ─→ sending ─→ sent ─→ delivered ─→ read
 *       │          │          │         │
 *       │          │          └─────────┴──→ failed     (never once delivered; also from scheduled and queued)
 *       └──────────┴──→ cancelled                        (by the client, before it started: POST /v1/messages/:id/cancel)
 *
 * A scheduled message (POST /v1/messages with send_at) goes from `scheduled` straight to
 * `sending` when its job runs at send_at; `queued` is an immediate message waiting for a worker.
 *
 * Every status write is conditional on the current status being one of `statusesBefore(new)`,
 * so that repeated, late or out-of-order updates change nothing.
 */

/**
 * A logical message to one recipient, in order of its life; `failed` ends it from any status before `delivered`,
 * `cancelled` from `scheduled` or `queued` (nothing was sent, nothing will be).
 * `received` is an inbound message's (a customer wrote it): it starts there and never moves.
 */
export const MESSAGE_STATUSES = ['scheduled', 'queued', 'sending', 'sent', 'delivered', 'read', 'failed', 'cancelled', 'received'] as const;
export type MessageStatus = (typeof MESSAGE_STATUSES)[number];

/** One provider call (a WhatsApp log): it exists from the provider's answer on, so it starts `sent` (or `failed`: refused). */
export const CALL_STATUSES = ['sent', 'delivered', 'read', 'failed'] as const;
export type CallStatus = (typeof CALL_STATUSES)[number];

/** What a delivery report moves a sent message or call to. */
export type ReportedStatus = Exclude<CallStatus, 'sent'>;

/** Not yet accepted by the provider: only the sender moves these (to `sent`, or `failed` when it gives up). */
export const UNSENT_STATUSES: readonly MessageStatus[] = ['scheduled', 'queued', 'sending'];

/** Not started: a client may still cancel (or delete) the message; the sender has not claimed it. */
export const UNSTARTED_STATUSES: readonly MessageStatus[] = ['scheduled', 'queued'];

export const isUnsent = (status: MessageStatus): boolean => UNSENT_STATUSES.includes(status);

/** The forward order of the statuses other than `failed`. */
const FORWARD: readonly MessageStatus[] = ['scheduled', 'queued', 'sending', 'sent', 'delivered', 'read'];

/**
 * The statuses a message may move to `status` from: only forward, and `failed` only ends a
 * message that was not yet delivered (a read receipt outranks a late failure).
 */
export function statusesBefore(status: MessageStatus): MessageStatus[] {
  // Nothing moves to `received`: an inbound message is written in it.
  if (status === 'received') return [];
  if (status === 'cancelled') return [...UNSTARTED_STATUSES];
  if (status === 'failed') return FORWARD.slice(0, FORWARD.indexOf('delivered'));
  return FORWARD.slice(0, FORWARD.indexOf(status));
}

/**
 * The statuses a delivery report may move a message, or a call, to `status` from: sent or beyond,
 * and before `status`. A report never moves an unsent message: its outcome is the sender's to write.
 */
export function reportableFrom(status: CallStatus): CallStatus[] {
  const before = statusesBefore(status);
  return CALL_STATUSES.filter((candidate) => before.includes(candidate));
}

/** Of the reports about one message's calls, the one that says most about the message: read, then delivered, then failed. */
export const REPORT_PRECEDENCE: readonly ReportedStatus[] = ['read', 'delivered', 'failed'];

/**
 * How sending a message ended, as the sender and the broadcast's arrays see it: null while
 * unsent; `sent` once the provider accepted it, even if a report failed it afterwards (a re-run
 * never moves a sent recipient to the broadcast's `failed`; the failure is on the message log);
 * `failed` when it never reached the provider.
 */
export function sendingOutcomeOf(entry: { status: MessageStatus; status_times?: { sentAt?: Date | null } | null }): 'sent' | 'failed' | null {
  if (isUnsent(entry.status)) return null;
  if (entry.status === 'cancelled') return 'failed';
  if (entry.status !== 'failed' || entry.status_times?.sentAt) return 'sent';
  return 'failed';
}

/**
 * What "sent", "delivered", "read" and "failed" mean in seed 004 (flags, filters and counts
 * alike), from a message's current status:
 * - sent: reached the provider and has not failed since (sent, delivered or read);
 * - delivered: delivered or read;
 * - read: read;
 * - failed: failed.
 * A message still scheduled, queued or sending has no outcome yet: its flags are null, and a
 * `sent=false` / `read=false` filter includes it (it is not sent, not read). A cancelled one is
 * none of the four (not sent, and it did not fail: the client withdrew it).
 */
export const SENT_STATUSES: readonly MessageStatus[] = ['sent', 'delivered', 'read'];
export const DELIVERED_STATUSES: readonly MessageStatus[] = ['delivered', 'read'];
export const READ_STATUSES: readonly MessageStatus[] = ['read'];
export const FAILED_STATUSES: readonly MessageStatus[] = ['failed'];

export interface DeliveryFlags {
  sent: boolean | null;
  delivered: boolean | null;
  read: boolean | null;
  failed: boolean | null;
}

export function deliveryFlags(status: MessageStatus): DeliveryFlags {
  if (isUnsent(status)) return { sent: null, delivered: null, read: null, failed: null };
  return {
    sent: SENT_STATUSES.includes(status),
    delivered: DELIVERED_STATUSES.includes(status),
    read: READ_STATUSES.includes(status),
    failed: FAILED_STATUSES.includes(status),
  };
}

/** The seed 004 counts over a set of messages. */
export interface DeliveryCounts {
  totalMessages: number;
  sentCount: number;
  deliveredCount: number;
  readCount: number;
  failedCount: number;
}
