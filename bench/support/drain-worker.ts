/**
 * A real worker process (WorkerModule, configured from the environment) for
 * bench/broadcast-drain.ts. It counts the MongoDB commands it sends with the driver's
 * command monitoring (MONGODB_URI must carry monitorCommands=true) and answers the
 * parent's messages: `reset` zeroes the counts and the CPU clock, `report` sends them,
 * `stop` closes the worker.
 */
import { NestFactory } from '@nestjs/core';
import { getConnectionToken } from '@nestjs/mongoose';
import type { Connection } from 'mongoose';
import { loadConfigOrExit } from '../../src/config';
import { WorkerModule } from '../../src/worker.module';
import { WorkerReport } from './drain-messages';

async function main(): Promise<void> {
  const app = await NestFactory.createApplicationContext(WorkerModule.forRoot(loadConfigOrExit()), { logger: false });
  const commands = new Map<string, number>();
  app
    .get<Connection>(getConnectionToken())
    .getClient()
    .on('commandStarted', (event: { commandName: string }) => commands.set(event.commandName, (commands.get(event.commandName) ?? 0) + 1));
  let cpuFrom = process.cpuUsage();
  const send = (message: WorkerReport | { type: 'ready' | 'reset' }): void => void process.send?.(message);
  process.on('message', (message: string) => {
    if (message === 'reset') {
      commands.clear();
      cpuFrom = process.cpuUsage();
      send({ type: 'reset' });
    } else if (message === 'report') {
      const cpu = process.cpuUsage(cpuFrom);
      send({ type: 'report', mongoCommands: Object.fromEntries(commands), cpuMs: (cpu.user + cpu.system) / 1000 });
    } else if (message === 'stop') {
      void app.close().finally(() => process.exit(0));
    }
  });
  send({ type: 'ready' });
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
