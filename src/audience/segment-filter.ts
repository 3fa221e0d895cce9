import { isValidObjectId } from 'mongoose';
import { attributeValueOf, ATTRIBUTE_NAME_PATTERN, ATTRIBUTE_NAME_RULE, AttributeValue, checkTags } from '../contact/contact-audience-fields';
import { ATTRIBUTE_OPERATORS, AttributeCondition, ContactFilter } from '../contact/contact-filter';

/** Attribute comparisons one segment may hold. */
export const MAX_ATTRIBUTE_CONDITIONS = 20;
/** Values one `in` comparison may list. */
export const MAX_IN_VALUES = 100;
/** Longest look-back of `last_inbound_within_days` (ten years). */
export const MAX_INBOUND_DAYS = 3650;

/** A segment's filter as the client writes it (and as it is stored): see docs/audiences.md. */
export interface SegmentFilter {
  tags?: { all?: string[]; any?: string[]; none?: string[] };
  attributes?: Array<Record<string, unknown>>;
  opted_in?: boolean;
  opted_out?: boolean;
  last_inbound_within_days?: number;
  received_broadcast?: { broadcast_id: string; received: boolean };
}

const KEYS_OF: Record<string, readonly string[]> = {
  filter: ['tags', 'attributes', 'opted_in', 'opted_out', 'last_inbound_within_days', 'received_broadcast'],
  tags: ['all', 'any', 'none'],
  equals: ['name', 'op', 'value'],
  in: ['name', 'op', 'values'],
  range: ['name', 'op', 'gte', 'gt', 'lte', 'lt'],
  exists: ['name', 'op', 'exists'],
  received_broadcast: ['broadcast_id', 'received'],
};

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

function unknownKeys(value: Record<string, unknown>, allowed: readonly string[], where: string, problems: string[]): void {
  const unknown = Object.keys(value).filter((key) => !allowed.includes(key));
  if (unknown.length > 0) problems.push(`${where} has unknown field(s) ${unknown.map((key) => `"${key.slice(0, 40)}"`).join(', ')}; allowed: ${allowed.join(', ')}`);
}

function valueOf(raw: unknown, where: string, problems: string[]): AttributeValue | undefined {
  const checked = attributeValueOf(raw);
  if (checked.ok) return checked.value;
  problems.push(`${where} ${checked.problem}`);
  return undefined;
}

function boundOf(raw: unknown, where: string, problems: string[]): number | Date | undefined {
  if (raw === undefined) return undefined;
  const value = valueOf(raw, where, problems);
  if (value === undefined) return undefined;
  if (typeof value === 'number' || value instanceof Date) return value;
  problems.push(`${where} must be a number or an ISO 8601 date`);
  return undefined;
}

function conditionOf(raw: unknown, where: string, problems: string[]): AttributeCondition | undefined {
  if (!isObject(raw)) {
    problems.push(`${where} must be an object { name, op, ... }`);
    return undefined;
  }
  const { name, op } = raw;
  if (typeof name !== 'string' || !ATTRIBUTE_NAME_PATTERN.test(name)) {
    problems.push(`${where}.name must be an attribute name (${ATTRIBUTE_NAME_RULE})`);
    return undefined;
  }
  if (typeof op !== 'string' || !(ATTRIBUTE_OPERATORS as readonly string[]).includes(op)) {
    problems.push(`${where}.op must be one of: ${ATTRIBUTE_OPERATORS.join(', ')}`);
    return undefined;
  }
  const before = problems.length;
  unknownKeys(raw, KEYS_OF[op], where, problems);
  let condition: AttributeCondition | undefined;
  switch (op) {
    case 'equals': {
      const value = raw.value === undefined ? (problems.push(`${where}.value is required for equals`), undefined) : valueOf(raw.value, `${where}.value`, problems);
      if (value !== undefined) condition = { name, op, value };
      break;
    }
    case 'in': {
      if (!Array.isArray(raw.values) || raw.values.length === 0 || raw.values.length > MAX_IN_VALUES) {
        problems.push(`${where}.values must be an array of 1 to ${MAX_IN_VALUES} values`);
        break;
      }
      const values = raw.values.map((value, index) => valueOf(value, `${where}.values[${index}]`, problems));
      if (values.every((value) => value !== undefined)) condition = { name, op, values: values };
      break;
    }
    case 'range': {
      const bounds = { gte: boundOf(raw.gte, `${where}.gte`, problems), gt: boundOf(raw.gt, `${where}.gt`, problems), lte: boundOf(raw.lte, `${where}.lte`, problems), lt: boundOf(raw.lt, `${where}.lt`, problems) };
      const given = Object.entries(bounds).filter(([, value]) => value !== undefined);
      if ([raw.gte, raw.gt, raw.lte, raw.lt].every((bound) => bound === undefined)) problems.push(`${where} needs at least one of gte, gt, lte, lt`);
      else condition = { name, op, ...Object.fromEntries(given) };
      break;
    }
    case 'exists':
      if (typeof raw.exists !== 'boolean') problems.push(`${where}.exists must be true or false`);
      else condition = { name, op, exists: raw.exists };
      break;
  }
  return problems.length === before ? condition : undefined;
}

