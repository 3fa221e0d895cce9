import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model } from 'mongoose';
import type { ParsedRateCard } from './rate-card-csv';
import { RateCard, RateCardRecord } from './rate-card.schema';

@Injectable()
export class RateCardRepository {
  constructor(@InjectModel(RateCard.name) private readonly cards: Model<RateCard>) {}

  async insert(card: ParsedRateCard, source: string): Promise<RateCardRecord> {
    const created = await this.cards.create({ ...card, source });
    return created.toObject<RateCardRecord>();
  }

  /** The card in force at `at`: the newest effective date not after it (the last loaded of equals). */
  current(at: Date): Promise<RateCardRecord | null> {
    return this.cards.findOne({ effective_from: { $lte: at } }).sort({ effective_from: -1, loaded_at: -1 }).lean<RateCardRecord>().exec();
  }
}
