/**
 * What a contact carries for audiences: attributes (a flat map of typed values), tags, and the
 * rules both the API and the CSV import check them by. One home for the limits.
 */
import { DateTime } from 'luxon';

/** Most attributes one contact may hold. */
export const MAX_ATTRIBUTES = 50;
/**
 * An attribute's name: a lower-case letter, then up to 39 lower-case letters, digits or
 * underscores; not `constructor` or `prototype`, which every object inherits a meaning for.
 */
export const ATTRIBUTE_NAME_PATTERN = /^(?!(?:constructor|prototype)$)[a-z][a-z0-9_]{0,39}$/;
/** How a problem names the rule of ATTRIBUTE_NAME_PATTERN. */
export const ATTRIBUTE_NAME_RULE = 'a lower-case letter, then up to 39 lower-case letters, digits or _; not constructor or prototype';
/** Longest string value of an attribute. */
export const MAX_ATTRIBUTE_STRING_LENGTH = 256;
/** Most tags one contact may carry. */
export const MAX_TAGS = 50;
/** A tag, once trimmed and lower-cased: letters, digits, `_`, `-`, `:` and `.`, 1 to 40 characters. */
export const TAG_PATTERN = /^[a-z0-9][a-z0-9_:.-]{0,39}$/;

export type AttributeValue = string | number | boolean | Date;
export type ContactAttributes = Record<string, AttributeValue>;

/** A calendar date or a full ISO 8601 timestamp with its offset: such strings are stored as dates. */
const ISO_DATE = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2}))?$/;

export type Checked<T> = { ok: true; value: T } | { ok: false; problem: string };

/** An attribute value as JSON gives it: a string (an ISO 8601 date becomes a date), a finite number or a boolean. */
export function attributeValueOf(raw: unknown): Checked<AttributeValue> {
  if (typeof raw === 'boolean') return { ok: true, value: raw };
  if (typeof raw === 'number') return Number.isFinite(raw) ? { ok: true, value: raw } : { ok: false, problem: 'must be a finite number' };
  if (typeof raw !== 'string') return { ok: false, problem: 'must be a string, a number, a boolean or an ISO 8601 date' };
  if (raw.length > MAX_ATTRIBUTE_STRING_LENGTH) return { ok: false, problem: `is longer than ${MAX_ATTRIBUTE_STRING_LENGTH} characters` };
  if (ISO_DATE.test(raw)) {
    // Luxon, not Date: Date reads 2026-02-30 as 2026-03-02.
    const date = DateTime.fromISO(raw, { zone: 'utc' });
    return date.isValid ? { ok: true, value: date.toJSDate() } : { ok: false, problem: `"${raw}" is not a real date` };
  }
  return { ok: true, value: raw };
}

/** A CSV cell's value: `true`/`false`, a number written canonically (so "0803" stays text), a date, or text. */
export function attributeValueOfCell(cell: string): Checked<AttributeValue> {
  if (cell === 'true' || cell === 'false') return { ok: true, value: cell === 'true' };
  if (/^-?\d+(\.\d+)?$/.test(cell) && String(Number(cell)) === cell) return { ok: true, value: Number(cell) };
  return attributeValueOf(cell);
}

/** How an attribute value is written in a CSV cell (and read back by attributeValueOfCell). */
export function attributeCellOf(value: AttributeValue): string {
  return value instanceof Date ? value.toISOString() : String(value);
}

/** Checks an attributes object (`null` values unset, when `allowUnset`); problems name each bad key. */
export function checkAttributes(
  raw: unknown,
  where: string,
  problems: string[],
  allowUnset: boolean,
): { set: ContactAttributes; unset: string[] } | undefined {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    problems.push(`${where} must be an object of attribute names and values`);
    return undefined;
  }
  const entries = Object.entries(raw);
  if (entries.length > MAX_ATTRIBUTES) {
    problems.push(`${where} has ${entries.length} attributes; a contact holds at most ${MAX_ATTRIBUTES}`);
    return undefined;
  }
  const set: ContactAttributes = {};
  const unset: string[] = [];
  for (const [name, value] of entries) {
    if (!ATTRIBUTE_NAME_PATTERN.test(name)) {
      problems.push(`${where}: "${name.slice(0, 60)}" is not an attribute name (${ATTRIBUTE_NAME_RULE})`);
      continue;
    }
    if (value === null && allowUnset) {
      unset.push(name);
      continue;
    }
    const checked = attributeValueOf(value);
    if (checked.ok) set[name] = checked.value;
    else problems.push(`${where}.${name} ${checked.problem}`);
  }
  return { set, unset };
}

/** A tag trimmed and lower-cased, or null when it does not fit TAG_PATTERN. */
export function normaliseTag(raw: unknown): string | null {
  if (typeof raw !== 'string') return null;
  const tag = raw.trim().toLowerCase();
  return TAG_PATTERN.test(tag) ? tag : null;
}

/** Distinct normalised tags; problems name each bad one and a list that is too long. */
export function checkTags(raw: unknown, where: string, problems: string[]): string[] | undefined {
  if (!Array.isArray(raw)) {
    problems.push(`${where} must be an array of tags`);
    return undefined;
  }
  const tags = new Set<string>();
  raw.forEach((item, index) => {
    const tag = normaliseTag(item);
    if (tag) tags.add(tag);
    else problems.push(`${where}[${index}] is not a tag (1 to 40 letters, digits, _, -, : or .)`);
  });
  if (tags.size > MAX_TAGS) problems.push(`${where} has ${tags.size} tags; a contact carries at most ${MAX_TAGS}`);
  return [...tags];
}

/** The same value (dates compared by instant). */
export function sameAttributeValue(a: AttributeValue | undefined, b: AttributeValue | undefined): boolean {
  if (a instanceof Date && b instanceof Date) return a.getTime() === b.getTime();
  return a === b;
}
