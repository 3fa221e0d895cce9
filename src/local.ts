import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { loadConfigOrExit } from './config';
import { enforceShutdownDeadline } from './core/shutdown-deadline';
import { configureHttpApp } from './http';
import { startEmbeddedServices } from './local/embedded-services';
import { LocalModule } from './local/local.module';

/**
 * Local mode: API and worker in one process, with embedded MongoDB and Redis where
 * MONGODB_URI / REDIS_URL are not set. For development and a first look; production runs
 * src/main.ts and src/worker.ts separately.
 */
async function bootstrap(): Promise<void> {
  let stopEmbedded: () => Promise<void>;
  try {
    stopEmbedded = await startEmbeddedServices();
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  }
  const config = loadConfigOrExit();
  const app = await NestFactory.create<NestExpressApplication>(LocalModule.forRoot(config), {
    bufferLogs: true,
    bodyParser: false,
  });
  configureHttpApp(app, config, { shutdownHooks: false });
  enforceShutdownDeadline(config);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      // Close the app (drains HTTP, closes queues), then the embedded servers it was using.
      void app
        .close()
        .finally(() => stopEmbedded())
        .finally(() => process.exit(0));
    });
  }
  await app.listen(config.http.port);
  process.stdout.write(`API and worker running at http://localhost:${config.http.port} (docs at /docs)\n`);
}

void bootstrap();
