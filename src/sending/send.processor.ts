import { Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { DiscoveryService, Reflector } from '@nestjs/core';
import type { Job } from 'bull';
import { AppConfig } from '../config';
import { SendLedger } from './send-ledger';
import { SendQueueShards } from './send-queue-shards';
import { SendQueue } from './send.queue';
import { SEND_JOB, SEND_JOB_HANDLER, SendJobData, SendJobHandler, SendJobResult } from './sending.jobs';

/**
 * Consumer of the send queues (worker only). Each job kind has exactly one handler, a
 * provider marked @HandlesSendJob(kind) by the feature that adds such jobs; they are found
 * when the worker starts, and two handlers for one kind stop it. Registered with
 * queue.process() rather than @Process() because its concurrency comes from configuration.
 */
@Injectable()
export class SendProcessor implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(SendProcessor.name);
  private readonly handlers = new Map<string, SendJobHandler>();

  constructor(
    private readonly shards: SendQueueShards,
    private readonly config: AppConfig,
    private readonly discovery: DiscoveryService,
    private readonly reflector: Reflector,
    private readonly ledger: SendLedger,
    private readonly sendQueue: SendQueue,
  ) {}

  onModuleInit(): void {
    for (const wrapper of this.discovery.getProviders()) {
      const kind = wrapper.metatype ? this.reflector.get<string | undefined>(SEND_JOB_HANDLER, wrapper.metatype) : undefined;
      if (kind === undefined) continue;
      if (this.handlers.has(kind)) throw new Error(`Two handlers for send jobs of kind "${kind}"`);
      this.handlers.set(kind, wrapper.instance as SendJobHandler);
    }
    // Every send queue (SEND_QUEUE_SHARDS), each with WORKER_CONCURRENCY jobs at once.
    for (const queue of this.shards.queues) {
      // A message that waits (the messaging limit) goes again once its job has finished: its id is free only then.
      queue.on('completed', (job: Job<SendJobData>, result: SendJobResult | undefined) => {
        if (result?.status !== 'skipped' || result.retryInMs === undefined || job.id === undefined) return;
        this.sendQueue
          .requeueLater(queue, String(job.id), job.data, result.retryInMs)
          .catch((error: unknown) => this.logger.warn({ err: error, jobId: job.id }, 'Could not requeue a waiting message; the sweep will'));
      });
      queue
        .process(SEND_JOB, this.config.worker.concurrency, (job: Job<SendJobData>) => this.handle(job))
        .catch((error: unknown) => this.logger.error({ err: error, queue: queue.name }, 'A send queue stopped processing'));
    }
  }

  /** Closing the queues waits for in-flight jobs; then what they left in the ledger's batches is written. */
  async onModuleDestroy(): Promise<void> {
    await Promise.all(this.shards.queues.map((queue) => queue.close()));
    await this.ledger.drain();
  }

  /** The kinds this worker sends. */
  get kinds(): string[] {
    return [...this.handlers.keys()];
  }

  async handle(job: Job<SendJobData>): Promise<SendJobResult> {
    const handler = this.handlers.get(job.data.kind);
    // A job of a kind this worker does not know (added by a newer version) fails without retry, naming it.
    if (!handler) {
      await job.discard();
      throw new Error(`No handler for send jobs of kind "${job.data.kind}"`);
    }
    return handler.handle(job.data, { lastAttempt: job.attemptsMade + 1 >= (job.opts.attempts ?? 1) });
  }
}
