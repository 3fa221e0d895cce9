/** A dependency that did not answer in time (a stalled server holds connections open and answers nothing). */
export class DeadlineExceededError extends Error {
  constructor(what: string, ms: number) {
    super(`${what} did not answer within ${ms} ms`);
    this.name = DeadlineExceededError.name;
  }
}

/**
 * The promise's outcome, or a DeadlineExceededError once `ms` have passed. The work itself goes
 * on (a client command cannot be taken back); only the caller stops waiting for it.
 */
export function withDeadline<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new DeadlineExceededError(what, ms)), ms);
    timer.unref();
  });
  return Promise.race([work, expired]).finally(() => clearTimeout(timer));
}
