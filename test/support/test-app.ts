import { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { getConnectionToken } from '@nestjs/mongoose';
import type { Connection } from 'mongoose';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import TestAgent from 'supertest/lib/agent';
import { AppConfig } from '../../src/config';
import { configureHttpApp } from '../../src/http';
import { LocalModule } from '../../src/local/local.module';
import { isolatedMongoUri } from './mongo';

export interface TestApp {
  app: INestApplication;
  config: AppConfig;
  http: TestAgent;
  /** Folder for files the app writes (attachments); removed on close. */
  dataDir: string;
  close(): Promise<void>;
}

export interface TestAppOptions {
  /** Run the queue consumers in-process too (default true). */
  worker?: boolean;
  /** Extra environment variables, e.g. lowered limits. */
  env?: Record<string, string>;
}

/**
 * Boots the real application in-process (API, and the worker unless told otherwise)
 * against the run's Redis and a fresh MongoDB database, with its own Bull key prefix.
 */
export async function createTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const dataDir = mkdtempSync(join(tmpdir(), 'wa-test-'));
  const config = AppConfig.fromEnvironment({
    NODE_ENV: 'test',
    MONGODB_URI: isolatedMongoUri(),
    REDIS_URL: process.env.REDIS_URL,
    QUEUE_PREFIX: `t${randomBytes(4).toString('hex')}`,
    CREDENTIALS_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    ATTACHMENTS_DIR: join(dataDir, 'attachments'),
    SANDBOX_LATENCY_MS: '5',
    SANDBOX_STATUS_DELAY_MS: '50',
    SEND_BACKOFF_MS: '50',
    ...options.env,
  });
  const app = await NestFactory.create<NestExpressApplication>(LocalModule.forRoot(config, { worker: options.worker }), {
    bufferLogs: true,
    bodyParser: false,
    logger: false,
  });
  configureHttpApp(app, config, { shutdownHooks: false });
  await app.init();
  return {
    app,
    config,
    http: request(app.getHttpServer()),
    dataDir,
    async close() {
      await app
        .get<Connection>(getConnectionToken())
        .dropDatabase()
        .catch(() => undefined);
      await app.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