/** What a valid filter is, ready to query: the broadcast a `received_broadcast` names is looked up by the caller. */
export interface CheckedSegmentFilter {
  contacts: ContactFilter;
  receivedBroadcast?: { broadcastId: string; received: boolean };
}

/**
 * Checks a segment filter field by field and translates it into a contact filter: unknown
 * fields, unknown operators and values that are not plain strings, numbers, booleans or dates
 * are problems, so that nothing but the whitelist ever reaches a MongoDB query.
 */
export function checkSegmentFilter(raw: unknown, problems: string[], where = 'filter'): CheckedSegmentFilter | undefined {
  if (!isObject(raw)) {
    problems.push(`${where} must be an object`);
    return undefined;
  }
  const before = problems.length;
  unknownKeys(raw, KEYS_OF.filter, where, problems);
  const contacts: ContactFilter = {};
  if (raw.tags !== undefined) {
    if (!isObject(raw.tags)) problems.push(`${where}.tags must be an object { all, any, none }`);
    else {
      unknownKeys(raw.tags, KEYS_OF.tags, `${where}.tags`, problems);
      const tags: NonNullable<ContactFilter['tags']> = {};
      for (const key of ['all', 'any', 'none'] as const) {
        if (raw.tags[key] !== undefined) tags[key] = checkTags(raw.tags[key], `${where}.tags.${key}`, problems);
      }
      contacts.tags = tags;
    }
  }
  if (raw.attributes !== undefined) {
    if (!Array.isArray(raw.attributes) || raw.attributes.length > MAX_ATTRIBUTE_CONDITIONS) {
      problems.push(`${where}.attributes must be an array of at most ${MAX_ATTRIBUTE_CONDITIONS} comparisons`);
    } else {
      const conditions = raw.attributes.map((condition, index) => conditionOf(condition, `${where}.attributes[${index}]`, problems));
      contacts.attributes = conditions.filter((condition): condition is AttributeCondition => condition !== undefined);
    }
  }
  for (const key of ['opted_in', 'opted_out'] as const) {
    if (raw[key] === undefined) continue;
    if (typeof raw[key] !== 'boolean') problems.push(`${where}.${key} must be true or false`);
    else contacts[key] = raw[key];
  }
  if (raw.last_inbound_within_days !== undefined) {
    const days = raw.last_inbound_within_days;
    if (!Number.isInteger(days) || (days as number) < 1 || (days as number) > MAX_INBOUND_DAYS) {
      problems.push(`${where}.last_inbound_within_days must be a whole number from 1 to ${MAX_INBOUND_DAYS}`);
    } else contacts.last_inbound_within_days = days as number;
  }
  let receivedBroadcast: CheckedSegmentFilter['receivedBroadcast'];
  if (raw.received_broadcast !== undefined) {
    const received = raw.received_broadcast;
    if (!isObject(received)) problems.push(`${where}.received_broadcast must be an object { broadcast_id, received }`);
    else {
      unknownKeys(received, KEYS_OF.received_broadcast, `${where}.received_broadcast`, problems);
      if (typeof received.broadcast_id !== 'string' || !isValidObjectId(received.broadcast_id) || received.broadcast_id.length !== 24) {
        problems.push(`${where}.received_broadcast.broadcast_id must be a 24-character hexadecimal id`);
      } else if (typeof received.received !== 'boolean') {
        problems.push(`${where}.received_broadcast.received must be true (has received it) or false (has not)`);
      } else receivedBroadcast = { broadcastId: received.broadcast_id, received: received.received };
    }
  }
  return problems.length === before ? { contacts, ...(receivedBroadcast ? { receivedBroadcast } : {}) } : undefined;
}
