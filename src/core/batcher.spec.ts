import { Batcher } from './batcher';

describe('Batcher', () => {
  it('hands items submitted together to one call and gives each its own result', async () => {
    const calls: number[][] = [];
    const batcher = new Batcher<number, number>(async (items) => {
      calls.push(items);
      return items.map((item) => item * 10);
    }, { maxBatchSize: 100, maxDelayMs: 5 });
    const results = await Promise.all([1, 2, 3].map((item) => batcher.submit(item)));
    expect(results).toEqual([10, 20, 30]);
    expect(calls).toEqual([[1, 2, 3]]);
  });

  it('handles a full batch at once, without waiting for the delay', async () => {
    const calls: number[][] = [];
    const batcher = new Batcher<number, void>(async (items) => {
      calls.push(items);
      return items.map(() => undefined);
    }, { maxBatchSize: 2, maxDelayMs: 60_000 });
    await Promise.all([batcher.submit(1), batcher.submit(2)]);
    const third = batcher.submit(3);
    expect(calls).toEqual([[1, 2]]);
    await batcher.drain();
    await third;
    expect(calls).toEqual([[1, 2], [3]]);
  });

  it('fails exactly the items of a failed batch', async () => {
    let fail = true;
    const batcher = new Batcher<string, string>(async (items) => {
      if (fail) throw new Error('write failed');
      return items;
    }, { maxBatchSize: 2, maxDelayMs: 5 });
    const first = [batcher.submit('a'), batcher.submit('b')];
    fail = false;
    const second = batcher.submit('c');
    await expect(first[0]).rejects.toThrow('write failed');
    await expect(first[1]).rejects.toThrow('write failed');
    await expect(second).resolves.toBe('c');
  });
});
