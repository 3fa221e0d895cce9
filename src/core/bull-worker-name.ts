import { Logger } from '@nestjs/common';
import Bull from 'bull';

/** Bull's Queue with the method it calls, unhandled, when a processor is set (not in its typings). */
type NamingQueue = { setWorkerName(this: Bull.Queue): Promise<unknown> };

let guarded = false;

/**
 * Bull names each worker's blocking connection (`CLIENT SETNAME`, Queue#setWorkerName) when a
 * processor is set, and drops the promise: a connection closed before the command is answered (a
 * process stopped right after start-up while its Redis stops too, as `npm run start:local`'s Ctrl-C
 * does) rejects with nobody listening, and Node ends the process with exit code 1 instead of its
 * graceful shutdown. The name is only a label in `CLIENT LIST`: a failure to set it is logged
 * instead. Applied once, before any queue is made (the module that registers queues calls it).
 */
export function guardBullWorkerNaming(): void {
  if (guarded) return;
  guarded = true;
  const logger = new Logger('BullWorkerName');
  const prototype = Bull.prototype as unknown as NamingQueue;
  const setWorkerName = prototype.setWorkerName;
  prototype.setWorkerName = function (this: Bull.Queue): Promise<unknown> {
    return setWorkerName.call(this).catch((error: unknown) => {
      logger.warn({ queue: this.name, err: error }, 'Could not name the worker connection of a queue (it was closing)');
    });
  };
}
