import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { writeFileSync } from 'node:fs';
import { ApiModule } from './api.module';
import { AppConfig } from './config';
import { createOpenApiDocument } from './swagger';

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

/** `node dist/src/openapi.js FILE`: writes the document that /docs-json serves, without starting anything. */
async function writeOpenApiDocument(file: string): Promise<void> {
  const app = await createPreviewApp();
  try {
    writeFileSync(file, `${JSON.stringify(createOpenApiDocument(app), null, 2)}\n`);
  } finally {
    await app.close();
  }
}

if (require.main === module) {
  const file = process.argv[2];
  if (!file) {
    process.stderr.write('usage: node dist/src/openapi.js FILE\n');
    process.exit(2);
  }
  writeOpenApiDocument(file).catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  });
}
