import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { AppConfig, ConfigurationError, prepareEnvironment } from './config';
import { ReachabilityAdvice } from './core/reachability';
import { enforceShutdownDeadline } from './core/shutdown-deadline';
import { exitUnlessReachable, failStartup, startupFailure } from './core/start-up';
import { configureHttpApp } from './http';
import { startEmbeddedServices, StopEmbedded } from './local/embedded-services';

const LOCAL_ADVICE: ReachabilityAdvice = {
  mongo: 'start MongoDB there, or unset MONGODB_URI to use an embedded one',
  redis: 'start Redis there, or unset REDIS_URL to use an embedded one',
};

/**
 * Local mode: API and worker in one process, with embedded MongoDB and Redis where
 * MONGODB_URI / REDIS_URL are not set. For development and a first look; production runs
 * src/main.ts and src/worker.ts separately. Whatever fails, the embedded servers it started
 * are stopped and their state file removed before it exits.
 */
async function bootstrap(): Promise<void> {
  prepareEnvironment();
  let stopEmbedded: StopEmbedded;
  let stopping = false;
  try {
    // Without its Redis nothing can drain: stop at once (0 when a shutdown was already under way).
    stopEmbedded = await startEmbeddedServices(process.env, (reason) => {
      process.stderr.write(`${reason}; stopping without draining\n`);
      void stopEmbedded().finally(() => process.exit(stopping ? 0 : 1));
    });
  } catch (error) {
    return failStartup([error instanceof Error ? error.message : String(error)]);
  }
  let config: AppConfig;
  try {
    config = AppConfig.fromEnvironment();
  } catch (error) {
    return failStartup([error instanceof ConfigurationError ? error.message : startupFailure(error)], stopEmbedded);
  }
  try {
    // Checked while the application's modules load (which takes seconds on a busy machine).
    const reachable = exitUnlessReachable(config, LOCAL_ADVICE, stopEmbedded);
    const { LocalModule } = await import('./local/local.module');
    await reachable;
    const app = await NestFactory.create<NestExpressApplication>(LocalModule.forRoot(config), {
      bufferLogs: true,
      bodyParser: false,
      abortOnError: false,
    });
    configureHttpApp(app, config, { shutdownHooks: false });
    enforceShutdownDeadline(config);
    const shutDown = (): void => {
      // Ctrl-C under npm arrives twice (from the terminal and passed on by npm): one shutdown is enough.
      if (stopping) return;
      stopping = true;
      // Close the app (drains HTTP, closes queues), then the embedded servers it was using.
      void app
        .close()
        .finally(() => stopEmbedded())
        .finally(() => process.exit(0));
    };
    process.on('SIGINT', shutDown);
    process.on('SIGTERM', shutDown);
    await app.listen(config.http.port);
    process.stdout.write(`API and worker running at http://localhost:${config.http.port} (docs at /docs, metrics at /metrics)\n`);
  } catch (error) {
    await failStartup([startupFailure(error)], stopEmbedded);
  }
}

void bootstrap();
