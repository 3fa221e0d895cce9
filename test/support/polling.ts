/** The worker runs in-process and asynchronously: e2e suites poll for the state they expect. */
import { setTimeout as sleep } from 'node:timers/promises';

/** Polls `probe` until `done` holds or time runs out, and returns the last value (assert on it). */
export async function pollUntil<T>(probe: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 30_000, intervalMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (done(value) || Date.now() > deadline) return value;
    await sleep(intervalMs);
  }
}

/** Polls until `check` answers something truthy; throws naming `what` when time runs out. */
export async function eventually<T>(check: () => Promise<T | null | undefined | false>, what: string, timeoutMs = 10_000): Promise<T> {
  const value = await pollUntil(check, Boolean, timeoutMs, 25);
  if (!value) throw new Error(`Timed out waiting for ${what}`);
  return value;
}
