import { NestFactory } from '@nestjs/core';
import { Logger } from 'nestjs-pino';
import { loadConfigOrExit } from './config';
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
  await app.init();
  app.get(Logger).log('Worker started; consuming queues', 'Worker');
}

void bootstrap();
