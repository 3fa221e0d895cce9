import { NestFactory } from '@nestjs/core';
import { Logger } from 'nestjs-pino';
import { loadConfigOrExit } from './config';
import { enforceShutdownDeadline } from './core/shutdown-deadline';
import { WorkerModule } from './worker.module';

/**
 * The worker process: an application context without HTTP that hosts every Bull
 * processor. On SIGTERM the queues are closed, which waits for in-flight jobs.
 */
async function bootstrap(): Promise<void> {
  const config = loadConfigOrExit();
  const app = await NestFactory.createApplicationContext(WorkerModule.forRoot(config), { bufferLogs: true });
  app.useLogger(app.get(Logger));
  app.enableShutdownHooks();
  enforceShutdownDeadline(config);
  await app.init();
  app.get(Logger).log('Worker started; consuming queues', 'Worker');
}

void bootstrap();
