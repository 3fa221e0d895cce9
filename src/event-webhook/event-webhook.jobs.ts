/** Deliveries of events to clients' endpoints: one job per delivery (event × endpoint), retried with backoff. */
export const EVENT_WEBHOOK_QUEUE = 'event-webhooks';
export const DELIVER_JOB = 'deliver';

export interface DeliverJobData {
  deliveryId: string;
  /** Asked for through the API: may repeat an event the endpoint already acknowledged. */
  redelivery?: boolean;
}
