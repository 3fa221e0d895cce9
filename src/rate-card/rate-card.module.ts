import { Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { RateCard, RateCardSchema } from './rate-card.schema';
import { RateCardRepository } from './rate-card.repository';
import { RateCards } from './rate-cards';

/** The operator's rate cards (no HTTP surface: the CLI loads them, plans read them). */
@Module({
  imports: [MongooseModule.forFeature([{ name: RateCard.name, schema: RateCardSchema }])],
  providers: [RateCardRepository, RateCards],
  exports: [RateCards],
})
export class RateCardDataModule {}
