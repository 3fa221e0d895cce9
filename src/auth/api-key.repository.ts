import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { isValidObjectId, Model, Types } from 'mongoose';
import { ApiKey, ApiKeyRecord } from './api-key.schema';
import { Permission, Role } from './permissions';

export interface NewApiKey {
  id: Types.ObjectId;
  clientId: string;
  name: string;
  role: Role;
  permissions: Permission[];
  secretHash: string;
  expiresAt: Date | null;
  rateLimits: ApiKeyRateLimits;
}

/** A key's own requests-per-minute limits; null keeps the configured default. */
export interface ApiKeyRateLimits {
  perMinute: number | null;
  expensivePerMinute: number | null;
}

export interface KeyRotation {
  /** The secret being replaced, as read: a concurrent rotation makes this one match nothing. */
  expectedHash: string;
  secretHash: string;
  previousHash: string | null;
  previousExpiresAt: Date | null;
  at: Date;
}

@Injectable()
export class ApiKeyRepository {
  constructor(@InjectModel(ApiKey.name) private readonly keys: Model<ApiKey>) {}

  async create(key: NewApiKey): Promise<ApiKeyRecord> {
    const created = await this.keys.create({
      _id: key.id,
      client_id: new Types.ObjectId(key.clientId),
      name: key.name,
      role: key.role,
      permissions: key.permissions,
      secret_hash: key.secretHash,
      expires_at: key.expiresAt,
      rate_limit_per_minute: key.rateLimits.perMinute,
      expensive_rate_limit_per_minute: key.rateLimits.expensivePerMinute,
    });
    return created.toObject<ApiKeyRecord>();
  }

  async findById(id: string): Promise<ApiKeyRecord | null> {
    if (!isValidObjectId(id)) return null;
    return this.keys.findById(id).lean<ApiKeyRecord>().exec();
  }

  async listByClient(clientId: string): Promise<ApiKeyRecord[]> {
    return this.keys
      .find({ client_id: new Types.ObjectId(clientId) })
      .sort({ createdAt: 1 })
      .lean<ApiKeyRecord[]>()
      .exec();
  }

  /**
   * Records that the key was used at `at`, unless a use within `precisionMs` before it is already
   * recorded: several API processes then write once between them, not once each. Leaves updatedAt alone.
   */
  async recordUse(id: Types.ObjectId, at: Date, precisionMs: number): Promise<boolean> {
    const staleBefore = new Date(at.getTime() - precisionMs);
    const result = await this.keys
      .updateOne(
        { _id: id, $or: [{ last_used_at: null }, { last_used_at: { $lte: staleBefore } }] },
        { $set: { last_used_at: at } },
        { timestamps: false },
      )
      .exec();
    return result.modifiedCount === 1;
  }

  /** Changes the key's own limits (null: back to the default); answers the updated key, or null when none has this id. */
  async setRateLimits(id: string, changes: Partial<ApiKeyRateLimits>): Promise<ApiKeyRecord | null> {
    if (!isValidObjectId(id)) return null;
    const set: Partial<Pick<ApiKey, 'rate_limit_per_minute' | 'expensive_rate_limit_per_minute'>> = {};
    if (changes.perMinute !== undefined) set.rate_limit_per_minute = changes.perMinute;
    if (changes.expensivePerMinute !== undefined) set.expensive_rate_limit_per_minute = changes.expensivePerMinute;
    return this.keys.findOneAndUpdate({ _id: id }, { $set: set }, { new: true }).lean<ApiKeyRecord>().exec();
  }

  /** The key only if it belongs to the client; another client's id reads as missing. */
  async findOwned(clientId: string, id: string): Promise<ApiKeyRecord | null> {
    if (!isValidObjectId(id)) return null;
    return this.keys.findOne({ _id: new Types.ObjectId(id), client_id: new Types.ObjectId(clientId) }).lean<ApiKeyRecord>().exec();
  }

  /**
   * Gives an unrevoked key of the client a new secret; the one it replaces stays accepted until
   * `previousExpiresAt` (null: not at all). Answers the updated key, or null when none matches
   * (another rotation got there first: its secret is no longer `expectedHash`).
   */
  async rotate(clientId: string, id: string, rotation: KeyRotation): Promise<ApiKeyRecord | null> {
    if (!isValidObjectId(id)) return null;
    return this.keys
      .findOneAndUpdate(
        { _id: new Types.ObjectId(id), client_id: new Types.ObjectId(clientId), revoked_at: null, secret_hash: rotation.expectedHash },
        {
          $set: {
            secret_hash: rotation.secretHash,
            previous_secret_hash: rotation.previousHash,
            previous_secret_expires_at: rotation.previousExpiresAt,
            rotated_at: rotation.at,
          },
        },
        { new: true },
      )
      .lean<ApiKeyRecord>()
      .exec();
  }

  /** Unrevoked, unexpired owner keys of the client. */
  countActiveOwners(clientId: string, now: Date): Promise<number> {
    return this.keys
      .countDocuments({
        client_id: new Types.ObjectId(clientId),
        role: Role.Owner,
        revoked_at: null,
        $or: [{ expires_at: null }, { expires_at: { $gt: now } }],
      })
      .exec();
  }

  /** Undoes a revocation made at `at` (a revocation that turned out to remove the last owner key). */
  async restore(id: string, at: Date): Promise<void> {
    await this.keys.updateOne({ _id: new Types.ObjectId(id), revoked_at: at }, { $set: { revoked_at: null } }).exec();
  }

  /** Marks the key revoked; returns false when no such (unrevoked) key exists. */
  async revoke(id: string, at: Date = new Date()): Promise<boolean> {
    if (!isValidObjectId(id)) return false;
    const result = await this.keys.updateOne({ _id: id, revoked_at: null }, { $set: { revoked_at: at } }).exec();
    return result.modifiedCount === 1;
  }
}
