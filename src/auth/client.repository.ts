import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { isValidObjectId, Model } from 'mongoose';
import { Client, ClientRecord } from './client.schema';

@Injectable()
export class ClientRepository {
  constructor(@InjectModel(Client.name) private readonly clients: Model<Client>) {}

  async create(name: string): Promise<ClientRecord> {
    const created = await this.clients.create({ name });
    return created.toObject<ClientRecord>();
  }

  async findById(id: string): Promise<ClientRecord | null> {
    if (!isValidObjectId(id)) return null;
    return this.clients.findById(id).lean<ClientRecord>().exec();
  }

  async list(): Promise<ClientRecord[]> {
    return this.clients.find().sort({ createdAt: 1 }).lean<ClientRecord[]>().exec();
  }
}
