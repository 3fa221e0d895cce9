import type { MessageStatus } from './message-log.schema';

/**
 * What "sent", "delivered", "read" and "failed" mean in seed 004 (flags, filters and
 * counts alike), derived from a message's current status:
 * - sent: reached the provider and has not failed since (sent, delivered or read);
 * - delivered: delivered or read;
 * - read: read;
 * - failed: failed.
 * A message still queued or sending has no outcome yet: its flags are null, and a
 * `sent=false` / `read=false` filter includes it (it is not sent, not read).
 */
export const SENT_STATUSES: readonly MessageStatus[] = ['sent', 'delivered', 'read'];
export const DELIVERED_STATUSES: readonly MessageStatus[] = ['delivered', 'read'];
export const READ_STATUSES: readonly MessageStatus[] = ['read'];
export const FAILED_STATUSES: readonly MessageStatus[] = ['failed'];
const PENDING_STATUSES: readonly MessageStatus[] = ['queued', 'sending'];

export interface DeliveryFlags {
  sent: boolean | null;
  delivered: boolean | null;
  read: boolean | null;
  failed: boolean | null;
}

export function deliveryFlags(status: MessageStatus): DeliveryFlags {
  if (PENDING_STATUSES.includes(status)) return { sent: null, delivered: null, read: null, failed: null };
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
