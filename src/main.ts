import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { ApiModule } from './api.module';
import { loadConfigOrExit } from './config';
import { enforceShutdownDeadline } from './core/shutdown-deadline';
import { configureHttpApp } from './http';

/** The API process: HTTP only. Queue consumers run in the worker process (src/worker.ts). */
async function bootstrap(): Promise<void> {
  const config = loadConfigOrExit();
  const app = await NestFactory.create<NestExpressApplication>(ApiModule.forRoot(config), {
    bufferLogs: true,
    bodyParser: false,
  });
  configureHttpApp(app, config);
  enforceShutdownDeadline(config);
  await app.listen(config.http.port);
}

void bootstrap();
