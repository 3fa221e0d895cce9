import { InputValidationException } from '@app/common';
import { FieldKind, FieldSpec, SEED_RELATION_ID_FIELDS, WHATSAPP_LOG_FIELD_NAMES, WHATSAPP_LOG_FIELDS } from './whatsapp-log.fields';

/**
 * The little query language of seed 002 (`select`, `query`, `sort`), checked and typed.
 * Nothing here knows MongoDB: the output names model fields and carries values of the
 * field's type, and the repository alone turns it into a filter. Anything outside the
 * language (unknown fields, `$` operators at any depth, objects where a value belongs,
 * values of the wrong type) is a 400 naming the offending path.
 */

export type SortDirection = 1 | -1;

/** A value as the field holds it: ids as lower-case hex, date-times as Dates. */
export type FieldValue = string | number | Date | null;

/** `field == value`; the conditions of one query all hold at once. */
export interface FieldCondition {
  field: string;
  kind: FieldKind;
  value: FieldValue;
}

export interface SortKey {
  field: string;
  direction: SortDirection;
}

/** The only comparison of the typed form `{"_type": "EqualTo", "value": ...}`. */
export const EQUAL_TO = 'EqualTo';
const TYPED_VALUE_KEYS = new Set(['_type', 'value']);

/** Newest first unless the caller sorts otherwise. */
export const DEFAULT_SORT: readonly SortKey[] = [{ field: 'createdAt', direction: -1 }];
/** Appended to every sort so that equal keys still page in one stable order. */
const TIEBREAK_FIELD = '_id';

const SORT_DIRECTIONS: ReadonlyMap<unknown, SortDirection> = new Map<unknown, SortDirection>([
  [1, 1],
  [-1, -1],
  ['ASC', 1],
  ['DESC', -1],
]);

const OBJECT_ID_HEX = /^[0-9a-fA-F]{24}$/;
const ISO_DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?(?:(Z)|([+-])(\d{2}):(\d{2}))$/;
const DATE_TIME_EXAMPLE = '2024-05-01T12:00:00.000Z';

type JsonObject = Record<string, unknown>;

function isPlainObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Every `$`-key inside a value, at any depth, as `path.$key`. */
export function operatorPaths(value: unknown, path: string): string[] {
  if (Array.isArray(value)) return value.flatMap((item, index) => operatorPaths(item, `${path}[${index}]`));
  if (!isPlainObject(value)) return [];
  return Object.entries(value).flatMap(([key, inner]) =>
    key.startsWith('$') ? [`${path}.${key}`] : operatorPaths(inner, `${path}.${key}`),
  );
}

const operatorProblem = (path: string): string => `${path}: MongoDB operators ($...) are not allowed`;

/** The field a key of `select`/`query`/`sort` names, or a problem saying why it names none. */
function fieldNamed(section: string, key: string, problems: string[]): FieldSpec | null {
  const path = `${section}.${key}`;
  if (key.startsWith('$')) {
    problems.push(operatorProblem(path));
    return null;
  }
  const field = WHATSAPP_LOG_FIELDS.get(key);
  if (field) return field;
  const idField = SEED_RELATION_ID_FIELDS.get(key);
  if (idField) problems.push(`${path} is a relation, which this API does not expand (use ${idField})`);
  // The list of fields is said once per answer, however many keys are unknown.
  else if (problems.some((problem) => problem.endsWith(FIELD_LIST))) problems.push(`${path} is not a field of the WhatsApp log`);
  else problems.push(`${path} is not a field of the WhatsApp log${FIELD_LIST}`);
  return null;
}

const FIELD_LIST = ` (fields: ${WHATSAPP_LOG_FIELD_NAMES.join(', ')})`;

/**
 * The section's object, or null when it was not given; a problem when it is not an object,
 * or has more keys than the model has fields (checked before any key is looked at).
 */
