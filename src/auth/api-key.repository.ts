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

  /** Marks the key revoked; returns false when no such (unrevoked) key exists. */
  async revoke(id: string): Promise<boolean> {
    if (!isValidObjectId(id)) return false;
    const result = await this.keys.updateOne({ _id: id, revoked_at: null }, { $set: { revoked_at: new Date() } }).exec();
    return result.modifiedCount === 1;
  }
}
