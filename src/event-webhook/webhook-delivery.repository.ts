import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { isValidObjectId, Model, mongo, Types } from 'mongoose';
import { PageRequest, PageResult } from '@app/common';
import { findPage } from '../core/find-page';
import { isOnlyDuplicateKeys } from '../core/mongo-errors';
import { nativeCollection } from '../core/native-collection';
import { DeliveryAttempt, WebhookDelivery, WebhookDeliveryRecord, WebhookDeliveryStatus } from './webhook-delivery.schema';

/** Tries kept on a delivery (the latest ones). */
export const MAX_KEPT_ATTEMPTS = 30;

export interface NewWebhookDelivery {
  clientId: string;
  endpointId: string;
  eventId: string;
  eventType: string;
  payload: string;
  orderKey: string | null;
  orderRank: number;
}

/** What one try changed. */
export interface AttemptWrite {
  status: WebhookDeliveryStatus;
  attempt: DeliveryAttempt;
  nextAttemptAt: Date | null;
}

const oid = (id: string): Types.ObjectId => new Types.ObjectId(id);

@Injectable()
export class WebhookDeliveryRepository {
  private readonly collection: mongo.Collection<WebhookDeliveryRecord>;

  constructor(@InjectModel(WebhookDelivery.name) private readonly deliveries: Model<WebhookDelivery>) {
    this.collection = nativeCollection<WebhookDelivery, WebhookDeliveryRecord>(deliveries);
  }

  /**
   * Creates the deliveries in one write; answers those to queue: the new ones, and those that
   * existed (the same event published again) but were never tried (the publish that made them
   * failed before queueing them: one more read, only then). An existing delivery is left
   * alone: an event reaches an endpoint once.
   */
  async createMany(deliveries: NewWebhookDelivery[]): Promise<WebhookDeliveryRecord[]> {
    if (deliveries.length === 0) return [];
    const now = new Date();
    const records: WebhookDeliveryRecord[] = deliveries.map((delivery) => ({
      _id: new Types.ObjectId(),
      client_id: oid(delivery.clientId),
      endpoint_id: oid(delivery.endpointId),
      event_id: delivery.eventId,
      event_type: delivery.eventType,
      payload: delivery.payload,
      order_key: delivery.orderKey,
      order_rank: delivery.orderRank,
      status: 'pending',
      attempt_count: 0,
      response_code: null,
      latency_ms: null,
      error: null,
      last_attempt_at: null,
      next_attempt_at: now,
      attempts: [],
      createdAt: now,
      updatedAt: now,
      __v: 0,
    }));
    let failedIndexes = new Set<number>();
    try {
      await this.collection.insertMany(records, { ordered: false });
    } catch (error) {
      if (!isOnlyDuplicateKeys(error)) throw error;
      failedIndexes = new Set(([] as mongo.WriteError[]).concat(error.writeErrors).map((writeError) => writeError.index));
    }
    const created = records.filter((_record, index) => !failedIndexes.has(index));
    if (failedIndexes.size === 0) return created;
    const repeated = records.filter((_record, index) => failedIndexes.has(index)).map(({ endpoint_id, event_id }) => ({ endpoint_id, event_id }));
    const untried = await this.collection.find({ $or: repeated, status: 'pending', attempt_count: 0 }).toArray();
    return [...created, ...untried];
  }

  /**
   * A page of the unfinished deliveries (pending or retrying) created before `before`, by id after
   * `afterId`: their jobs are lost when Redis loses its data. Rare (after such a loss), so it walks
   * the _id index rather than keeping an index of its own on every delivery's status.
   */
  async findUnfinishedIds(before: Date, afterId: string | null, limit: number): Promise<string[]> {
    const found = await this.collection
      .find({ status: { $in: ['pending', 'retrying'] }, createdAt: { $lt: before }, ...(afterId ? { _id: { $gt: oid(afterId) } } : {}) }, { projection: { _id: 1 } })
      .sort({ _id: 1 })
      .limit(limit)
      .toArray();
    return found.map((delivery) => delivery._id.toHexString());
  }

  async findById(id: string): Promise<WebhookDeliveryRecord | null> {
    if (!isValidObjectId(id)) return null;
    return this.collection.findOne({ _id: oid(id) });
  }

  /** A delivery of one of the client's endpoints; anything else reads as missing. */
  async findOfEndpoint(clientId: string, endpointId: string, id: string): Promise<WebhookDeliveryRecord | null> {
    if (!isValidObjectId(id)) return null;
    return this.deliveries
      .findOne({ _id: oid(id), endpoint_id: oid(endpointId), client_id: oid(clientId) }, { payload: 0 })
      .lean<WebhookDeliveryRecord>()
      .exec();
  }

  /** An endpoint's deliveries, newest first (their bodies left out). */
  listOfEndpoint(clientId: string, endpointId: string, page: PageRequest, status?: WebhookDeliveryStatus): Promise<PageResult<WebhookDeliveryRecord>> {
    return findPage<WebhookDelivery, WebhookDeliveryRecord>(
      this.deliveries,
      { client_id: oid(clientId), endpoint_id: oid(endpointId), ...(status ? { status } : {}) },
      page,
    );
  }

  /** Records one try and where the delivery now stands. */
  async recordAttempt(id: string, write: AttemptWrite): Promise<void> {
    const { attempt } = write;
    await this.collection.updateOne(
      { _id: oid(id) },
      {
        $set: {
          status: write.status,
          response_code: attempt.response_code,
          latency_ms: attempt.latency_ms,
          error: attempt.error,
          last_attempt_at: attempt.at,
          next_attempt_at: write.nextAttemptAt,
          updatedAt: attempt.at,
        },
        $inc: { attempt_count: 1 },
        $push: { attempts: { $each: [attempt], $slice: -MAX_KEPT_ATTEMPTS } },
      },
    );
  }

  /** Ends a delivery without a try (endpoint disabled or deleted, or superseded), saying why. */
  async finish(id: string, status: 'failed' | 'superseded', reason: string): Promise<void> {
    await this.collection.updateOne({ _id: oid(id) }, { $set: { status, error: reason, next_attempt_at: null, updatedAt: new Date() } });
  }

  /** Back to `pending` for a redelivery: answers the delivery as it is now. */
  async requeue(id: string): Promise<WebhookDeliveryRecord | null> {
    return this.collection.findOneAndUpdate(
      { _id: oid(id) },
      { $set: { status: 'pending', next_attempt_at: new Date(), updatedAt: new Date() } },
      { returnDocument: 'after', projection: { payload: 0 } },
    );
  }

  /** Every unfinished delivery of an endpoint ends (the endpoint was disabled or deleted). */
  async failUnfinishedOfEndpoint(endpointId: string, reason: string): Promise<void> {
    await this.collection.updateMany(
      { endpoint_id: oid(endpointId), status: { $in: ['pending', 'retrying'] } },
      { $set: { status: 'failed', error: reason, next_attempt_at: null, updatedAt: new Date() } },
    );
  }
}
