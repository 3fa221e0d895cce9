import { Logger } from '@nestjs/common';
import type Redis from 'ioredis';
import { hostname } from 'node:os';

export interface ExclusiveIntervalOptions {
  /** What the task is, for log lines ("the sweep", "retention"). */
  name: string;
  /** The Redis key the process that runs a tick holds for one interval. */
  lockKey: string;
  intervalMs: number;
}

/**
 * Runs a task every interval in one process of many. Every process keeps its own timer; on
 * each tick the process that sets the lock key (NX, expiring after one interval) runs the task.
 * Because the schedule lives in the processes and not in Redis, a Redis that lost its data
 * (flushed, or replaced by an empty one) cannot stop it: the next tick sets the key again.
 * A tick is skipped while this process is still running the previous one.
 */
export class ExclusiveInterval {
  private readonly logger: Logger;
  private readonly owner = `${hostname()}:${process.pid}`;
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private stopped = false;

  constructor(
    private readonly redis: Redis,
    private readonly options: ExclusiveIntervalOptions,
    private readonly task: () => Promise<void>,
  ) {
    this.logger = new Logger(`ExclusiveInterval(${options.name})`);
  }

  /** Starts the timer; the first tick runs at once. */
  start(): void {
    this.stopped = false;
    this.timer = setInterval(() => void this.tick(), this.options.intervalMs);
    this.timer.unref();
    void this.tick();
  }

  /** Stops the timer and waits for a run under way. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.running;
  }

  /** One tick: runs the task when no other process holds this interval; true when it ran here. */
  async tick(): Promise<boolean> {
    if (this.running || this.stopped) return false;
    const locked = await this.redis.set(this.options.lockKey, this.owner, 'PX', this.options.intervalMs, 'NX').catch((error: unknown) => {
      this.logger.warn(`${this.options.name} skipped: Redis unreachable (${error instanceof Error ? error.message : String(error)})`);
      return null;
    });
    if (locked !== 'OK') return false;
    this.running = this.task()
      .catch((error: unknown) => this.logger.error({ err: error }, `${this.options.name} failed; the next interval tries again`))
      .finally(() => {
        this.running = undefined;
      });
    await this.running;
    return true;
  }
}
