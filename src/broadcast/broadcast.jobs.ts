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

/** What a send job carries of its recipient: the contact and {{variables}} looked up at fan-out (one query per chunk). */
export interface BroadcastJobRecipient {
  recipient: string;
  /** Absent in jobs added before contacts were carried: the handler then looks it up. */
  contact?: { contactId: string; name: string } | null;
  /** The recipient's {{variables}} (only those the message uses), read at fan-out. */
  variables?: Record<string, string>;
}

/** The send job of one broadcast recipient: a broadcast adds one per recipient and activation. */
export const BROADCAST_RECIPIENT_JOB = 'broadcast-recipient';

export interface BroadcastRecipientJobData extends SendJobData, BroadcastJobRecipient {
  kind: typeof BROADCAST_RECIPIENT_JOB;
  broadcastId: string;
}

/**
 * The send job of a group of about 20 recipients, as the versions that grouped recipients
 * added them: still handled after an upgrade, never added.
 */
export const BROADCAST_SEND_GROUP_JOB = 'broadcast-send-group';

export interface BroadcastSendGroupJobData extends SendJobData {
  kind: typeof BROADCAST_SEND_GROUP_JOB;
  broadcastId: string;
  recipients: BroadcastJobRecipient[];
}

/** What adding a broadcast's send jobs needs of it: its client (contacts), session (send queue) and activation (job ids). */
export interface EnqueuedBroadcast {
  broadcastId: string;
  clientId: string;
  sessionId: string;
  /** When the broadcast last entered `sending`. */
  activatedAt: Date | null;
}

/**
 * The id of a recipient's send job: `<broadcast>:<activation>:<number>`. Adding it twice in one
 * activation never makes a second job; any process finds a recipient's job from the broadcast
 * and the number (the sweep does); a resumed or retried broadcast's jobs never collide with a
 * job of the earlier activation that is still finishing.
 */
export function broadcastSendJobId({ broadcastId, activatedAt }: EnqueuedBroadcast, recipient: string): string {
  return `${broadcastId}:${activatedAt?.getTime() ?? 0}:${recipient}`;
}

/** Every send job of a broadcast has an id starting with this (those of earlier versions too). */
export const broadcastJobIdPrefix = (broadcastId: string): string => `${broadcastId}:`;
