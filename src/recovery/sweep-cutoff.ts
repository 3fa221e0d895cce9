/**
 * Which work a sweep may take for lost: created before the cutoff, its job missing from Redis.
 * Normally work older than SWEEP_PENDING_AGE_MS (younger work may be between its write and its
 * enqueue); once a Redis loss is noticed, everything created before that moment. The loss stays
 * in force for one lease (WORKER_LOCK_DURATION_MS): a message an attempt held when its job
 * vanished is given back when the attempt ends, or when its lease lapses, and the sweeps of that
 * time still take it.
 */
export class SweepCutoff {
  private lossNoticedAt?: Date;

  constructor(
    private readonly pendingAgeMs: number,
    private readonly leaseMs: number,
  ) {}

  /** Redis lost its data at or before `at` (see RedisLossMarker). */
  noticeLoss(at: Date): void {
    if (!this.lossNoticedAt || at > this.lossNoticedAt) this.lossNoticedAt = at;
  }

  /** True while a noticed loss is in force. */
  get recovering(): boolean {
    return this.lossNoticedAt !== undefined;
  }

  createdBefore(now: Date): Date {
    const byAge = new Date(now.getTime() - this.pendingAgeMs);
    return this.lossNoticedAt && this.lossNoticedAt > byAge ? this.lossNoticedAt : byAge;
  }

  /** A sweep that started at `now` with this cutoff ended: a loss noticed up to it is over once every lease of its time has ended. */
  swept(cutoff: Date, now: Date): void {
    if (this.lossNoticedAt && this.lossNoticedAt <= cutoff && now.getTime() >= this.lossNoticedAt.getTime() + this.leaseMs) this.lossNoticedAt = undefined;
  }
}
