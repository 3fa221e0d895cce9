import { BadRequestException, ConflictException, Injectable, NotFoundException } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { PageRequest, PageResult } from '@app/common';
import { CredentialsCipher } from '../auth';
import { AppConfig } from '../config';
import { Clock } from '../core/clock';
import {
  CreatedWebhookEndpointView,
  CreateWebhookEndpointDto,
  RotatedWebhookSecretView,
  UpdateWebhookEndpointDto,
  WebhookDeliveryView,
  WebhookEndpointView,
} from './dto/webhook-endpoint.dto';
import { EventPublisher } from './event-publisher';
import { EventWebhookQueue } from './event-webhook.queue';
import type { WebhookDeliveryRecord, WebhookDeliveryStatus } from './webhook-delivery.schema';
import { WebhookDeliveryRepository } from './webhook-delivery.repository';
import type { WebhookEndpointRecord } from './webhook-endpoint.schema';
import { WebhookEndpointRepository } from './webhook-endpoint.repository';
import { webhookUrlProblem } from './webhook-url-guard';

/** A client's event webhook endpoints and their deliveries (POST/GET/PATCH/DELETE /webhook-endpoints). */
@Injectable()
export class WebhookEndpointService {
  constructor(
    private readonly endpoints: WebhookEndpointRepository,
    private readonly deliveries: WebhookDeliveryRepository,
    private readonly queue: EventWebhookQueue,
    private readonly cipher: CredentialsCipher,
    private readonly config: AppConfig,
    private readonly publisher: EventPublisher,
    private readonly clock: Clock,
  ) {}

  /** A new endpoint with a fresh signing secret, returned this once. */
  async create(clientId: string, body: CreateWebhookEndpointDto): Promise<CreatedWebhookEndpointView> {
    await this.checkUrl(body.url);
    const secret = newSecret();
    const endpoint = await this.endpoints.create(clientId, {
      url: body.url,
      description: body.description ?? null,
      events: body.events ?? [],
      enabled: body.enabled ?? true,
      secretEncrypted: this.cipher.encrypt({ secret }),
    });
    this.publisher.forgetEndpointsOf(clientId);
    return { ...toView(endpoint), secret };
  }

  async list(clientId: string, page: PageRequest): Promise<PageResult<WebhookEndpointView>> {
    const { items, total } = await this.endpoints.list(clientId, page);
    return { items: items.map(toView), total };
  }

  async get(clientId: string, id: string): Promise<WebhookEndpointView> {
    return toView(await this.owned(clientId, id));
  }

  async update(clientId: string, id: string, body: UpdateWebhookEndpointDto): Promise<WebhookEndpointView> {
    if (body.url !== undefined) await this.checkUrl(body.url);
    const updated = await this.endpoints.update(clientId, id, {
      ...(body.url !== undefined && { url: body.url }),
      ...(body.description !== undefined && { description: body.description }),
      ...(body.events !== undefined && { events: body.events }),
      ...(body.enabled !== undefined && { enabled: body.enabled }),
    });
    if (!updated) throw notFound(id);
    this.publisher.forgetEndpointsOf(clientId);
    return toView(updated);
  }

  /**
   * A new signing secret, returned this once. For `graceMs` (0: not at all) deliveries carry the
   * old secret's signature beside the new one, so the receiver can switch secrets in its own time.
   */
  async rotateSecret(clientId: string, id: string, graceMs: number): Promise<RotatedWebhookSecretView> {
    const endpoint = await this.owned(clientId, id);
    const now = this.clock.now();
    const secret = newSecret();
    const previousExpiresAt = graceMs > 0 ? new Date(now.getTime() + graceMs) : null;
    const rotated = await this.endpoints.rotateSecret(clientId, id, {
      secretEncrypted: this.cipher.encrypt({ secret }),
      previousEncrypted: previousExpiresAt ? endpoint.secret_encrypted : null,
      previousExpiresAt,
      at: now,
    });
    if (!rotated) throw notFound(id);
    return { ...toView(rotated), secret, previous_secret_valid_until: previousExpiresAt };
  }

  /** Deletes the endpoint; its unfinished deliveries end (a queued try finds it gone). */
  async delete(clientId: string, id: string): Promise<void> {
    if (!(await this.endpoints.delete(clientId, id))) throw notFound(id);
    this.publisher.forgetEndpointsOf(clientId);
    await this.deliveries.failUnfinishedOfEndpoint(id, 'The endpoint was deleted');
  }

  async listDeliveries(clientId: string, endpointId: string, page: PageRequest, status?: WebhookDeliveryStatus): Promise<PageResult<WebhookDeliveryView>> {
    await this.owned(clientId, endpointId);
    const { items, total } = await this.deliveries.listOfEndpoint(clientId, endpointId, page, status);
    return { items: items.map(toDeliveryView), total };
  }

  /** Sends the delivery again (a new try with a full set of retries), whatever became of it; the endpoint must be enabled. */
  async redeliver(clientId: string, endpointId: string, deliveryId: string): Promise<WebhookDeliveryView> {
    const endpoint = await this.owned(clientId, endpointId);
    const delivery = await this.deliveries.findOfEndpoint(clientId, endpointId, deliveryId);
    if (!delivery) throw new NotFoundException(`Delivery ${deliveryId} not found`);
    if (!endpoint.enabled) throw new ConflictException(`Endpoint ${endpointId} is disabled; enable it (PATCH { "enabled": true }) before redelivering`);
    const requeued = await this.deliveries.requeue(deliveryId);
    if (!requeued) throw new NotFoundException(`Delivery ${deliveryId} not found`);
    await this.queue.redeliver(deliveryId);
    return toDeliveryView(requeued);
  }

  private async owned(clientId: string, id: string): Promise<WebhookEndpointRecord> {
    const endpoint = await this.endpoints.findOwned(clientId, id);
    if (!endpoint) throw notFound(id);
    return endpoint;
  }

  private async checkUrl(url: string): Promise<void> {
    const problem = await webhookUrlProblem(url, this.config.webhooks.allowPrivateUrls);
    if (problem) throw new BadRequestException(problem);
  }
}

const newSecret = (): string => `whsec_${randomBytes(32).toString('base64url')}`;

const notFound = (id: string): NotFoundException => new NotFoundException(`Webhook endpoint ${id} not found`);

function toView(endpoint: WebhookEndpointRecord): WebhookEndpointView {
  return {
    _id: endpoint._id.toHexString(),
    client_id: endpoint.client_id.toHexString(),
    url: endpoint.url,
    description: endpoint.description,
    events: endpoint.events,
    enabled: endpoint.enabled,
    disabled_reason: endpoint.disabled_reason,
    disabled_at: endpoint.disabled_at,
    last_success_at: endpoint.last_success_at,
    last_failure_at: endpoint.last_failure_at,
    rotated_at: endpoint.secret_rotated_at ?? null,
    createdAt: endpoint.createdAt,
    updatedAt: endpoint.updatedAt,
  };
}

function toDeliveryView(delivery: WebhookDeliveryRecord): WebhookDeliveryView {
  return {
    _id: delivery._id.toHexString(),
    endpoint_id: delivery.endpoint_id.toHexString(),
    event_id: delivery.event_id,
    event_type: delivery.event_type,
    status: delivery.status,
    attempt_count: delivery.attempt_count,
    response_code: delivery.response_code,
    latency_ms: delivery.latency_ms,
    error: delivery.error,
    last_attempt_at: delivery.last_attempt_at,
    next_attempt_at: delivery.next_attempt_at,
    attempts: delivery.attempts,
    createdAt: delivery.createdAt,
  };
}
