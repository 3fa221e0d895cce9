import { isoInstantOf, nextUtcDay, utcDayStart } from './calendar-date';

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

describe('isoInstantOf', () => {
  it('reads an ISO 8601 date-time with a UTC offset as the moment it names', () => {
    expect(isoInstantOf('2027-06-30T00:00:00Z')?.toISOString()).toBe('2027-06-30T00:00:00.000Z');
    expect(isoInstantOf('2027-06-30T01:30:00+01:00')?.toISOString()).toBe('2027-06-30T00:30:00.000Z');
    expect(isoInstantOf('2027-06-30T01:30+0100')?.toISOString()).toBe('2027-06-30T00:30:00.000Z');
  });

  it('names no moment for a day that does not exist, a time without an offset, or another format', () => {
    for (const text of ['2027-02-30T00:00:00Z', '2027-06-30T25:00:00Z', '2027-06-30T00:00:00', '2027-06-30', 'March 3, 2027', '1800000000000']) {
      expect(isoInstantOf(text)).toBeNull();
    }
  });
});
