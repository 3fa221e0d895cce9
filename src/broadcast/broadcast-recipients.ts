import { normalizePhoneNumber, splitPhoneNumberList } from '@app/common';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { MAX_TEXT_LENGTH } from '../message-content/dto/message-content.dto';
import type { RecipientListInput } from './dto/create-broadcast.dto';
import {
  keepUsedVariables,
  MAX_VARIABLE_VALUE_LENGTH,
  MAX_VARIABLES_PER_RECIPIENT,
  missingVariables,
  PersonalisableContent,
  RecipientVariables,
  renderVariables,
  requiredVariableNames,
  usedVariableNames,
  VARIABLE_NAME_PATTERN,
  VARIABLE_NAME_RULE,
} from './message-variables';

/** One recipient as given: the number as written, its variables, and where it came from (a CSV line). */
export interface RecipientEntry {
  input: string;
  variables?: RecipientVariables;
  /** The CSV line it was read from. */
  line?: number;
}

/** Numbers parsed between two yields to the event loop (libphonenumber takes ~6 µs a number). */
const NORMALISE_CHUNK_SIZE = 2000;

/** Recipients named in one problem line before "and N more". */
const NAMED_PER_PROBLEM = 10;

/** The problems of one recipient list that are reported, at most; the rest are counted. */
export const MAX_REPORTED_PROBLEMS = 100;
/** Said once under the invalid numbers: a number without its country code is the usual mistake. */
const INVALID_NUMBER_HINT = 'to: give every number with its country code, as in 2348179803743 or +234 817 980 3743 (a local number such as 08179803743 is not enough)';

const describeEntry = (entry: RecipientEntry, number = entry.input): string => (entry.line ? `line ${entry.line} (${number})` : number);

function listed(items: string[]): string {
  const named = items.slice(0, NAMED_PER_PROBLEM).join(', ');
  return items.length > NAMED_PER_PROBLEM ? `${named} and ${items.length - NAMED_PER_PROBLEM} more` : named;
}

/** Checks one recipient's variables (names, count, value types and lengths); `where` names it in problems. */
export function checkVariables(raw: unknown, where: string, problems: string[]): RecipientVariables | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    problems.push(`${where}.variables must be an object of names and values`);
    return undefined;
  }
  const entries = Object.entries(raw as Record<string, unknown>);
  if (entries.length > MAX_VARIABLES_PER_RECIPIENT) {
    problems.push(`${where}.variables has ${entries.length} variables; at most ${MAX_VARIABLES_PER_RECIPIENT} are allowed`);
    return undefined;
  }
  const variables: RecipientVariables = {};
  for (const [name, value] of entries) {
    if (!VARIABLE_NAME_PATTERN.test(name)) {
      problems.push(`${where}.variables: "${name.slice(0, 80)}" is not a variable name (${VARIABLE_NAME_RULE})`);
    } else if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
      problems.push(`${where}.variables.${name} must be a string or a number`);
    } else if (String(value).length > MAX_VARIABLE_VALUE_LENGTH) {
      problems.push(`${where}.variables.${name} is longer than ${MAX_VARIABLE_VALUE_LENGTH} characters`);
    } else {
      variables[name] = String(value);
    }
  }
  return variables;
}

/** The entries of a JSON `to` (string, array of numbers, or array of { number, variables }); problems name each bad entry. */
export function recipientEntriesOf(to: RecipientListInput, problems: string[]): RecipientEntry[] {
  if (typeof to === 'string') return splitPhoneNumberList(to).map((input) => ({ input }));
  const entries: RecipientEntry[] = [];
  to.forEach((item, index) => {
    if (typeof item === 'string') {
      if (item.trim() !== '') entries.push({ input: item.trim() });
      return;
    }
    const where = `to[${index}]`;
    const unknown = Object.keys(item).filter((key) => key !== 'number' && key !== 'variables');
    if (unknown.length > 0) problems.push(`${where} has unknown field(s) ${unknown.map((key) => `"${key.slice(0, 40)}"`).join(', ')}; only number and variables`);
    if (typeof item.number !== 'string' || item.number.trim() === '') {
      problems.push(`${where}.number must be a phone number string`);
      return;
    }
    entries.push({ input: item.number.trim(), variables: checkVariables(item.variables, where, problems) });
  });
  return entries;
}

