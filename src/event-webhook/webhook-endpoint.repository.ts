import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { isValidObjectId, Model, Types } from 'mongoose';
import { PageRequest, PageResult } from '@app/common';
import { findPage } from '../core/find-page';
import type { ClientEventType } from './client-events';
import { WebhookEndpoint, WebhookEndpointRecord } from './webhook-endpoint.schema';

export interface NewWebhookEndpoint {
  url: string;
  description: string | null;
  events: ClientEventType[];
  enabled: boolean;
  secretEncrypted: string;
}

export interface WebhookEndpointChanges {
  url?: string;
  description?: string | null;
  events?: ClientEventType[];
  enabled?: boolean;
}

const oid = (id: string): Types.ObjectId => new Types.ObjectId(id);

@Injectable()
export class WebhookEndpointRepository {
  constructor(@InjectModel(WebhookEndpoint.name) private readonly endpoints: Model<WebhookEndpoint>) {}

  async create(clientId: string, endpoint: NewWebhookEndpoint): Promise<WebhookEndpointRecord> {
    const created = await this.endpoints.create({
      client_id: oid(clientId),
      url: endpoint.url,
      description: endpoint.description,
      events: endpoint.events,
      enabled: endpoint.enabled,
      secret_encrypted: endpoint.secretEncrypted,
    });
    return created.toObject<WebhookEndpointRecord>();
  }

  list(clientId: string, page: PageRequest): Promise<PageResult<WebhookEndpointRecord>> {
    return findPage<WebhookEndpoint, WebhookEndpointRecord>(this.endpoints, { client_id: oid(clientId) }, page);
  }

  /** The endpoint only if it belongs to the client; another client's id reads as missing. */
  async findOwned(clientId: string, id: string): Promise<WebhookEndpointRecord | null> {
    if (!isValidObjectId(id)) return null;
    return this.endpoints.findOne({ _id: oid(id), client_id: oid(clientId) }).lean<WebhookEndpointRecord>().exec();
  }

  async findById(id: string): Promise<WebhookEndpointRecord | null> {
    if (!isValidObjectId(id)) return null;
    return this.endpoints.findById(id).lean<WebhookEndpointRecord>().exec();
  }

  /** The enabled endpoints of these clients (the publisher's one query per batch of events). */
  async listEnabledOfClients(clientIds: string[]): Promise<WebhookEndpointRecord[]> {
    return this.endpoints
      .find({ client_id: { $in: clientIds.map(oid) }, enabled: true }, { secret_encrypted: 0, previous_secret_encrypted: 0 })
      .lean<WebhookEndpointRecord[]>()
      .exec();
  }

  /** Enabling clears what the service said when it disabled the endpoint. */
  async update(clientId: string, id: string, changes: WebhookEndpointChanges): Promise<WebhookEndpointRecord | null> {
    if (!isValidObjectId(id)) return null;
    const set: Record<string, unknown> = { ...changes };
    if (changes.enabled !== undefined) Object.assign(set, { disabled_reason: null, disabled_at: changes.enabled ? null : new Date() });
    return this.endpoints
      .findOneAndUpdate({ _id: oid(id), client_id: oid(clientId) }, { $set: set }, { new: true })
      .lean<WebhookEndpointRecord>()
      .exec();
  }

  /**
   * Gives the endpoint a new signing secret; the one it replaces keeps signing until
   * `previousExpiresAt` (null: not at all). Null when the client has no such endpoint.
   */
  async rotateSecret(
    clientId: string,
    id: string,
    rotation: { secretEncrypted: string; previousEncrypted: string | null; previousExpiresAt: Date | null; at: Date },
  ): Promise<WebhookEndpointRecord | null> {
    if (!isValidObjectId(id)) return null;
    return this.endpoints
      .findOneAndUpdate(
        { _id: oid(id), client_id: oid(clientId) },
        {
          $set: {
            secret_encrypted: rotation.secretEncrypted,
            previous_secret_encrypted: rotation.previousEncrypted,
            previous_secret_expires_at: rotation.previousExpiresAt,
            secret_rotated_at: rotation.at,
          },
        },
        { new: true },
      )
      .lean<WebhookEndpointRecord>()
      .exec();
  }

  async delete(clientId: string, id: string): Promise<boolean> {
    if (!isValidObjectId(id)) return false;
    return (await this.endpoints.deleteOne({ _id: oid(id), client_id: oid(clientId) }).exec()).deletedCount === 1;
  }

  async recordSuccess(id: string, at: Date): Promise<void> {
    await this.endpoints.updateOne({ _id: oid(id) }, { $set: { last_success_at: at } }).exec();
  }

  async recordFailure(id: string, at: Date): Promise<void> {
    await this.endpoints.updateOne({ _id: oid(id) }, { $set: { last_failure_at: at } }).exec();
  }

  /** Disables an enabled endpoint, saying why; false when it was not enabled (any more). */
  async disable(id: string, reason: string, at: Date): Promise<boolean> {
    const result = await this.endpoints
      .updateOne({ _id: oid(id), enabled: true }, { $set: { enabled: false, disabled_reason: reason, disabled_at: at } })
      .exec();
    return result.modifiedCount === 1;
  }
}
