import { broadcastCounts } from './broadcast.schema';

describe('broadcastCounts', () => {
  const arrays = { recipients: 10, pending: 4, sent: 5, failed: 1 };

  it('takes the ledger’s delivered and read as they are while they are within sent', () => {
    expect(broadcastCounts(arrays, { delivered: 3, read: 2 })).toEqual({ ...arrays, delivered: 3, read: 2 });
  });

  it('never counts more delivered than sent, nor more read than delivered (reports that beat the progress write)', () => {
    expect(broadcastCounts(arrays, { delivered: 7, read: 6 })).toEqual({ ...arrays, delivered: 5, read: 5 });
    expect(broadcastCounts({ ...arrays, sent: 0, pending: 9 }, { delivered: 2, read: 1 })).toMatchObject({ delivered: 0, read: 0 });
  });

  it('counts nothing delivered without reports', () => {
    expect(broadcastCounts(arrays)).toMatchObject({ delivered: 0, read: 0 });
  });
});
