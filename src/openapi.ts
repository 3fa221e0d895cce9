import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { ApiModule } from './api.module';
import { AppConfig } from './config';

/**
 * The API process's modules in Nest's preview mode: controllers and their metadata are scanned
 * but no provider is instantiated, so nothing connects to MongoDB or Redis. Enough for the
 * OpenAPI document and for serving /docs, not for answering API requests.
 */
export async function createPreviewApp(): Promise<NestExpressApplication> {
  const config = AppConfig.fromEnvironment({
    // Required by the environment schema; preview mode never opens them.
    MONGODB_URI: 'mongodb://preview.invalid/none',
    REDIS_URL: 'redis://preview.invalid',
    CREDENTIALS_ENCRYPTION_KEY: Buffer.alloc(32).toString('base64'),
    LOG_LEVEL: 'silent',
  });
  return NestFactory.create<NestExpressApplication>(ApiModule.forRoot(config), { preview: true, logger: false, bodyParser: false });
}
