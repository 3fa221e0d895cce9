import { mongo } from 'mongoose';
import { ATTEMPT_WRITE_TRIES, persist } from './send-ledger';

describe('persist (the ledger writes after provider calls)', () => {
  const timing = { backoffMs: 1, maxBackoffMs: 5, unreachableForMs: 300 };
  const unreachable = (): Error => new mongo.MongoServerSelectionError('Server selection timed out after 5000 ms', { type: 'Unknown', servers: new Map() } as never);

  /** A write that fails with `error()` for its first `failures` tries, then succeeds. */
  function writeFailing(failures: number, error: () => Error): { write: () => Promise<void>; tries: () => number } {
    let tries = 0;
    return {
      write: () => (++tries <= failures ? Promise.reject(error()) : Promise.resolve()),
      tries: () => tries,
    };
  }

  it('goes on trying while MongoDB does not answer, past the tries a refusal gets, so that accepted calls are not forgotten in a stall', async () => {
    const { write, tries } = writeFailing(12, unreachable);
    await expect(persist(write, timing)).resolves.toBeUndefined();
    expect(tries()).toBe(13);
  });

  it('gives up on a write MongoDB refuses after ATTEMPT_WRITE_TRIES', async () => {
    const { write, tries } = writeFailing(10, () => new Error('refused'));
    await expect(persist(write, timing)).rejects.toThrow('refused');
    expect(tries()).toBe(ATTEMPT_WRITE_TRIES);
  });

  it('gives up once MongoDB has not answered for unreachableForMs', async () => {
    const { write } = writeFailing(Number.POSITIVE_INFINITY, unreachable);
    const started = Date.now();
    await expect(persist(write, timing)).rejects.toBeInstanceOf(mongo.MongoServerSelectionError);
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
    expect(Date.now() - started).toBeLessThan(2000);
  });
});
