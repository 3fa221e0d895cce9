import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model, Types } from 'mongoose';
import { LimitSource, Portfolio, PortfolioRecord } from './portfolio.schema';

@Injectable()
export class PortfolioRepository {
  constructor(@InjectModel(Portfolio.name) private readonly portfolios: Model<Portfolio>) {}

  find(clientId: string, portfolioId: string): Promise<PortfolioRecord | null> {
    return this.portfolios.findOne({ client_id: new Types.ObjectId(clientId), portfolio_id: portfolioId }).lean<PortfolioRecord>().exec();
  }

  /** Sets the portfolio's limit (made on first use); answers it as stored. */
  async setLimit(clientId: string, portfolioId: string, messagingLimit: number | null, source: LimitSource): Promise<PortfolioRecord> {
    const filter = { client_id: new Types.ObjectId(clientId), portfolio_id: portfolioId };
    const update = { $set: { messaging_limit: messagingLimit, limit_source: source } };
    return (await this.portfolios.findOneAndUpdate(filter, update, { upsert: true, new: true }).lean<PortfolioRecord>().exec());
  }
}
