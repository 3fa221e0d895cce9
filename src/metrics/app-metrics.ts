import { Injectable, OnModuleDestroy } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { ProviderFailureKind, ProviderName } from '@app/whatsapp';

/** Prefix of every metric this service defines (Node's process metrics keep their standard names). */
const PREFIX = 'whatsapp_';

/** The job states the queue gauges report, as Bull's getJobCounts names them. */
export const SAMPLED_JOB_STATES = ['waiting', 'active', 'delayed', 'failed'] as const;
export type SampledJobState = (typeof SAMPLED_JOB_STATES)[number];

/** What became of one event-webhook delivery attempt. */
export type EventWebhookDeliveryOutcome = 'delivered' | 'failed' | 'gave_up';

/** HTTP methods kept as themselves in labels; anything else is `OTHER`. */
const KNOWN_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

/** Provider error codes become labels only while they look like codes and are few; past that, `other`. */
const ERROR_CODE_PATTERN = /^[A-Za-z0-9_.-]{1,40}$/;
const MAX_ERROR_CODES = 100;

/** Seconds; from a fast cached read to a slow upload or provider call. */
const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/**
 * Every metric of one process, in its own registry (so that several apps in one process, as in the
 * tests, never share counts). Labels are bounded: routes are patterns, never paths; providers,
 * outcomes and states come from fixed lists; error codes are capped. Never a phone number or an id.
 */
@Injectable()
export class AppMetrics implements OnModuleDestroy {
  readonly registry = new Registry();

  private readonly httpDuration = new Histogram({
    name: `${PREFIX}http_request_duration_seconds`,
    help: 'HTTP requests by method, route pattern and status code, and how long they took',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });

  private readonly queueJobs = new Gauge({
    name: `${PREFIX}queue_jobs`,
    help: `Jobs in each Bull queue by state (${SAMPLED_JOB_STATES.join(', ')}), sampled periodically`,
    labelNames: ['queue', 'state'] as const,
    registers: [this.registry],
  });

  private readonly messagesSent = new Counter({
    name: `${PREFIX}messages_sent_total`,
    help: 'Messages the provider accepted (one per provider call: a message with attachments is several)',
    labelNames: ['provider'] as const,
    registers: [this.registry],
  });

  private readonly messagesFailed = new Counter({
    name: `${PREFIX}messages_failed_total`,
    help: 'Provider calls refused, by provider error code; kind="transient" ones are retried',
    labelNames: ['provider', 'error_code', 'kind'] as const,
    registers: [this.registry],
  });

  private readonly providerDuration = new Histogram({
    name: `${PREFIX}provider_request_duration_seconds`,
    help: 'Latency of provider calls (sending one message), by provider and outcome',
    labelNames: ['provider', 'outcome'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });

  private readonly broadcastRecipients = new Counter({
    name: `${PREFIX}broadcast_recipients_total`,
    help: "Broadcast recipients moved out of pending into sent or failed (rate(): recipients per second)",
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  private readonly eventWebhookDeliveries = new Counter({
    name: `${PREFIX}event_webhook_deliveries_total`,
    help: 'Deliveries of event webhooks to clients: delivered (2xx), failed (will be retried), gave_up (last attempt failed)',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  private readonly errorCodes = new Set<string>();

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }

  /** One finished HTTP request; `route` is the matched pattern (`/broadcast/:id`), never the raw path. */
  observeHttpRequest(method: string, route: string, status: number, seconds: number): void {
    const knownMethod = KNOWN_METHODS.has(method) ? method : 'OTHER';
    this.httpDuration.observe({ method: knownMethod, route, status: String(status) }, seconds);
  }

  setQueueJobs(queue: string, counts: Record<SampledJobState, number>): void {
    for (const state of SAMPLED_JOB_STATES) this.queueJobs.set({ queue, state }, counts[state]);
  }

  /** One provider call that the provider accepted. */
  recordProviderSent(provider: ProviderName, seconds: number): void {
    this.messagesSent.inc({ provider });
    this.providerDuration.observe({ provider, outcome: 'sent' }, seconds);
  }

  /** One provider call that failed: a provider error with its code, or `internal` for anything else. */
  recordProviderFailed(provider: ProviderName, failure: { code: string; kind: ProviderFailureKind } | 'internal', seconds: number): void {
    const { code, kind } = failure === 'internal' ? { code: 'internal', kind: 'transient' as const } : failure;
    this.messagesFailed.inc({ provider, error_code: this.boundedErrorCode(code), kind });
    this.providerDuration.observe({ provider, outcome: 'failed' }, seconds);
  }

  /** Recipients a broadcast progress write moved out of pending. */
  recordBroadcastRecipients(outcome: 'sent' | 'failed', count: number): void {
    if (count > 0) this.broadcastRecipients.inc({ outcome }, count);
  }

  /** One delivery attempt of an event webhook to a client's URL. */
  recordEventWebhookDelivery(outcome: EventWebhookDeliveryOutcome): void {
    this.eventWebhookDeliveries.inc({ outcome });
  }

  /** The Prometheus text exposition of every metric, and its content type. */
  async exposition(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }

  onModuleDestroy(): void {
    this.registry.clear();
  }

  private boundedErrorCode(code: string): string {
    if (!ERROR_CODE_PATTERN.test(code)) return 'other';
    if (this.errorCodes.has(code)) return code;
    if (this.errorCodes.size >= MAX_ERROR_CODES) return 'other';
    this.errorCodes.add(code);
    return code;
  }
}
