import { applyDecorators } from '@nestjs/common';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { ValidateBy } from 'class-validator';
import { DateTime } from 'luxon';

const CALENDAR_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DAY_MS = 24 * 60 * 60 * 1000;

/** Midnight UTC of a `YYYY-MM-DD` day, or null when the text is not a real calendar date (2025-13-01, 2025-02-30). */
export function utcDayStart(text: string): Date | null {
  const match = CALENDAR_DATE.exec(text);
  if (!match) return null;
  const [year, month, day] = match.slice(1).map(Number);
  const date = new Date(Date.UTC(year, month - 1, day));
  const roundTrips = date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
  return roundTrips ? date : null;
}

/** An ISO 8601 date and time with a UTC offset (`Z`, `+01:00`, `+0100`). */
const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})$/;

/** The moment an ISO 8601 date-time with a UTC offset names, or null when it names none (2027-02-30T00:00:00Z is not 2027-03-02). */
export function isoInstantOf(text: string): Date | null {
  if (!ISO_INSTANT.test(text)) return null;
  const parsed = DateTime.fromISO(text, { setZone: true });
  return parsed.isValid ? parsed.toJSDate() : null;
}

/**
 * Reads a body field sent as an ISO 8601 date-time with a UTC offset into a Date; anything else
 * (another format, a number, a day that does not exist) stays as sent, for IsDate to refuse.
 */
export function IsoInstant(): PropertyDecorator {
  return Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? (isoInstantOf(value) ?? value) : value));
}

/** Midnight UTC of the day after `day`: the exclusive end of an inclusive date range. */
export function nextUtcDay(day: Date): Date {
  return new Date(day.getTime() + DAY_MS);
}

/** A `YYYY-MM-DD` calendar date in the query string (a UTC day). */
export function IsCalendarDate(example = '2025-07-02'): PropertyDecorator {
  return applyDecorators(
    ApiPropertyOptional({ type: String, format: 'date', example, pattern: '^\\d{4}-\\d{2}-\\d{2}$' }),
    ValidateBy({
      name: 'isCalendarDate',
      validator: {
        validate: (value: unknown) => typeof value === 'string' && utcDayStart(value) !== null,
        defaultMessage: (args) => `${args?.property ?? 'date'} must be a real calendar date in the form YYYY-MM-DD`,
      },
    }),
  );
}
