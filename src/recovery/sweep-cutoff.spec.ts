import { SweepCutoff } from './sweep-cutoff';

describe('SweepCutoff', () => {
  const now = new Date('2026-01-01T10:00:00Z');
  const secondsBefore = (seconds: number): Date => new Date(now.getTime() - seconds * 1000);

  it('takes work older than the pending age while no loss is noticed', () => {
    const cutoff = new SweepCutoff(60_000);
    expect(cutoff.createdBefore(now)).toEqual(secondsBefore(60));
    expect(cutoff.recovering).toBe(false);
  });

  it('after a noticed loss takes everything created before the moment it was noticed, until a sweep covers it', () => {
    const cutoff = new SweepCutoff(60_000);
    cutoff.noticeLoss(secondsBefore(1));
    expect(cutoff.recovering).toBe(true);
    const used = cutoff.createdBefore(now);
    expect(used).toEqual(secondsBefore(1));

    cutoff.swept(used);
    expect(cutoff.recovering).toBe(false);
    expect(cutoff.createdBefore(now)).toEqual(secondsBefore(60));
  });

  it('keeps a loss noticed during a sweep for the next sweep', () => {
    const cutoff = new SweepCutoff(60_000);
    cutoff.noticeLoss(secondsBefore(10));
    const used = cutoff.createdBefore(now);
    cutoff.noticeLoss(secondsBefore(2));
    cutoff.swept(used);
    expect(cutoff.recovering).toBe(true);
    expect(cutoff.createdBefore(now)).toEqual(secondsBefore(2));
  });

  it('never takes younger work than the age rule would for a loss older than the pending age', () => {
    const cutoff = new SweepCutoff(5_000);
    cutoff.noticeLoss(secondsBefore(30));
    expect(cutoff.createdBefore(now)).toEqual(secondsBefore(5));
  });
});
