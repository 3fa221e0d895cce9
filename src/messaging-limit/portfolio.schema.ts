import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';
import { SchemaTypes, Types } from 'mongoose';

/** Meta's messaging-limit tiers: unique people a portfolio may start conversations with in a moving 24 hours. */
export const MESSAGING_LIMIT_TIERS = { TIER_250: 250, TIER_2K: 2_000, TIER_10K: 10_000, TIER_100K: 100_000, TIER_UNLIMITED: null } as const;
export type MessagingLimitTier = keyof typeof MESSAGING_LIMIT_TIERS;

/** Where a portfolio's limit came from. */
export const LIMIT_SOURCES = ['api', 'cli', 'webhook'] as const;
export type LimitSource = (typeof LIMIT_SOURCES)[number];

/**
 * A client's business portfolio: the messaging limit its sessions share (null: none enforced,
 * as for an unlimited tier or a portfolio nobody has set one for).
 */
@Schema({ collection: 'portfolios', timestamps: true })
export class Portfolio {
  @Prop({ type: SchemaTypes.ObjectId, required: true })
  client_id!: Types.ObjectId;

  @Prop({ type: String, required: true })
  portfolio_id!: string;

  @Prop({ type: Number, default: null })
  messaging_limit!: number | null;

  @Prop({ type: String, enum: LIMIT_SOURCES, required: true })
  limit_source!: LimitSource;
}

export const PortfolioSchema = SchemaFactory.createForClass(Portfolio);
// One record per portfolio of a client; sessions name it by portfolio_id.
PortfolioSchema.index({ client_id: 1, portfolio_id: 1 }, { unique: true });

export interface PortfolioRecord {
  _id: Types.ObjectId;
  client_id: Types.ObjectId;
  portfolio_id: string;
  messaging_limit: number | null;
  limit_source: LimitSource;
  createdAt: Date;
  updatedAt: Date;
}
