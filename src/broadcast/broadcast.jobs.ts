import { stableBucketOf } from '../core/stable-bucket';
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

/**
 * Recipients per send job: a broadcast's recipients go out in groups, each one Bull job, so
 * that Bull's own work (about twenty Redis commands and a third of a millisecond of CPU per
 * job) is shared by the group. The group's recipients are sent concurrently, so their ledger
 * writes share batches.
 */
export const RECIPIENTS_PER_SEND_JOB = 20;

/** What a send job carries of one recipient: the contact and {{variables}} looked up at fan-out (one query per chunk). */
export interface BroadcastJobRecipient {
  recipient: string;
  /** Absent in jobs added before contacts were carried: the handler then looks it up. */
  contact?: { contactId: string; name: string } | null;
  /** The recipient's {{variables}} (only those the message uses), read at fan-out. */
  variables?: Record<string, string>;
}

/** The send job of one group of a broadcast's recipients. */
export const BROADCAST_SEND_GROUP_JOB = 'broadcast-send-group';

export interface BroadcastSendGroupJobData extends SendJobData {
  kind: typeof BROADCAST_SEND_GROUP_JOB;
  broadcastId: string;
  recipients: BroadcastJobRecipient[];
}

/** The send job of one broadcast recipient, as versions before grouping added them (still handled, never added). */
export const BROADCAST_RECIPIENT_JOB = 'broadcast-recipient';

export interface BroadcastRecipientJobData extends SendJobData, BroadcastJobRecipient {
  kind: typeof BROADCAST_RECIPIENT_JOB;
  broadcastId: string;
}

/** What adding a broadcast's send jobs needs of it: its client (contacts), session (send queue), activation and size (job ids). */
export interface EnqueuedBroadcast {
  broadcastId: string;
  clientId: string;
  sessionId: string;
  /** When the broadcast last entered `sending`. */
  activatedAt: Date | null;
  /** Its recipients in every state (pending, sent, failed): a number that never changes. */
  recipientCount: number;
}

/**
 * The id of the send job that carries a recipient: `<broadcast>:g<activation>-<group>`, the
 * group a stable hash of the number modulo the broadcast's groups (its recipient count over
 * RECIPIENTS_PER_SEND_JOB). Any process finds a recipient's job from the broadcast alone;
 * adding a group twice in one activation never makes a second job; a resumed or retried
 * broadcast's jobs never collide with a job of the earlier activation that is still finishing.
 */
export function broadcastSendJobId({ broadcastId, activatedAt, recipientCount }: EnqueuedBroadcast, recipient: string): string {
  const groups = Math.max(1, Math.ceil(recipientCount / RECIPIENTS_PER_SEND_JOB));
  return `${broadcastId}:g${activatedAt?.getTime() ?? 0}-${stableBucketOf(recipient, groups)}`;
}

/** Every send job of a broadcast has an id starting with this. */
export const broadcastJobIdPrefix = (broadcastId: string): string => `${broadcastId}:`;
