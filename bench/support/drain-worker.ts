/**
 * A real worker process (WorkerModule, configured from the environment) for
 * bench/broadcast-drain.ts. It counts the MongoDB commands it sends with the driver's
 * command monitoring (MONGODB_URI must carry monitorCommands=true), and the document writes
 * those commands ask for, and answers the
 * parent's messages: `reset` zeroes the counts and the CPU clock, `report` sends them,
 * `stop` closes the worker.
 */
import { NestFactory } from '@nestjs/core';
import { getConnectionToken } from '@nestjs/mongoose';
import type { Connection } from 'mongoose';
import { loadConfigOrExit } from '../../src/config';
import { WorkerModule } from '../../src/worker.module';
import { WorkerReport } from './drain-messages';

/** Document writes a command asks for: one per insert, update or delete statement (a bulk write holds many). */
function documentsWrittenBy(name: string, command: Record<string, unknown>): number {
  const statements = command.documents ?? command.updates ?? command.deletes;
  if (Array.isArray(statements)) return statements.length;
  return name === 'findAndModify' ? 1 : 0;
}

async function main(): Promise<void> {
  const app = await NestFactory.createApplicationContext(WorkerModule.forRoot(loadConfigOrExit()), { logger: false });
  const commands = new Map<string, number>();
  let documentWrites = 0;
  app
    .get<Connection>(getConnectionToken())
    .getClient()
    .on('commandStarted', (event: { commandName: string; command: Record<string, unknown> }) => {
      commands.set(event.commandName, (commands.get(event.commandName) ?? 0) + 1);
      documentWrites += documentsWrittenBy(event.commandName, event.command);
    });
  let cpuFrom = process.cpuUsage();
  const send = (message: WorkerReport | { type: 'ready' | 'reset' }): void => void process.send?.(message);
  process.on('message', (message: string) => {
    if (message === 'reset') {
      commands.clear();
      documentWrites = 0;
      cpuFrom = process.cpuUsage();
      send({ type: 'reset' });
    } else if (message === 'report') {
      const cpu = process.cpuUsage(cpuFrom);
      send({ type: 'report', mongoCommands: Object.fromEntries(commands), mongoDocumentWrites: documentWrites, cpuMs: (cpu.user + cpu.system) / 1000 });
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
