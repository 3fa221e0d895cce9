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

/**
 * The id of the send job that carries a recipient: `<broadcast>:g<activation>-<group>`, the
 * group a hash of the number modulo the broadcast's groups (its recipients, counted in every
 * state, over RECIPIENTS_PER_SEND_JOB, so they never change). Any process finds a recipient's
 * job from the broadcast alone; adding a group twice in one activation never makes a second
 * job; a resumed or retried broadcast's jobs never collide with a job of the earlier activation
 * that is still finishing.
 */
export function broadcastSendJobId(broadcast: SendJobKey, recipient: string): string {
  return `${broadcast.broadcastId}:g${broadcast.activatedAt?.getTime() ?? 0}-${sendGroupOf(recipient, sendGroupsOf(broadcast.recipients))}`;
}

/** What a recipient's send job id derives from. */
export interface SendJobKey {
  broadcastId: string;
  /** The broadcast's recipients in every state (pending, sent, failed). */
  recipients: number;
  /** When the broadcast last entered `sending`. */
  activatedAt: Date | null | undefined;
}

function sendGroupsOf(recipients: number): number {
  return Math.max(1, Math.ceil(recipients / RECIPIENTS_PER_SEND_JOB));
}

/** The recipient's group: FNV-1a of the number, modulo the groups. */
function sendGroupOf(recipient: string, sendGroups: number): number {
  let hash = 0x811c9dc5;
  for (let index = 0; index < recipient.length; index++) {
    hash ^= recipient.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) % sendGroups;
}

/** Every send job of a broadcast has an id starting with this. */
export const broadcastJobIdPrefix = (broadcastId: string): string => `${broadcastId}:`;
