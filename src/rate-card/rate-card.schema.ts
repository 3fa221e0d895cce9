import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';
import { Types } from 'mongoose';
import type { RateCardMarket } from './rate-card-csv';

/**
 * A rate card the operator loaded (operator-level: it prices every client's messages). The
 * newest card whose effective date has come applies; older ones stay for the record.
 */
@Schema({ collection: 'rate_cards', timestamps: { createdAt: 'loaded_at', updatedAt: false } })
export class RateCard {
  @Prop({ type: String, required: true })
  currency!: string;

  @Prop({ type: Date, required: true })
  effective_from!: Date;

  /** Where it was loaded from (a file name), for the operator's record. */
  @Prop({ type: String, required: true })
  source!: string;

  @Prop({ type: [Object], required: true })
  markets!: RateCardMarket[];
}

export const RateCardSchema = SchemaFactory.createForClass(RateCard);
// The card that applies: the newest effective date not in the future, the last loaded first.
RateCardSchema.index({ effective_from: -1, loaded_at: -1 });

export interface RateCardRecord {
  _id: Types.ObjectId;
  currency: string;
  effective_from: Date;
  source: string;
  markets: RateCardMarket[];
  loaded_at: Date;
}
