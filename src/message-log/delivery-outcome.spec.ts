import { deliveryFlags } from './delivery-outcome';
import { MESSAGE_STATUSES } from './message-log.schema';

describe('deliveryFlags', () => {
  it.each([
    ['queued', null, null, null, null],
    ['sending', null, null, null, null],
    ['sent', true, false, false, false],
    ['delivered', true, true, false, false],
    ['read', true, true, true, false],
    ['failed', false, false, false, true],
  ] as const)('%s → sent %s, delivered %s, read %s, failed %s', (status, sent, delivered, read, failed) => {
    expect(deliveryFlags(status)).toEqual({ sent, delivered, read, failed });
  });

  it('covers every status', () => {
    for (const status of MESSAGE_STATUSES) expect(deliveryFlags(status)).toBeDefined();
  });

  it('never calls a message both sent and failed', () => {
    for (const status of MESSAGE_STATUSES) {
      const flags = deliveryFlags(status);
      expect(flags.sent === true && flags.failed === true).toBe(false);
    }
  });
});
