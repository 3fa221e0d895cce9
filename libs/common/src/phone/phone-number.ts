import { applyDecorators } from '@nestjs/common';
import { Transform } from 'class-transformer';
import { ValidateBy } from 'class-validator';
import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';

/** Characters people put in phone numbers that carry no meaning. */
const PHONE_PUNCTUATION = /[\s\-().]/g;
/** Numbers parsed between two yields to the event loop (libphonenumber takes ~6 µs a number). */
const NORMALISE_CHUNK_SIZE = 2000;

/**
 * Digits-only international form (`2348179803743`) of a number written with or without
 * `+`/`00`, spaces, dashes or brackets; null when it is not a valid phone number for its
 * country (full metadata, so that lengths and ranges are checked, not only digit counts).
 */
export function normalizePhoneNumber(input: string): string | null {
  const compact = input.replace(PHONE_PUNCTUATION, '');
  const international = compact.startsWith('+') ? compact : compact.startsWith('00') ? `+${compact.slice(2)}` : `+${compact}`;
  if (!/^\+\d{6,17}$/.test(international)) return null;
  const parsed = parsePhoneNumberFromString(international);
  return parsed?.isValid() ? parsed.number.slice(1) : null;
}

export interface InvalidPhoneNumber {
  input: string;
  reason: string;
}

export interface NormalisedPhoneNumbers {
  /** Distinct digits-only numbers, in the order first given. */
  valid: string[];
  invalid: InvalidPhoneNumber[];
  /** Each input's digits-only number (null when invalid), in the order of the inputs. */
  normalised: Array<string | null>;
}

/** Splits a comma-separated list (or takes an array) into trimmed, non-empty entries. */
export function splitPhoneNumberList(to: string | string[]): string[] {
  const entries = Array.isArray(to) ? to : to.split(',');
  return entries.map((entry) => entry.trim()).filter((entry) => entry !== '');
}

/**
 * Normalises many numbers and collapses duplicates, yielding to the event loop between
 * chunks so that a 100,000-number list does not stall other requests.
 */
export async function normalisePhoneNumbers(inputs: string[]): Promise<NormalisedPhoneNumbers> {
  const seen = new Set<string>();
  const invalid: InvalidPhoneNumber[] = [];
  const normalised: Array<string | null> = [];
  for (let start = 0; start < inputs.length; start += NORMALISE_CHUNK_SIZE) {
    if (start > 0) await yieldToEventLoop();
    for (const input of inputs.slice(start, start + NORMALISE_CHUNK_SIZE)) {
      const number = normalizePhoneNumber(input);
      normalised.push(number);
      if (number) seen.add(number);
      else invalid.push({ input, reason: `"${input}" is not a valid international phone number` });
    }
  }
  return { valid: [...seen], invalid, normalised };
}

/** A body field holding one phone number: normalised to digits-only international form, or 400 naming it. */
export function PhoneNumberField(): PropertyDecorator {
  return applyDecorators(
    Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? (normalizePhoneNumber(value) ?? value) : value)),
    ValidateBy({
      name: 'isInternationalPhoneNumber',
      validator: {
        validate: (value: unknown) => typeof value === 'string' && /^\d+$/.test(value) && normalizePhoneNumber(value) === value,
        defaultMessage: (args) =>
          `${args?.property ?? 'phone'} must be a valid international phone number with its country code (e.g. 2348179803743)`,
      },
    }),
  );
}