function sectionObject(section: string, raw: unknown, example: string, problems: string[]): JsonObject | null {
  if (raw === undefined || raw === null) return null;
  if (!isPlainObject(raw)) {
    problems.push(`${section} must be an object such as ${example}`);
    return null;
  }
  const keyCount = Object.keys(raw).length;
  if (keyCount > WHATSAPP_LOG_FIELDS.size) {
    problems.push(`${section} has ${keyCount} keys, more than the ${WHATSAPP_LOG_FIELDS.size} fields of the WhatsApp log`);
    return null;
  }
  return raw;
}

function describeKind(field: FieldSpec): string {
  const kinds: Record<FieldKind, string> = {
    objectId: 'a 24-character hexadecimal id',
    string: field.allowedValues ? `one of: ${field.allowedValues.join(', ')}` : 'a string',
    number: 'a number',
    date: `an ISO 8601 date-time such as ${DATE_TIME_EXAMPLE}`,
  };
  return field.nullable ? `${kinds[field.kind]}, or null` : kinds[field.kind];
}

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** An ISO 8601 date-time with a zone (`Z` or `±hh:mm`), rejecting dates that do not exist. */
export function parseDateTime(text: string): Date | null {
  const match = ISO_DATE_TIME.exec(text);
  if (!match) return null;
  const [year, month, day, hour, minute] = match.slice(1, 6).map(Number);
  const second = Number(match[6] ?? 0);
  const millisecond = Number((match[7] ?? '0').padEnd(3, '0'));
  const offsetMinutes = match[8] ? 0 : (match[9] === '-' ? -1 : 1) * (Number(match[10]) * 60 + Number(match[11]));
  const valid =
    month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth(year, month) &&
    hour <= 23 && minute <= 59 && second <= 59 && Math.abs(offsetMinutes) <= 14 * 60 && Number(match[11] ?? 0) <= 59;
  if (!valid) return null;
  return new Date(Date.UTC(year, month - 1, day, hour, minute, second, millisecond) - offsetMinutes * 60_000);
}

/** A plain (non-object) value converted to the field's type, or undefined after noting a problem. */
function scalarOfField(field: FieldSpec, raw: unknown, path: string, problems: string[]): FieldValue | undefined {
  if (raw === null) {
    if (field.nullable) return null;
    problems.push(`${path} cannot be null: it must be ${describeKind(field)}`);
    return undefined;
  }
  switch (field.kind) {
    case 'objectId':
      if (typeof raw === 'string' && OBJECT_ID_HEX.test(raw)) return raw.toLowerCase();
      break;
    case 'string':
      // Equality with a value no log holds matches nothing; seed 002's own example queries such a status.
      if (typeof raw === 'string') return raw;
      break;
    case 'number':
      if (typeof raw === 'number' && Number.isFinite(raw)) return raw;
      break;
    case 'date': {
      const date = typeof raw === 'string' ? parseDateTime(raw) : null;
      if (date) return date;
      break;
    }
  }
  problems.push(`${path} must be ${describeKind(field)}`);
  return undefined;
}

/** `{"_type": "EqualTo", "value": v}`: checks its shape, then `v` as the field's value. */
function typedValueOfField(field: FieldSpec, typed: JsonObject, path: string, problems: string[]): FieldValue | undefined {
  const before = problems.length;
  for (const key of Object.keys(typed)) {
    if (!TYPED_VALUE_KEYS.has(key)) problems.push(`${path}.${key} is not allowed in a typed value (only _type and value)`);
  }
  if (typed._type !== EQUAL_TO) problems.push(`${path}._type must be "${EQUAL_TO}" (the only comparison offered)`);
  if (!('value' in typed)) problems.push(`${path}.value is required`);
  if (problems.length > before) return undefined;
  if (isPlainObject(typed.value) || Array.isArray(typed.value)) {
    problems.push(`${path}.value must be ${describeKind(field)}`);
    return undefined;
  }
  return scalarOfField(field, typed.value, `${path}.value`, problems);
}

