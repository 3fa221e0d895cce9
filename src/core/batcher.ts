export interface BatcherOptions {
  /** A batch is handled as soon as it holds this many items. */
  maxBatchSize: number;
  /** ...or this long after its first item arrived. */
  maxDelayMs: number;
}

interface Waiting<TItem, TResult> {
  item: TItem;
  resolve: (result: TResult) => void;
  reject: (error: unknown) => void;
}

/**
 * Gathers the items submitted within a few milliseconds and hands them to one call, so that
 * many concurrent jobs share one database round trip. Each submitter awaits its own batch:
 * it resolves with its item's result once the batch is handled, or rejects with the batch's
 * error (so exactly the items of a failed batch fail, and their jobs retry).
 */
export class Batcher<TItem, TResult> {
  private waiting: Array<Waiting<TItem, TResult>> = [];
  private timer?: NodeJS.Timeout;
  private readonly running = new Set<Promise<void>>();

  constructor(
    /** Handles a batch; answers one result per item, in the items' order. */
    private readonly handle: (items: TItem[]) => Promise<TResult[]>,
    private readonly options: BatcherOptions,
  ) {}

  submit(item: TItem): Promise<TResult> {
    return new Promise<TResult>((resolve, reject) => {
      this.waiting.push({ item, resolve, reject });
      if (this.waiting.length >= this.options.maxBatchSize) this.handleWaiting();
      else this.timer ??= setTimeout(() => this.handleWaiting(), this.options.maxDelayMs);
    });
  }

  /** Handles what is waiting now and resolves when every batch under way has been handled. */
  async drain(): Promise<void> {
    this.handleWaiting();
    await Promise.allSettled([...this.running]);
  }

  private handleWaiting(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.waiting;
    this.waiting = [];
    if (batch.length === 0) return;
    const run = this.handle(batch.map((waiting) => waiting.item)).then(
      (results) => batch.forEach((waiting, index) => waiting.resolve(results[index])),
      (error: unknown) => batch.forEach((waiting) => waiting.reject(error)),
    );
    this.running.add(run);
    void run.finally(() => this.running.delete(run));
  }
}
