import { Process, Processor } from '@nestjs/bull';
import { Logger } from '@nestjs/common';
import type { Job } from 'bull';
import { CredentialsCipher } from '../auth';
import { AppConfig } from '../config';
import { Clock } from '../core/clock';
import { AppMetrics } from '../metrics';
import {
  DELIVERY_ID_HEADER,
  EVENT_ID_HEADER,
  EVENT_TYPE_HEADER,
  SIGNATURE_HEADER,
  signatureHeader,
  TIMESTAMP_HEADER,
} from './event-signature';
import { EventOrdering } from './event-ordering';
import { DELIVER_JOB, DeliverJobData, deliveryIdOfJobId, EVENT_WEBHOOK_QUEUE } from './event-webhook.jobs';
import { EventWebhookQueue } from './event-webhook.queue';
import { WebhookDeliveryRepository } from './webhook-delivery.repository';
import type { WebhookDeliveryRecord } from './webhook-delivery.schema';
import type { WebhookEndpointRecord } from './webhook-endpoint.schema';
import { WebhookEndpointRepository } from './webhook-endpoint.repository';
import { DeliveryAttemptResult, isRetryable, isSuccess, postEvent } from './webhook-request';

/** Deliveries one worker makes at once. */
const DELIVERY_CONCURRENCY = 10;

/** Thrown to have Bull try the delivery again, after its backoff. */
class RetryDelivery extends Error {}

/**
 * Worker side of the event-webhook queue: one try of one delivery per job. The body is
 * signed afresh each time (X-Signature over the timestamp and the body, with each secret in force); 2xx is success;
 * network errors, timeouts, 5xx, 408 and 429 are retried with exponential backoff; any
 * other answer ends the delivery at once. A delivery whose retries are used up disables its
 * endpoint, saying why. Status events of one message go out in order (EventOrdering).
 */
@Processor(EVENT_WEBHOOK_QUEUE)
export class EventWebhookProcessor {
  private readonly logger = new Logger(EventWebhookProcessor.name);

  constructor(
    private readonly deliveries: WebhookDeliveryRepository,
    private readonly endpoints: WebhookEndpointRepository,
    private readonly ordering: EventOrdering,
    private readonly cipher: CredentialsCipher,
    private readonly config: AppConfig,
    private readonly metrics: AppMetrics,
    private readonly clock: Clock,
    private readonly queue: EventWebhookQueue,
  ) {}

  /**
   * A job without a name: Redis lost its data while a worker held the job, and Bull's bookkeeping of
   * that try (its attempt count and error, written to the job's hash) made the hash again without its
   * name, data and options. Its id still names the delivery, which MongoDB holds, so the delivery is
   * queued again under a job of its own (the nameless one keeps its id taken, and a re-queue after the
   * loss skips it); the delivery's status says whether anything is left to send.
   */
  @Process()
  async requeueNameless(job: Job<Partial<DeliverJobData> | undefined>): Promise<{ status: string }> {
    const deliveryId = job.data?.deliveryId ?? deliveryIdOfJobId(job.id);
    if (!deliveryId) {
      this.logger.warn({ jobId: job.id }, 'A job of the event-webhook queue names no delivery: dropped');
      return { status: 'unknown' };
    }
    await this.queue.deliverAgain(deliveryId, `${String(job.id)}:again`);
    this.logger.warn({ jobId: job.id, deliveryId }, 'A delivery job lost its name and data (Redis lost its data under it): queued again');
    return { status: 'requeued' };
  }

  @Process({ name: DELIVER_JOB, concurrency: DELIVERY_CONCURRENCY })
  async deliver(job: Job<DeliverJobData>): Promise<{ status: string }> {
    const delivery = await this.deliveries.findById(job.data.deliveryId);
    if (!delivery || delivery.status === 'succeeded' || delivery.status === 'superseded' || delivery.status === 'failed') {
      return { status: delivery?.status ?? 'gone' };
    }
    const endpoint = await this.endpoints.findById(delivery.endpoint_id.toHexString());
    if (!endpoint || !endpoint.enabled) {
      const reason = endpoint ? 'The endpoint is disabled' : 'The endpoint was deleted';
      await this.deliveries.finish(delivery._id.toHexString(), 'failed', reason);
      return { status: 'failed' };
    }
    const lastAttempt = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
    const attempt = (): Promise<boolean> => this.attempt(delivery, endpoint, job.attemptsMade, lastAttempt);
    if (!delivery.order_key) return { status: (await attempt()) ? 'succeeded' : 'failed' };
    const turn = await this.ordering.inTurn(endpoint._id.toHexString(), delivery.order_key, delivery.order_rank, attempt, job.data.redelivery === true);
    if (turn === 'superseded') {
      await this.deliveries.finish(delivery._id.toHexString(), 'superseded', 'A later status of this message already reached the endpoint');
      return { status: 'superseded' };
    }
    return { status: 'sent' };
  }

