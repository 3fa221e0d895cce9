import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { loadConfigOrExit, prepareEnvironment } from './config';
import { SERVER_ADVICE } from './core/reachability';
import { enforceShutdownDeadline } from './core/shutdown-deadline';
import { exitUnlessReachable, failStartup, startupFailure } from './core/start-up';
import { configureHttpApp } from './http';

/** The API process: HTTP only. Queue consumers run in the worker process (src/worker.ts). */
async function bootstrap(): Promise<void> {
  prepareEnvironment();
  const config = loadConfigOrExit();
  // Checked while the application's modules load (which takes seconds on a busy machine).
  const reachable = exitUnlessReachable(config, SERVER_ADVICE);
  const { ApiModule } = await import('./api.module');
  await reachable;
  const app = await NestFactory.create<NestExpressApplication>(ApiModule.forRoot(config), {
    bufferLogs: true,
    bodyParser: false,
    abortOnError: false,
  });
  configureHttpApp(app, config);
  enforceShutdownDeadline(config);
  await app.listen(config.http.port);
}

bootstrap().catch((error: unknown) => failStartup([startupFailure(error)]));
