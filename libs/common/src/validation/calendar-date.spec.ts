import { nextUtcDay, utcDayStart } from './calendar-date';

describe('utcDayStart', () => {
  it('reads a YYYY-MM-DD day as midnight UTC', () => {
    expect(utcDayStart('2025-07-02')?.toISOString()).toBe('2025-07-02T00:00:00.000Z');
    expect(utcDayStart('2024-02-29')?.toISOString()).toBe('2024-02-29T00:00:00.000Z');
  });

  it.each(['2025-13-01', '2025-02-30', '2023-02-29', '2025-00-10', '2025-7-2', '02-07-2025', '2025-07-02T00:00:00Z', '', 'yesterday'])(
    'rejects %p',
    (text) => expect(utcDayStart(text)).toBeNull(),
  );
});

describe('nextUtcDay', () => {
  it('is the following midnight, across month and year ends', () => {
    expect(nextUtcDay(utcDayStart('2025-07-02')!).toISOString()).toBe('2025-07-03T00:00:00.000Z');
    expect(nextUtcDay(utcDayStart('2025-12-31')!).toISOString()).toBe('2026-01-01T00:00:00.000Z');
  });
});