  /** One try; answers whether the endpoint acknowledged it, throws to retry. */
  private async attempt(delivery: WebhookDeliveryRecord, endpoint: WebhookEndpointRecord, attemptsMade: number, lastAttempt: boolean): Promise<boolean> {
    const at = this.clock.now();
    const timestamp = Math.floor(at.getTime() / 1000);
    const result = await postEvent(
      endpoint.url,
      delivery.payload,
      {
        [SIGNATURE_HEADER]: signatureHeader(this.secretsInForce(endpoint, at), timestamp, delivery.payload),
        [TIMESTAMP_HEADER]: String(timestamp),
        [EVENT_ID_HEADER]: delivery.event_id,
        [EVENT_TYPE_HEADER]: delivery.event_type,
        [DELIVERY_ID_HEADER]: delivery._id.toHexString(),
      },
      { timeoutMs: this.config.webhooks.timeoutMs, allowPrivate: this.config.webhooks.allowPrivateUrls },
    );
    const id = delivery._id.toHexString();
    const endpointId = endpoint._id.toHexString();
    const record = {
      at,
      response_code: result.kind === 'answered' ? result.statusCode : null,
      latency_ms: result.latencyMs,
      error: isSuccess(result) ? null : describe(result),
    };
    if (isSuccess(result)) {
      this.metrics.recordEventWebhookDelivery('delivered');
      await this.deliveries.recordAttempt(id, { status: 'succeeded', attempt: record, nextAttemptAt: null });
      await this.endpoints.recordSuccess(endpointId, at);
      return true;
    }
    await this.endpoints.recordFailure(endpointId, at);
    this.metrics.recordEventWebhookDelivery(isRetryable(result) && !lastAttempt ? 'failed' : 'gave_up');
    if (!isRetryable(result)) {
      await this.deliveries.recordAttempt(id, { status: 'failed', attempt: record, nextAttemptAt: null });
      return false;
    }
    if (!lastAttempt) {
      const nextAttemptAt = new Date(at.getTime() + this.config.webhooks.backoffMs * 2 ** attemptsMade);
      await this.deliveries.recordAttempt(id, { status: 'retrying', attempt: record, nextAttemptAt });
      throw new RetryDelivery(`Delivery ${id} failed (${record.error}); retrying`);
    }
    await this.deliveries.recordAttempt(id, { status: 'failed', attempt: record, nextAttemptAt: null });
    await this.disable(endpoint, delivery, attemptsMade + 1, record.error ?? 'failed');
    return false;
  }

  /** The endpoint's secret, and the one its last rotation replaced while that one's grace period lasts. */
  private secretsInForce(endpoint: WebhookEndpointRecord, at: Date): string[] {
    const current = this.cipher.decrypt(endpoint.secret_encrypted).secret;
    const graceEnds = endpoint.previous_secret_expires_at;
    if (!endpoint.previous_secret_encrypted || !graceEnds || at.getTime() >= graceEnds.getTime()) return [current];
    return [current, this.cipher.decrypt(endpoint.previous_secret_encrypted).secret];
  }

  /** Retries used up: the endpoint keeps failing, so it is disabled (saying why) and its other unfinished deliveries end. */
  private async disable(endpoint: WebhookEndpointRecord, delivery: WebhookDeliveryRecord, tries: number, lastError: string): Promise<void> {
    const since = delivery.createdAt.toISOString();
    const reason = `Disabled after event ${delivery.event_id} failed ${tries} tries since ${since} (last: ${lastError}); fix the endpoint, then enable it with PATCH { "enabled": true } and redeliver what it missed`;
    const endpointId = endpoint._id.toHexString();
    if (await this.endpoints.disable(endpointId, reason, new Date())) {
      this.logger.warn({ endpointId, clientId: endpoint.client_id.toHexString() }, 'Disabled an event webhook endpoint that kept failing');
      await this.deliveries.failUnfinishedOfEndpoint(endpointId, 'The endpoint was disabled after persistent failures');
    }
  }
}

function describe(result: DeliveryAttemptResult): string {
  if (result.kind === 'network-error') return result.error;
  const excerpt = result.bodyExcerpt.trim().slice(0, 200);
  return `HTTP ${result.statusCode}${excerpt ? `: ${excerpt}` : ''}`;
}
