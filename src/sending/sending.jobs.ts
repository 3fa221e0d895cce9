/**
 * Every queue of the sending pipeline, its job names and payloads, in one place.
 * Producers (`*.queue.ts`) add these jobs; processors (`*.processor.ts`, worker only) consume them.
 */

/** One logical message to one recipient per job: broadcast recipients and single API messages alike. */
export const SEND_QUEUE = 'send';
export const SEND_JOB = 'send-message';

/** Broadcast housekeeping: fan-out of a new broadcast into send jobs, and the periodic sweep. */
export const BROADCAST_QUEUE = 'broadcast';
export const FAN_OUT_JOB = 'fan-out';
export const SWEEP_JOB = 'sweep';

/** What a send job identifies: a broadcast's recipient, or one message-log entry (POST /v1/messages). */
export type SendJobData =
  | { kind: 'broadcast-recipient'; broadcastId: string; recipient: string }
  | { kind: 'message'; messageLogId: string };

export interface FanOutJobData {
  broadcastId: string;
}

export type SweepJobData = Record<string, never>;

/** Derived from broadcast and recipient: adding the same recipient twice never makes a second job. */
export function broadcastRecipientJobId(broadcastId: string, recipient: string): string {
  return `${broadcastId}:${recipient}`;
}

export function messageJobId(messageLogId: string): string {
  return `message:${messageLogId}`;
}

export function fanOutJobId(broadcastId: string): string {
  return `fan-out:${broadcastId}`;
}
