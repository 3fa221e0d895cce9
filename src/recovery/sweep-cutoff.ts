/**
 * Which work a sweep may take for lost: created before the cutoff, its job missing from Redis.
 * Normally work older than SWEEP_PENDING_AGE_MS (younger work may be between its write and its
 * enqueue); once a Redis loss is noticed, everything created before that moment, until a sweep
 * has covered it.
 */
export class SweepCutoff {
  private lossNoticedAt?: Date;

  constructor(private readonly pendingAgeMs: number) {}

  /** Redis lost its data at or before `at` (see RedisLossMarker). */
  noticeLoss(at: Date): void {
    if (!this.lossNoticedAt || at > this.lossNoticedAt) this.lossNoticedAt = at;
  }

  /** True while a noticed loss waits for a sweep. */
  get recovering(): boolean {
    return this.lossNoticedAt !== undefined;
  }

  createdBefore(now: Date): Date {
    const byAge = new Date(now.getTime() - this.pendingAgeMs);
    return this.lossNoticedAt && this.lossNoticedAt > byAge ? this.lossNoticedAt : byAge;
  }

  /** A sweep with this cutoff ended: a loss noticed up to it is covered (a later one still waits). */
  swept(cutoff: Date): void {
    if (this.lossNoticedAt && this.lossNoticedAt <= cutoff) this.lossNoticedAt = undefined;
  }
}
