import { InjectQueue } from '@nestjs/bull';
import { Injectable } from '@nestjs/common';
import type { Queue } from 'bull';
import { AppConfig } from '../config';
import { DELIVER_JOB, DeliverJobData, EVENT_WEBHOOK_QUEUE } from './event-webhook.jobs';

/**
 * The longest one delivery try may run before Bull fails it (and retries it after the backoff): its
 * turn among the message's deliveries (up to WEBHOOK_TIMEOUT_MS + 5 s), the call (WEBHOOK_TIMEOUT_MS),
 * and 5 s for its reads and writes. A try that hangs past it (a dependency that stopped answering
 * without closing the connection) no longer holds its delivery for as long as its worker lives; should
 * it still finish, the client receives the event twice, under one event id.
 */
export function deliveryTryTimeoutMs(webhookTimeoutMs: number): number {
  return 2 * webhookTimeoutMs + 10_000;
}

/** The producer of the event-webhook queue. */
@Injectable()
export class EventWebhookQueue {
  constructor(
    @InjectQueue(EVENT_WEBHOOK_QUEUE) private readonly queue: Queue<DeliverJobData>,
    private readonly config: AppConfig,
  ) {}

  /** First tries of new deliveries, in one round trip; the job id is the delivery's, so adding one twice makes one job. */
  async deliver(deliveryIds: string[]): Promise<void> {
    if (deliveryIds.length === 0) return;
    await this.queue.addBulk(deliveryIds.map((deliveryId) => ({ name: DELIVER_JOB, data: { deliveryId }, opts: { ...this.retries(), jobId: deliveryId } })));
  }

  /**
   * A delivery queued again under another job id, with a full set of retries: for a job that lost its
   * name and data (see EventWebhookProcessor.requeueNameless), whose id stays taken while it exists.
   */
  async deliverAgain(deliveryId: string, jobId: string): Promise<void> {
    await this.queue.add(DELIVER_JOB, { deliveryId }, { ...this.retries(), jobId });
  }

  /** A redelivery asked for through the API: a job of its own, with a full set of retries. */
  async redeliver(deliveryId: string): Promise<void> {
    await this.queue.add(DELIVER_JOB, { deliveryId, redelivery: true }, { ...this.retries(), jobId: `${deliveryId}:redeliver:${Date.now()}` });
  }

  /** Exponential backoff from WEBHOOK_BACKOFF_MS over WEBHOOK_MAX_ATTEMPTS tries (about 24 hours with the defaults), each try bounded. */
  private retries() {
    const { maxAttempts, backoffMs, timeoutMs } = this.config.webhooks;
    return {
      attempts: maxAttempts,
      backoff: { type: 'exponential', delay: backoffMs },
      timeout: deliveryTryTimeoutMs(timeoutMs),
      removeOnComplete: true,
      removeOnFail: 1000,
    };
  }
}
