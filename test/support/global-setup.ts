import type { Config } from '@jest/types';
import { startMongoMemoryServer } from '../../src/local/mongo-memory-server';
import { RedisServerProcess } from '../../src/local/redis-server-process';
import { BROWSER_SKIP_REASON_VARIABLE, browserUnavailableReason } from './browser-env';
import { MONGO_SKIP_REASON_VARIABLE } from './mongo-env';

declare global {
  var __TEST_REDIS__: RedisServerProcess | undefined;
  var __TEST_MONGO__: { stop(): Promise<unknown> } | undefined;
}

const MONGO_START_TIMEOUT_MS = 60_000;

/**
 * Once per test project that runs (the unit project has none): Redis from REDIS_URL or a
 * redis-server started on a free port; for the e2e and chaos projects also MongoDB from MONGODB_URI or
 * mongodb-memory-server. When no MongoDB can be had, the MongoDB-backed suites skip, and this
 * prints one line saying why; likewise the browser suites when Chromium cannot start. What an
 * earlier project's setup started is reused.
 */
export default async function globalSetup(_globalConfig: Config.GlobalConfig, project: Config.ProjectConfig): Promise<void> {
  if (!process.env.REDIS_URL) {
    globalThis.__TEST_REDIS__ = await RedisServerProcess.start();
    process.env.REDIS_URL = globalThis.__TEST_REDIS__.url;
  }
  if (project.displayName?.name === 'redis') return;
  const browserSkipReason = browserUnavailableReason();
  if (browserSkipReason) {
    process.env[BROWSER_SKIP_REASON_VARIABLE] = browserSkipReason;
    process.stdout.write(`\nBrowser suites skipped: ${browserSkipReason}\n`);
  }
  if (process.env.MONGODB_URI || process.env[MONGO_SKIP_REASON_VARIABLE]) return;
  try {
    const server = await Promise.race([
      startMongoMemoryServer(),
      new Promise<never>((_resolve, reject) =>
        setTimeout(() => reject(new Error(`did not start within ${MONGO_START_TIMEOUT_MS / 1000} s`)), MONGO_START_TIMEOUT_MS).unref(),
      ),
    ]);
    globalThis.__TEST_MONGO__ = server;
    process.env.MONGODB_URI = server.getUri('whatsapp_test');
  } catch (error) {
    const cause = (error instanceof Error ? error.message : String(error)).split('\n')[0].slice(0, 200);
    const reason = `MONGODB_URI is not set and mongodb-memory-server could not start (${cause})`;
    process.env[MONGO_SKIP_REASON_VARIABLE] = reason;
    process.stdout.write(`\nMongoDB-backed suites skipped: ${reason}\n`);
  }
}
