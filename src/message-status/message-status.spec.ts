import {
  CALL_STATUSES,
  deliveryFlags,
  MESSAGE_STATUSES,
  MessageStatus,
  reportableFrom,
  REPORT_PRECEDENCE,
  sendingOutcomeOf,
  statusesBefore,
} from './message-status';

describe('the message status lifecycle', () => {
  it.each([
    ['scheduled', []],
    ['queued', ['scheduled']],
    ['sending', ['scheduled', 'queued']],
    ['sent', ['scheduled', 'queued', 'sending']],
    ['delivered', ['scheduled', 'queued', 'sending', 'sent']],
    ['read', ['scheduled', 'queued', 'sending', 'sent', 'delivered']],
    ['failed', ['scheduled', 'queued', 'sending', 'sent']],
    ['cancelled', ['scheduled', 'queued']],
  ] as Array<[MessageStatus, MessageStatus[]]>)('moves a message to %s only from %j', (status, from) => {
    expect(statusesBefore(status)).toEqual(from);
  });

  it('never moves a message back, nor out of failed, read or cancelled', () => {
    for (const status of MESSAGE_STATUSES) {
      expect(statusesBefore(status)).not.toContain(status);
      expect(statusesBefore(status)).not.toContain('failed');
      expect(statusesBefore(status)).not.toContain('read');
      expect(statusesBefore(status)).not.toContain('cancelled');
    }
  });

  it.each([
    ['sent', []],
    ['delivered', ['sent']],
    ['read', ['sent', 'delivered']],
    ['failed', ['sent']],
  ] as const)('lets a report move a sent message or call to %s only from %j', (status, from) => {
    expect(reportableFrom(status)).toEqual(from);
    for (const candidate of reportableFrom(status)) expect(CALL_STATUSES).toContain(candidate);
  });

  it('ranks reports about one message: read over delivered over failed', () => {
    expect(REPORT_PRECEDENCE).toEqual(['read', 'delivered', 'failed']);
  });

  it("gives the sender's outcome: none while unsent, sent once accepted even if failed later, failed when never accepted", () => {
    expect(sendingOutcomeOf({ status: 'queued' })).toBeNull();
    expect(sendingOutcomeOf({ status: 'scheduled' })).toBeNull();
    expect(sendingOutcomeOf({ status: 'cancelled' })).toBe('failed');
    expect(sendingOutcomeOf({ status: 'sending', status_times: { sentAt: null } })).toBeNull();
    for (const status of ['sent', 'delivered', 'read'] as const) expect(sendingOutcomeOf({ status })).toBe('sent');
    expect(sendingOutcomeOf({ status: 'failed', status_times: { sentAt: new Date() } })).toBe('sent');
    expect(sendingOutcomeOf({ status: 'failed', status_times: { sentAt: null } })).toBe('failed');
  });
});

describe('deliveryFlags (seed 004)', () => {
  it.each([
    ['scheduled', null, null, null, null],
    ['queued', null, null, null, null],
    ['cancelled', false, false, false, false],
    ['sending', null, null, null, null],
    ['sent', true, false, false, false],
    ['delivered', true, true, false, false],
    ['read', true, true, true, false],
    ['failed', false, false, false, true],
  ] as const)('%s → sent %s, delivered %s, read %s, failed %s', (status, sent, delivered, read, failed) => {
    expect(deliveryFlags(status)).toEqual({ sent, delivered, read, failed });
  });

  it('never calls a message both sent and failed', () => {
    for (const status of MESSAGE_STATUSES) {
      const flags = deliveryFlags(status);
      expect(flags.sent === true && flags.failed === true).toBe(false);
    }
  });
});
