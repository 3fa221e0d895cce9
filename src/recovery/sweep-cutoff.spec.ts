import { SweepCutoff } from './sweep-cutoff';

describe('SweepCutoff', () => {
  const now = new Date('2026-01-01T10:00:00Z');
  const secondsBefore = (seconds: number): Date => new Date(now.getTime() - seconds * 1000);
  const secondsAfter = (seconds: number): Date => new Date(now.getTime() + seconds * 1000);

  it('takes work older than the pending age while no loss is noticed', () => {
    const cutoff = new SweepCutoff(60_000, 20_000);
    expect(cutoff.createdBefore(now)).toEqual(secondsBefore(60));
    expect(cutoff.recovering).toBe(false);
  });

  it('after a noticed loss takes everything created before the moment it was noticed, for one lease', () => {
    const cutoff = new SweepCutoff(60_000, 20_000);
    cutoff.noticeLoss(secondsBefore(1));
    expect(cutoff.recovering).toBe(true);
    const used = cutoff.createdBefore(now);
    expect(used).toEqual(secondsBefore(1));

    // An attempt that held a message when its job vanished may give it back until its lease lapses.
    cutoff.swept(used, now);
    expect(cutoff.recovering).toBe(true);
    expect(cutoff.createdBefore(secondsAfter(10))).toEqual(secondsBefore(1));

    cutoff.swept(used, secondsAfter(19));
    expect(cutoff.recovering).toBe(false);
    expect(cutoff.createdBefore(secondsAfter(19))).toEqual(secondsBefore(41));
  });

  it('keeps a loss noticed during a sweep for the next sweeps', () => {
    const cutoff = new SweepCutoff(60_000, 20_000);
    cutoff.noticeLoss(secondsBefore(30));
    const used = cutoff.createdBefore(now);
    cutoff.noticeLoss(secondsBefore(2));
    cutoff.swept(used, now);
    expect(cutoff.recovering).toBe(true);
    expect(cutoff.createdBefore(now)).toEqual(secondsBefore(2));
  });

  it('never takes younger work than the age rule would for a loss older than the pending age', () => {
    const cutoff = new SweepCutoff(5_000, 20_000);
    cutoff.noticeLoss(secondsBefore(30));
    expect(cutoff.createdBefore(now)).toEqual(secondsBefore(5));
  });
});
