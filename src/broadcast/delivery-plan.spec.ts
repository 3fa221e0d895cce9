import { LIMIT_WINDOW_MS } from '../messaging-limit/messaging-limit-counter';
import { waitingStarts } from './delivery-plan';

describe('waitingStarts', () => {
  const now = Date.parse('2026-12-07T10:00:00Z');
  const hour = 3600_000;

  it('puts the waiters in the places of the reaches counted now, oldest first', () => {
    // Limit 3, full: reached 20, 10 and 5 hours ago.
    const times = [now - 20 * hour, now - 10 * hour, now - 5 * hour];
    expect(waitingStarts(times, 0, 2, now)).toEqual({ first: times[0] + LIMIT_WINDOW_MS, last: times[1] + LIMIT_WINDOW_MS });
  });

  it('then behind the room this broadcast takes at once, then a window after the waiters themselves', () => {
    // Limit 3: one reached an hour ago, room for two now; seven more wait.
    const times = [now - hour];
    const { first, last } = waitingStarts(times, 2, 7, now);
    expect(first).toBe(times[0] + LIMIT_WINDOW_MS);
    // Waiters 1-2 take the places of the two sent now, 3-5 those of waiters 0-2, 6 that of waiter 3 (a day after waiter 0's start).
    expect(last).toBe(times[0] + 3 * LIMIT_WINDOW_MS);
  });
});
