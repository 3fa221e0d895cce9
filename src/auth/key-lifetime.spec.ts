import { parseKeyLifetime } from './key-lifetime';

describe('parseKeyLifetime', () => {
  it.each([
    ['90d', 90 * 86_400_000],
    ['12h', 12 * 3_600_000],
    ['2w', 14 * 86_400_000],
    [' 30D ', 30 * 86_400_000],
  ])('reads %p', (text, milliseconds) => expect(parseKeyLifetime(text)).toBe(milliseconds));

  it.each(['', '90', 'd', '0d', '-1d', '1.5d', '3m', '90 days', '5000w'])('refuses %p', (text) => {
    expect(parseKeyLifetime(text)).toBeNull();
  });
});