export interface ResolvedRecipients {
  /** Distinct digits-only numbers, in the order first given. */
  valid: string[];
  /** Inputs that are not valid numbers (distinct), with the reason. */
  invalid: Array<{ input: string; reason: string }>;
  /** The variables the message uses of each valid recipient (same order as `valid`; undefined: none). */
  variables: Array<RecipientVariables | undefined>;
  /** How many recipients have any. */
  personalisedCount: number;
}

/**
 * Normalises and deduplicates the numbers (the first entry of a number wins, variables
 * included), and checks what the message needs of each recipient: a value for every
 * placeholder without a fallback, and a rendered text within WhatsApp's length. Problems
 * name the recipients (and CSV lines); invalid numbers are problems unless `skipInvalid`.
 */
export async function resolveRecipients(
  entries: RecipientEntry[],
  content: PersonalisableContent,
  options: { skipInvalid: boolean },
  problems: string[],
): Promise<ResolvedRecipients> {
  const required = requiredVariableNames(content);
  const used = usedVariableNames(content);
  // One pass, one set, no copy of the list: for 100,000 recipients every extra array, map or
  // per-recipient object is megabytes of heap the request holds until it has been stored.
  const valid: string[] = [];
  const seen = new Set<string>();
  const invalid = new Map<string, string>();
  const variables: Array<RecipientVariables | undefined> = [];
  let personalisedCount = 0;
  const missing = new Map<string, string[]>();
  const tooLong: string[] = [];
  for (let index = 0; index < entries.length; index++) {
    if (index > 0 && index % NORMALISE_CHUNK_SIZE === 0) await yieldToEventLoop();
    const entry = entries[index];
    const parsed = normalizePhoneNumber(entry.input);
    if (!parsed) {
      if (!invalid.has(entry.input)) invalid.set(entry.input, `${entry.line ? `line ${entry.line}: ` : ''}"${entry.input}" is not a valid international phone number`);
      continue;
    }
    // The input itself when it was already in digits-only form: one string kept, not two.
    const number = parsed === entry.input ? entry.input : parsed;
    if (seen.has(number)) continue;
    seen.add(number);
    valid.push(number);
    const kept = keepUsedVariables(entry.variables, used);
    variables.push(kept);
    if (kept) personalisedCount += 1;
    for (const name of missingVariables(required, kept)) {
      const named = missing.get(name);
      if (named) named.push(describeEntry(entry, number));
      else missing.set(name, [describeEntry(entry, number)]);
    }
    if (content.text && used.length > 0 && renderVariables(content.text, kept).length > MAX_TEXT_LENGTH) tooLong.push(describeEntry(entry, number));
  }
  if (invalid.size > 0 && !options.skipInvalid) {
    const reasons = [...invalid.values()];
    // First, so that it survives the cut of a long error list.
    problems.push(INVALID_NUMBER_HINT);
    problems.push(...reasons.slice(0, MAX_REPORTED_PROBLEMS).map((reason) => `to: ${reason}`));
    if (reasons.length > MAX_REPORTED_PROBLEMS) problems.push(`to: ${reasons.length - MAX_REPORTED_PROBLEMS} more invalid numbers`);
  }
  for (const [name, recipients] of missing) {
    problems.push(`{{${name}}} has no value for ${recipients.length} recipient(s): ${listed(recipients)}; give it in their variables or write {{${name}|default}}`);
  }
  if (tooLong.length > 0) problems.push(`message.text is longer than ${MAX_TEXT_LENGTH} characters once filled in for ${tooLong.length} recipient(s): ${listed(tooLong)}`);
  return { valid, invalid: [...invalid].map(([input, reason]) => ({ input, reason })), variables, personalisedCount };
}
