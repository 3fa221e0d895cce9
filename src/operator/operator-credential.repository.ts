import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { isValidObjectId, Model, Types } from 'mongoose';
import { OperatorCredential, OperatorCredentialRecord } from './operator-credential.schema';

@Injectable()
export class OperatorCredentialRepository {
  constructor(@InjectModel(OperatorCredential.name) private readonly credentials: Model<OperatorCredential>) {}

  async create(credential: { id: Types.ObjectId; name: string; secretHash: string; expiresAt: Date | null }): Promise<OperatorCredentialRecord> {
    const created = await this.credentials.create({
      _id: credential.id,
      name: credential.name,
      secret_hash: credential.secretHash,
      expires_at: credential.expiresAt,
    });
    return created.toObject<OperatorCredentialRecord>();
  }

  async findById(id: string): Promise<OperatorCredentialRecord | null> {
    if (!isValidObjectId(id)) return null;
    return this.credentials.findById(id).lean<OperatorCredentialRecord>().exec();
  }

  list(): Promise<OperatorCredentialRecord[]> {
    return this.credentials.find({}, { secret_hash: 0 }).sort({ createdAt: 1 }).lean<OperatorCredentialRecord[]>().exec();
  }

  /** Marks it revoked; false when no such (unrevoked) credential exists. */
  async revoke(id: string, at: Date): Promise<boolean> {
    if (!isValidObjectId(id)) return false;
    const result = await this.credentials.updateOne({ _id: id, revoked_at: null }, { $set: { revoked_at: at } }).exec();
    return result.modifiedCount === 1;
  }
}
