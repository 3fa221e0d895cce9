import { BroadcastPauseControl } from './broadcast-pause-control';
import type { BroadcastPauseSignal } from './broadcast-pause.signal';
import type { BroadcastSendJobs } from './broadcast-send-jobs';
import type { BroadcastQueue } from './broadcast.queue';
import type { BroadcastRepository } from './broadcast.repository';
import type { BroadcastStatus } from './broadcast.schema';

describe('BroadcastPauseControl', () => {
  let raised: boolean;
  /** The record's status as the control reads it after changing the signal. */
  let statusNow: BroadcastStatus;
  let control: BroadcastPauseControl;
  const scheduleFanOut = jest.fn(async () => undefined);

  beforeEach(() => {
    raised = false;
    scheduleFanOut.mockClear();
    const signal = {
      raise: jest.fn(async () => {
        raised = true;
      }),
      clear: jest.fn(async () => {
        raised = false;
      }),
    };
    control = new BroadcastPauseControl(
      signal as unknown as BroadcastPauseSignal,
      { removeFanOut: jest.fn(async () => undefined), scheduleFanOut } as unknown as BroadcastQueue,
      { removeQueued: jest.fn(async () => 0) } as unknown as BroadcastSendJobs,
      { findStatus: jest.fn(async () => statusNow) } as unknown as BroadcastRepository,
    );
  });

  it('holds a paused broadcast, and releases a resumed one with a fan-out', async () => {
    statusNow = 'paused';
    await control.hold('b1', null);
    expect(raised).toBe(true);
    statusNow = 'sending';
    await control.release('b1', new Date());
    expect(raised).toBe(false);
    expect(scheduleFanOut).toHaveBeenCalledTimes(1);
  });

  it('does not leave a broadcast resumed during its pause held (the resume cleared the signal before the pause raised it)', async () => {
    statusNow = 'sending';
    await control.hold('b1', null);
    expect(raised).toBe(false);
  });

  it('does not leave a broadcast paused during its resume unheld (the pause raised the signal before the resume cleared it)', async () => {
    statusNow = 'paused';
    await control.release('b1', new Date());
    expect(raised).toBe(true);
    // The same when a hold ends without a fan-out (a DISABLED template's) while its client pauses it.
    raised = false;
    await control.endHold('b1');
    expect(raised).toBe(true);
    statusNow = 'sending';
    await control.endHold('b1');
    expect(raised).toBe(false);
    expect(scheduleFanOut).toHaveBeenCalledTimes(1);
  });
});
