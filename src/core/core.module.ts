import { BullModule } from '@nestjs/bull';
import { DynamicModule, Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { LoggerModule } from 'nestjs-pino';
import { AppConfig, ConfigModule } from '../config';
import { loggerParams } from './logger';
import { RedisModule } from './redis.module';
import { redisOptionsFromUrl } from './redis-options';

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
        MongooseModule.forRoot(config.mongo.uri, {
          // Indexes are declared on the schemas and built at start-up (idempotent).
          autoIndex: true,
          serverSelectionTimeoutMS: 10000,
        }),
        RedisModule,
        BullModule.forRoot({
          redis: redisOptionsFromUrl(config.redis.url),
          prefix: config.redis.queuePrefix,
        }),
      ],
      exports: [ConfigModule, LoggerModule, MongooseModule, RedisModule, BullModule],
    };
  }
}
