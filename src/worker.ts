import { NestFactory } from '@nestjs/core';
import { Logger } from 'nestjs-pino';
import { loadConfigOrExit, prepareEnvironment } from './config';
import { withQuietStartup } from './core/logger';
import { SERVER_ADVICE } from './core/reachability';
import { enforceShutdownDeadline } from './core/shutdown-deadline';
import { exitUnlessReachable, failStartup, startupFailure } from './core/start-up';
import { WorkerMetricsServer } from './metrics';

/**
 * The worker process: an application context without HTTP that hosts every Bull
 * processor. On SIGTERM the queues are closed, which waits for in-flight jobs.
 */
async function bootstrap(): Promise<void> {
  prepareEnvironment();
  const config = loadConfigOrExit();
  // Checked while the application's modules load (which takes seconds on a busy machine).
  const reachable = exitUnlessReachable(config, SERVER_ADVICE);
  const { WorkerModule } = await import('./worker.module');
  await reachable;
  const app = await NestFactory.createApplicationContext(WorkerModule.forRoot(config), { bufferLogs: true, abortOnError: false });
  app.useLogger(withQuietStartup(app.get(Logger)));
  app.enableShutdownHooks();
  enforceShutdownDeadline(config);
  // Before any job is taken: a METRICS_PORT in use stops the start, not a running worker.
  await app.get(WorkerMetricsServer).listen();
  await app.init();
  app.get(Logger).log('Worker started; consuming queues', 'Worker');
}

bootstrap().catch((error: unknown) => failStartup([startupFailure(error)]));
