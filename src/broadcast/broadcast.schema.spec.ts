import { broadcastCounts } from './broadcast.schema';

describe('broadcastCounts', () => {
  const arrays = { recipients: 10, pending: 4, sent: 5, failed: 1 };

  it('takes the ledger’s delivered and read as they are while they are within sent', () => {
    expect(broadcastCounts(arrays, { delivered: 3, read: 2 })).toEqual({ ...arrays, delivered: 3, read: 2, waiting_for_limit: 0, next_waiting_at: null });
  });

  it('never counts more delivered than sent, nor more read than delivered (reports that beat the progress write)', () => {
    expect(broadcastCounts(arrays, { delivered: 7, read: 6 })).toEqual({ ...arrays, delivered: 5, read: 5, waiting_for_limit: 0, next_waiting_at: null });
    expect(broadcastCounts({ ...arrays, sent: 0, pending: 9 }, { delivered: 2, read: 1 })).toMatchObject({ delivered: 0, read: 0 });
  });

  it('counts nothing delivered without reports', () => {
    expect(broadcastCounts(arrays)).toMatchObject({ delivered: 0, read: 0 });
  });

  it('counts the recipients held back by the messaging limit among the pending, with when the first goes', () => {
    const at = new Date('2026-12-08T09:00:00Z');
    expect(broadcastCounts(arrays, { delivered: 0, read: 0, waiting: 3, nextWaitingAt: at })).toMatchObject({ pending: 4, waiting_for_limit: 3, next_waiting_at: at });
    // A waiting mark seen on its way out (sent meanwhile) never makes more wait than are pending.
    expect(broadcastCounts({ ...arrays, pending: 2 }, { delivered: 0, read: 0, waiting: 3, nextWaitingAt: at })).toMatchObject({ waiting_for_limit: 2 });
    expect(broadcastCounts({ ...arrays, pending: 0 }, { delivered: 0, read: 0, waiting: 1, nextWaitingAt: at })).toMatchObject({ waiting_for_limit: 0, next_waiting_at: null });
  });
});
