import type { AttributeValue } from './contact-audience-fields';

/** A comparison of one attribute: the operators a segment may use, and nothing else. */
export type AttributeCondition =
  | { name: string; op: 'equals'; value: AttributeValue }
  | { name: string; op: 'in'; values: AttributeValue[] }
  | { name: string; op: 'range'; gte?: number | Date; gt?: number | Date; lte?: number | Date; lt?: number | Date }
  | { name: string; op: 'exists'; exists: boolean };

export const ATTRIBUTE_OPERATORS = ['equals', 'in', 'range', 'exists'] as const;
export type AttributeOperator = (typeof ATTRIBUTE_OPERATORS)[number];

/**
 * Which of a client's contacts: every condition given must hold. The contact repository
 * translates it field by field into a MongoDB filter (the whitelist); nothing else reaches it.
 */
export interface ContactFilter {
  tags?: { all?: string[]; any?: string[]; none?: string[] };
  attributes?: AttributeCondition[];
  /** Has a current opt-in (an opt-in and no opt-out since), or has not. */
  opted_in?: boolean;
  opted_out?: boolean;
  /** Wrote to any session of the client within this many days. */
  last_inbound_within_days?: number;
  /** Only these numbers (a broadcast's recipients), or none of them. */
  phones?: { in?: string[]; not_in?: string[] };
}
