import type { SendJobData } from '../sending/sending.jobs';

/** Broadcast housekeeping: fan-out of a new broadcast into send jobs. */
export const BROADCAST_QUEUE = 'broadcast';
export const FAN_OUT_JOB = 'fan-out';

export interface FanOutJobData {
  broadcastId: string;
}

export function fanOutJobId(broadcastId: string): string {
  return `fan-out:${broadcastId}`;
}

/** The send job of one broadcast recipient, with the recipient's contact looked up at fan-out (one query per chunk). */
export const BROADCAST_RECIPIENT_JOB = 'broadcast-recipient';

export interface BroadcastRecipientJobData extends SendJobData {
  kind: typeof BROADCAST_RECIPIENT_JOB;
  broadcastId: string;
  recipient: string;
  /** Absent in jobs added before contacts were carried: the handler then sends with no contact snapshot. */
  contact?: { contactId: string; name: string } | null;
}

/** Derived from broadcast and recipient: adding the same recipient twice never makes a second job. */
export function broadcastRecipientJobId(broadcastId: string, recipient: string): string {
  return `${broadcastId}:${recipient}`;
}

/** Every send job of a broadcast has an id starting with this. */
export const broadcastJobIdPrefix = (broadcastId: string): string => `${broadcastId}:`;
