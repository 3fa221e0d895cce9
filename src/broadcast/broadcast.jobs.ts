import type { SendJobData } from '../sending/sending.jobs';

/** Broadcast housekeeping: fan-out of a new broadcast into send jobs. */
export const BROADCAST_QUEUE = 'broadcast';
export const FAN_OUT_JOB = 'fan-out';

export interface FanOutJobData {
  broadcastId: string;
}

/**
 * The first fan-out of a broadcast (at creation, or its schedule) has the broadcast's id; a
 * later one (resume, retry) also the time the broadcast re-entered `sending`, so that it is
 * never mistaken for a finished or still-running earlier one.
 */
export function fanOutJobId(broadcastId: string, activatedAt?: Date | null): string {
  return activatedAt ? `fan-out:${broadcastId}:${activatedAt.getTime()}` : `fan-out:${broadcastId}`;
}

/** The send job of one broadcast recipient, with the recipient's contact looked up at fan-out (one query per chunk). */
export const BROADCAST_RECIPIENT_JOB = 'broadcast-recipient';

export interface BroadcastRecipientJobData extends SendJobData {
  kind: typeof BROADCAST_RECIPIENT_JOB;
  broadcastId: string;
  recipient: string;
  /** Absent in jobs added before contacts were carried: the handler then sends with no contact snapshot. */
  contact?: { contactId: string; name: string } | null;
  /** The recipient's {{variables}} (only those the message uses), read at fan-out. */
  variables?: Record<string, string>;
}

/** Derived from broadcast and recipient: adding the same recipient twice never makes a second job. */
export function broadcastRecipientJobId(broadcastId: string, recipient: string): string {
  return `${broadcastId}:${recipient}`;
}

/** Every send job of a broadcast has an id starting with this. */
export const broadcastJobIdPrefix = (broadcastId: string): string => `${broadcastId}:`;
