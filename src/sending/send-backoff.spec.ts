import { ProviderError } from '@app/whatsapp';
import { sendBackoff } from './send-backoff';

describe('sendBackoff', () => {
  it('doubles the delay with each attempt', () => {
    const error = new ProviderError('transient', 'network_error', 'down');
    expect([1, 2, 3, 4].map((attempts) => sendBackoff(attempts, error, { delayMs: 1000 }))).toEqual([1000, 3000, 7000, 15000]);
  });

  it('waits at least as long as the provider asked', () => {
    const throttled = new ProviderError('transient', '131056', 'pair rate limit hit', { retryAfterMs: 6000 });
    expect(sendBackoff(1, throttled, { delayMs: 1000 })).toBe(6000);
    expect(sendBackoff(4, throttled, { delayMs: 1000 })).toBe(15000);
    expect(sendBackoff(1, new Error('unexpected'), { delayMs: 50 })).toBe(50);
  });

  it('waits as long as the longest delay asked by the messages of a job that sends several', () => {
    const throttled = new ProviderError('transient', '131056', 'pair rate limit hit', { retryAfterMs: 6000 });
    const leased = Object.assign(new Error('another attempt holds the message'), { retryAfterMs: 9000 });
    expect(sendBackoff(1, new AggregateError([throttled, leased, new Error('unexpected')]), { delayMs: 1000 })).toBe(9000);
    expect(sendBackoff(1, new AggregateError([new Error('unexpected')]), { delayMs: 1000 })).toBe(1000);
  });
});
