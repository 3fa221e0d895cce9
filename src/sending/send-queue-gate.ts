import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { WorkerHeartbeat } from '../health/worker-heartbeat';
import { PROCESS_ID } from '../core/process-identity';
import { SendQueueShards } from './send-queue-shards';

/**
 * Stops this worker taking send jobs while MongoDB does not answer its heartbeat's ping, and lets it
 * take them again once MongoDB answers. A job taken meanwhile could only wait on MongoDB (its claim is
 * the first thing it writes) or fail, and a job that fails again and again during a stall runs out of
 * its attempts. The pause is local (Bull's `pause(true)`): other workers, which may still reach
 * MongoDB, go on; jobs under way finish on their own (their ledger writes wait for MongoDB, see SendLedger).
 */
@Injectable()
export class SendQueueGate implements OnApplicationBootstrap {
  private readonly logger = new Logger(SendQueueGate.name);
  private changing: Promise<void> = Promise.resolve();

  constructor(
    private readonly heartbeat: WorkerHeartbeat,
    private readonly shards: SendQueueShards,
  ) {}

  onApplicationBootstrap(): void {
    this.heartbeat.onMongoAnswering((answering) => {
      // One change at a time, in the order seen: a pause still reconnecting is not overtaken by its resume.
      this.changing = this.changing.then(() => this.open(answering));
    });
  }

  private async open(answering: boolean): Promise<void> {
    const queues = this.shards.queues;
    try {
      if (answering) {
        await Promise.all(queues.map((queue) => queue.resume(true)));
        this.logger.log({ worker: PROCESS_ID }, 'MongoDB answers again: taking send jobs');
      } else {
        // doNotWaitActive: the jobs under way wait on MongoDB; waiting for them would hold the pause too.
        await Promise.all(queues.map((queue) => queue.pause(true, true)));
        this.logger.warn({ worker: PROCESS_ID }, 'MongoDB does not answer: no new send jobs taken until it does');
      }
    } catch (error) {
      this.logger.error({ err: error, answering }, 'Could not pause or resume the send queues');
    }
  }
}
