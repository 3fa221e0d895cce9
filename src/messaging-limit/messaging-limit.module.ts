import { Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { AuthDataModule } from '../auth';
import { MessageLogDataModule } from '../message-log/message-log.module';
import { MessagingLimitCounter } from './messaging-limit-counter';
import { MessagingLimits } from './messaging-limits';
import { PortfolioController } from './portfolio.controller';
import { PortfolioRepository } from './portfolio.repository';
import { Portfolio, PortfolioSchema } from './portfolio.schema';

/** Business portfolios and their messaging limit, counted in Redis (both processes: the worker admits, the API shows and plans). */
@Module({
  imports: [MongooseModule.forFeature([{ name: Portfolio.name, schema: PortfolioSchema }]), AuthDataModule, MessageLogDataModule],
  providers: [PortfolioRepository, MessagingLimitCounter, MessagingLimits],
  exports: [MessagingLimits],
})
export class MessagingLimitDataModule {}

@Module({
  imports: [MessagingLimitDataModule, AuthDataModule],
  controllers: [PortfolioController],
})
export class MessagingLimitHttpModule {}
