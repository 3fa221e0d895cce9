/** A MongoDB cursor (the driver's or mongoose's): read as it streams, closed when the reader stops. */
export interface ClosableCursor<T> extends AsyncIterable<T> {
  close(): Promise<unknown>;
}

/**
 * The cursor's documents `size` at a time, read as the server sends them (the last chunk may be
 * shorter); the cursor is closed however the reader stops (done, `break`, or an error).
 */
export async function* cursorChunks<T>(cursor: ClosableCursor<T>, size: number): AsyncGenerator<T[]> {
  let chunk: T[] = [];
  try {
    for await (const row of cursor) {
      chunk.push(row);
      if (chunk.length >= size) {
        yield chunk;
        chunk = [];
      }
    }
    if (chunk.length > 0) yield chunk;
  } finally {
    await cursor.close();
  }
}
