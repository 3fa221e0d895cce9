import { BullModule } from '@nestjs/bull';
import { DynamicModule, Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { LoggerModule } from 'nestjs-pino';
import { AppConfig, ConfigModule } from '../config';
import { loggerParams } from './logger';
import { BullConnections } from './bull-connections';
import { ClockModule } from './clock';
import { mongoConnectionOptions } from './mongo-options';
import { RedisModule } from './redis.module';

/**
 * What every process (API, worker, CLI) is made of: validated configuration, structured
 * logging, the MongoDB connection, the shared Redis client and Bull's connection settings.
 */
@Module({})
export class CoreModule {
  static forRoot(config: AppConfig, processName: 'api' | 'worker' | 'cli'): DynamicModule {
    return {
      module: CoreModule,
      imports: [
        ConfigModule.forRoot(config),
        LoggerModule.forRoot(loggerParams(config, processName)),
        MongooseModule.forRoot(config.mongo.uri, mongoConnectionOptions(config)),
        RedisModule,
        ClockModule,
        // Each queue is registered with its own options (core/queues.ts); these are for any other.
        BullModule.forRootAsync({
          inject: [BullConnections],
          useFactory: (connections: BullConnections) => connections.queueOptions('default'),
        }),
      ],
      exports: [ConfigModule, LoggerModule, MongooseModule, RedisModule, ClockModule, BullModule],
    };
  }
}
