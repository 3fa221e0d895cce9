import { applyDecorators } from '@nestjs/common';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { ValidateBy } from 'class-validator';

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
