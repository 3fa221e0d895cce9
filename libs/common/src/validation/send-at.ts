import { applyDecorators } from '@nestjs/common';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString } from 'class-validator';
import { DateTime, IANAZone } from 'luxon';

/** A calendar date and time, with an optional UTC offset (`Z`, `+01:00`, `+0100`). */
const SEND_AT_PATTERN = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2})(?::\d{2}(?:\.\d{1,3})?)?(Z|[+-]\d{2}:?\d{2})?$/;
/** How far ahead a send may be scheduled. */
export const MAX_SCHEDULE_AHEAD_DAYS = 365;
const DAY_MS = 24 * 60 * 60 * 1000;

/** The shape, not a date: a fixed date in a message would be in the past one day. */
export const SEND_AT_FORMAT = 'YYYY-MM-DDThh:mm:ss+01:00';

export type SendAtParse = { ok: true; at: Date; timezone: string | null } | { ok: false; problem: string };

/**
 * When a scheduled send starts: `send_at` is ISO 8601 with a UTC offset, or a local time with
 * `timezone` naming an IANA zone (then the zone's rules, daylight saving included, decide the
 * instant). With both, the offset decides and the zone is kept for display. Past times, times
 * further ahead than MAX_SCHEDULE_AHEAD_DAYS, and local times a clock change skips are refused.
 */
export function parseSendAt(sendAt: string, timezone: string | undefined, now: Date = new Date()): SendAtParse {
  if (timezone !== undefined && !IANAZone.isValidZone(timezone)) {
    return { ok: false, problem: `timezone "${timezone}" is not an IANA time zone name (e.g. Africa/Lagos, Europe/Berlin, UTC)` };
  }
  const match = SEND_AT_PATTERN.exec(sendAt);
  if (!match) {
    return { ok: false, problem: `send_at must be an ISO 8601 date and time such as ${SEND_AT_FORMAT} (or YYYY-MM-DDThh:mm:ss with timezone), in the future` };
  }
  const [, wallClock, offset] = match;
  if (!offset && !timezone) {
    return { ok: false, problem: 'send_at has no UTC offset: add one (e.g. +01:00 or Z) or give timezone (e.g. "Africa/Lagos")' };
  }
  const parsed = offset ? DateTime.fromISO(sendAt, { setZone: true }) : DateTime.fromISO(sendAt, { zone: timezone });
  if (!parsed.isValid) return { ok: false, problem: `send_at "${sendAt}" is not a real date and time` };
  if (!offset && parsed.toFormat("yyyy-MM-dd'T'HH:mm") !== wallClock) {
    return { ok: false, problem: `send_at ${wallClock} does not exist in ${timezone} (the clocks skip it); choose another time` };
  }
  const at = parsed.toJSDate();
  if (at.getTime() <= now.getTime()) return { ok: false, problem: `send_at ${at.toISOString()} is in the past; give a future time` };
  if (at.getTime() > now.getTime() + MAX_SCHEDULE_AHEAD_DAYS * DAY_MS) {
    return { ok: false, problem: `send_at may be at most ${MAX_SCHEDULE_AHEAD_DAYS} days ahead` };
  }
  return { ok: true, at, timezone: timezone ?? null };
}

/** The optional `send_at` of a request that may be scheduled (read with parseSendAt, together with `timezone`). */
export function SendAtField(): PropertyDecorator {
  return applyDecorators(
    ApiPropertyOptional({
      description:
        'Schedule the send: ISO 8601 with a UTC offset, or a local time together with `timezone`. ' +
        `Must be in the future (an hour from now, in a shell: \`$(date -u -d '+1 hour' +%FT%TZ)\`), at most ${MAX_SCHEDULE_AHEAD_DAYS} days ahead. ` +
        'Absent: send at once.',
      type: String,
      format: 'date-time',
    }),
    IsOptional(),
    IsString({ message: 'send_at must be a string such as ' + SEND_AT_FORMAT }),
  );
}

/** The IANA time zone a local `send_at` is in. */
export function TimeZoneField(): PropertyDecorator {
  return applyDecorators(
    ApiPropertyOptional({ description: 'IANA time zone of a `send_at` given without offset', example: 'Africa/Lagos' }),
    IsOptional(),
    IsString({ message: 'timezone must be an IANA time zone name such as Africa/Lagos' }),
  );
}
