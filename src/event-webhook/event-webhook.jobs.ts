/** Deliveries of events to clients' endpoints: one job per delivery (event × endpoint), retried with backoff. */
export const EVENT_WEBHOOK_QUEUE = 'event-webhooks';
export const DELIVER_JOB = 'deliver';

export interface DeliverJobData {
  deliveryId: string;
  /** Asked for through the API: may repeat an event the endpoint already acknowledged. */
  redelivery?: boolean;
}

/**
 * The delivery a job's id names: every job id of this queue begins with its delivery's id (a first
 * try's is the delivery id itself, others add `:<suffix>`); null when it does not.
 */
export function deliveryIdOfJobId(jobId: string | number): string | null {
  const [first] = String(jobId).split(':');
  return /^[0-9a-f]{24}$/.test(first) ? first : null;
}
