import { parseSendAt } from './send-at';

const now = new Date('2026-12-03T12:00:00Z');

describe('parseSendAt', () => {
  it('takes an ISO 8601 time with an offset or Z', () => {
    expect(parseSendAt('2026-12-04T10:00:00+01:00', undefined, now)).toEqual({ ok: true, at: new Date('2026-12-04T09:00:00Z'), timezone: null });
    expect(parseSendAt('2026-12-04T10:00Z', undefined, now)).toMatchObject({ at: new Date('2026-12-04T10:00:00Z') });
    expect(parseSendAt('2026-12-04T10:00:00.250-0500', undefined, now)).toMatchObject({ at: new Date('2026-12-04T15:00:00.250Z') });
  });

  it("reads a local time in the IANA zone, daylight saving included, and keeps the zone", () => {
    expect(parseSendAt('2026-12-04T10:00:00', 'Africa/Lagos', now)).toEqual({ ok: true, at: new Date('2026-12-04T09:00:00Z'), timezone: 'Africa/Lagos' });
    // Berlin in summer is UTC+2.
    expect(parseSendAt('2027-07-01T10:00', 'Europe/Berlin', now)).toMatchObject({ at: new Date('2027-07-01T08:00:00Z') });
    // With both, the offset decides.
    expect(parseSendAt('2026-12-04T10:00:00Z', 'Asia/Tokyo', now)).toMatchObject({ at: new Date('2026-12-04T10:00:00Z'), timezone: 'Asia/Tokyo' });
  });

  it.each([
    ['2026-12-04T10:00:00', undefined, /no UTC offset/],
    ['tomorrow at ten', undefined, /ISO 8601/],
    ['2026-12-04', undefined, /ISO 8601/],
    ['2026-13-04T10:00:00Z', undefined, /not a real date/],
    ['2026-12-04T10:00:00', 'Mars/Olympus', /IANA time zone/],
    ['2026-12-02T10:00:00Z', undefined, /in the past/],
    ['2026-12-03T12:00:00Z', undefined, /in the past/],
    ['2028-12-04T10:00:00Z', undefined, /at most 365 days/],
    // Europe/Berlin's clocks jump from 02:00 to 03:00 on 2027-03-28.
    ['2027-03-28T02:30:00', 'Europe/Berlin', /does not exist in Europe\/Berlin/],
  ])('refuses %s (timezone %s), naming the field', (sendAt, timezone, problem) => {
    const parsed = parseSendAt(sendAt, timezone, now);
    expect(parsed.ok).toBe(false);
    expect(!parsed.ok && parsed.problem).toMatch(problem);
    expect(!parsed.ok && parsed.problem).toMatch(/send_at|timezone/);
  });
});