function conditionValue(field: FieldSpec, raw: unknown, path: string, problems: string[]): FieldValue | undefined {
  const operators = operatorPaths(raw, path);
  if (operators.length > 0) {
    problems.push(...operators.map(operatorProblem));
    return undefined;
  }
  if (isPlainObject(raw) && '_type' in raw) return typedValueOfField(field, raw, path, problems);
  if (isPlainObject(raw) || Array.isArray(raw)) {
    problems.push(`${path} must be ${describeKind(field)} (or {"_type": "${EQUAL_TO}", "value": ...})`);
    return undefined;
  }
  return scalarOfField(field, raw, path, problems);
}

/** `select`: `{field: true}`; null when absent or empty (all fields). */
export function parseSelect(raw: unknown, problems: string[]): string[] | null {
  const select = sectionObject('select', raw, '{"status": true}', problems);
  if (!select) return null;
  const fields: string[] = [];
  for (const [key, value] of Object.entries(select)) {
    const field = fieldNamed('select', key, problems);
    if (!field) continue;
    const operators = operatorPaths(value, `select.${key}`);
    if (operators.length > 0) problems.push(...operators.map(operatorProblem));
    else if (value !== true) problems.push(`select.${key} must be true (list only the fields to return)`);
    else fields.push(field.name);
  }
  return fields.length > 0 ? fields : null;
}

/** `query`: equality on model fields, plain (`{"status": "sent"}`) or typed. */
export function parseQuery(raw: unknown, problems: string[]): FieldCondition[] {
  const query = sectionObject('query', raw, '{"status": "sent"}', problems);
  if (!query) return [];
  const conditions: FieldCondition[] = [];
  for (const [key, rawValue] of Object.entries(query)) {
    const field = fieldNamed('query', key, problems);
    if (!field) continue;
    const value = conditionValue(field, rawValue, `query.${key}`, problems);
    if (value !== undefined) conditions.push({ field: field.name, kind: field.kind, value });
  }
  return conditions;
}

/** `sort`: `{field: 1 | -1 | "ASC" | "DESC"}` in the order given, always ending with `_id`. */
export function parseSort(raw: unknown, problems: string[]): SortKey[] {
  const sort = sectionObject('sort', raw, '{"createdAt": -1}', problems);
  const keys: SortKey[] = [];
  for (const [key, value] of Object.entries(sort ?? {})) {
    const field = fieldNamed('sort', key, problems);
    if (!field) continue;
    const operators = operatorPaths(value, `sort.${key}`);
    const direction = SORT_DIRECTIONS.get(typeof value === 'string' ? value.toUpperCase() : value);
    if (operators.length > 0) problems.push(...operators.map(operatorProblem));
    else if (direction === undefined) problems.push(`sort.${key} must be 1, -1, "ASC" or "DESC"`);
    else keys.push({ field: field.name, direction });
  }
  const ordered = keys.length > 0 ? keys : [...DEFAULT_SORT];
  if (ordered.some((key) => key.field === TIEBREAK_FIELD)) return ordered;
  return [...ordered, { field: TIEBREAK_FIELD, direction: ordered[ordered.length - 1].direction }];
}

export interface WhatsappLogListSpec {
  select: string[] | null;
  conditions: FieldCondition[];
  sort: SortKey[];
}

function throwIfAny(problems: string[]): void {
  if (problems.length > 0) throw new InputValidationException(problems);
}

/** The body of get-list, checked as a whole so that every problem is reported at once. */
export function parseListBody(body: { select?: unknown; query?: unknown; sort?: unknown }): WhatsappLogListSpec {
  const problems: string[] = [];
  const spec = { select: parseSelect(body.select, problems), conditions: parseQuery(body.query, problems), sort: parseSort(body.sort, problems) };
  throwIfAny(problems);
  return spec;
}

/** The body of get-item: `select` only. */
export function parseItemBody(body: { select?: unknown }): { select: string[] | null } {
  const problems: string[] = [];
  const select = parseSelect(body.select, problems);
  throwIfAny(problems);
  return { select };
}

/** The body of count: `query` only. */
export function parseCountBody(body: { query?: unknown }): { conditions: FieldCondition[] } {
  const problems: string[] = [];
  const conditions = parseQuery(body.query, problems);
  throwIfAny(problems);
  return { conditions };
}
