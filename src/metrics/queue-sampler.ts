import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { AppConfig } from '../config';
import { RegisteredQueues } from '../core/registered-queues';
import { AppMetrics } from './app-metrics';

/**
 * Reads each queue's job counts every METRICS_QUEUE_SAMPLE_MS into the queue gauges: a few cheap
 * Redis reads per queue on a timer, whatever the scrape rate and however many jobs are queued.
 */
@Injectable()
export class QueueSampler implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(QueueSampler.name);
  private timer?: NodeJS.Timeout;
  private sampling?: Promise<void>;
  private failing = false;

  constructor(
    private readonly queues: RegisteredQueues,
    private readonly metrics: AppMetrics,
    private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.sample(), this.config.metrics.queueSampleMs).unref();
    void this.sample();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.sampling;
  }

  /** One sample of every queue; skipped while the previous one is still running. */
  sample(): Promise<void> {
    this.sampling ??= this.sampleAll().finally(() => (this.sampling = undefined));
    return this.sampling;
  }

  private async sampleAll(): Promise<void> {
    try {
      for (const queue of this.queues.all()) this.metrics.setQueueJobs(queue.name, await queue.getJobCounts());
      if (this.failing) this.logger.log('Queue job counts readable again');
      this.failing = false;
    } catch (error) {
      // Redis unreachable: the gauges keep their last values; say so once, not every period.
      if (!this.failing) this.logger.warn(`Queue job counts unreadable, metrics keep the last sample: ${error instanceof Error ? error.message : String(error)}`);
      this.failing = true;
    }
  }
}
