import { ClosableCursor, cursorChunks } from './cursor-chunks';

/** A cursor over `rows` that records whether it was closed. */
function cursorOver<T>(rows: T[]): ClosableCursor<T> & { closed: boolean } {
  const cursor = {
    closed: false,
    async *[Symbol.asyncIterator]() {
      yield* rows;
    },
    close: async () => {
      cursor.closed = true;
    },
  };
  return cursor;
}

describe('cursorChunks', () => {
  it('yields the rows in order, size at a time, the last chunk shorter, and closes the cursor', async () => {
    const cursor = cursorOver([1, 2, 3, 4, 5]);
    const chunks: number[][] = [];
    for await (const chunk of cursorChunks(cursor, 2)) chunks.push(chunk);
    expect(chunks).toEqual([[1, 2], [3, 4], [5]]);
    expect(cursor.closed).toBe(true);
  });

  it('yields nothing for an empty cursor', async () => {
    const chunks: number[][] = [];
    for await (const chunk of cursorChunks(cursorOver<number>([]), 3)) chunks.push(chunk);
    expect(chunks).toEqual([]);
  });

  it('closes the cursor when the reader stops early', async () => {
    const cursor = cursorOver([1, 2, 3, 4]);
    for await (const chunk of cursorChunks(cursor, 2)) {
      expect(chunk).toEqual([1, 2]);
      break;
    }
    expect(cursor.closed).toBe(true);
  });
});
