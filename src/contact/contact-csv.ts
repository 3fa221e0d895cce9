import { normalizePhoneNumber } from '@app/common';
import {
  ATTRIBUTE_NAME_PATTERN,
  ATTRIBUTE_NAME_RULE,
  attributeCellOf,
  attributeValueOfCell,
  ContactAttributes,
  MAX_ATTRIBUTES,
  MAX_TAGS,
  normaliseTag,
} from './contact-audience-fields';
import { CONSENT_SOURCES, ConsentSource, MAX_CONSENT_TEXT_LENGTH, OptIn } from './contact-consent';
import type { ContactTransferView } from './contact.repository';

/**
 * The CSV shape of contacts, read by POST /contacts/import and written by GET /contacts/export:
 * `number`, `name`, `email`, `organization`, `tags` (separated by `;`), one `attr.<name>` column
 * per attribute, and the consent columns `opt_in_at`, `opt_in_source`, `opt_in_text`, `opted_out`.
 */

export const NUMBER_COLUMN = 'number';
/** Also accepted for the number column. */
const NUMBER_ALIASES = ['number', 'phone'];
export const ATTRIBUTE_COLUMN_PREFIX = 'attr.';
export const TAG_SEPARATOR = ';';
const FIXED_COLUMNS = ['name', 'email', 'organization', 'tags', 'opt_in_at', 'opt_in_source', 'opt_in_text', 'opted_out'] as const;
type FixedColumn = (typeof FIXED_COLUMNS)[number];

export type ContactColumn = { kind: 'number' } | { kind: FixedColumn } | { kind: 'attribute'; name: string };

/** Cells starting with these would run as a formula in a spreadsheet (OWASP's list): they are written after a `'`. */
const FORMULA_START = /^[=+\-@\t\r]/;
const SIMPLE_EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const ISO_TIMESTAMP = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2}))?$/;

/** The columns of a header row; problems name each bad column. */
export function readContactHeader(fields: string[], problems: string[]): ContactColumn[] | null {
  const columns: ContactColumn[] = [];
  const seen = new Set<string>();
  let attributes = 0;
  for (const raw of fields) {
    const field = raw.trim();
    const lowered = field.toLowerCase();
    const key = NUMBER_ALIASES.includes(lowered) ? NUMBER_COLUMN : field.startsWith(ATTRIBUTE_COLUMN_PREFIX) ? field : lowered;
    if (seen.has(key)) problems.push(`line 1: column "${field.slice(0, 60)}" appears twice`);
    seen.add(key);
    if (key === NUMBER_COLUMN) columns.push({ kind: 'number' });
    else if ((FIXED_COLUMNS as readonly string[]).includes(key)) columns.push({ kind: key as FixedColumn });
    else if (key.startsWith(ATTRIBUTE_COLUMN_PREFIX) && ATTRIBUTE_NAME_PATTERN.test(key.slice(ATTRIBUTE_COLUMN_PREFIX.length))) {
      columns.push({ kind: 'attribute', name: key.slice(ATTRIBUTE_COLUMN_PREFIX.length) });
      attributes += 1;
    } else if (key.startsWith(ATTRIBUTE_COLUMN_PREFIX)) {
      problems.push(`line 1: "${field.slice(0, 60)}" is not an attribute column (attr. then ${ATTRIBUTE_NAME_RULE})`);
    } else {
      problems.push(`line 1: unknown column "${field.slice(0, 60)}" (expected ${NUMBER_COLUMN}, ${FIXED_COLUMNS.join(', ')} or attr.<name>)`);
    }
  }
  if (!seen.has(NUMBER_COLUMN)) problems.push(`line 1: the header row needs a column named ${NUMBER_ALIASES.join(' or ')}`);
  if (attributes > MAX_ATTRIBUTES) problems.push(`line 1: ${attributes} attribute columns; a contact holds at most ${MAX_ATTRIBUTES}`);
  return problems.length > 0 ? null : columns;
}

/** One row of an import, checked: what it sets on the contact with its number. */
export interface ContactImportRow {
  line: number;
  phone: string;
  name?: string;
  email?: string;
  organization?: string;
  attributes: ContactAttributes;
  tags: string[];
  optIn?: OptIn;
  optOut: boolean;
}

/** A row that was not imported: its line, its number as written, and every reason. */
export interface RejectedRow {
  line: number;
  number: string;
  reasons: string[];
}

/** A cell as the export wrote it: a formula-escaped cell loses its `'`. */
export function unescapeCell(cell: string): string {
  return cell.startsWith("'") && FORMULA_START.test(cell.slice(1)) ? cell.slice(1) : cell;
}

/** Reads one data row; a row with any problem is rejected whole, with every reason. */
export function readContactRow(columns: ContactColumn[], record: string[], line: number): ContactImportRow | RejectedRow {
  const numberIndex = columns.findIndex(({ kind }) => kind === 'number');
  const written = (record[numberIndex] ?? '').trim();
  const reasons: string[] = [];
  if (record.length !== columns.length) {
    return { line, number: written, reasons: [`has ${record.length} fields; the header has ${columns.length}`] };
  }
  const phone = written === '' ? null : normalizePhoneNumber(unescapeCell(written));
  if (!phone) reasons.push(written === '' ? 'bad number: the number is empty' : `bad number: "${written.slice(0, 40)}" is not a valid international phone number`);
  const row: ContactImportRow = { line, phone: phone ?? '', attributes: {}, tags: [], optOut: false };
  let optInAt: Date | undefined;
  let optInSource: ConsentSource = 'csv_import';
  let optInText: string | null = null;
  let consentGiven = false;
  columns.forEach((column, index) => {
    const cell = unescapeCell(record[index].trim());
    switch (column.kind) {
      case 'number':
        return;
      case 'name':
        if (cell.length > 200) reasons.push('name is longer than 200 characters');
        else if (cell !== '') row.name = cell;
        return;
      case 'email':
        if (cell !== '' && (cell.length > 320 || !SIMPLE_EMAIL.test(cell))) reasons.push(`bad email: "${cell.slice(0, 60)}"`);
        else if (cell !== '') row.email = cell;
        return;
      case 'organization':
        if (cell.length > 200) reasons.push('organization is longer than 200 characters');
        else if (cell !== '') row.organization = cell;
        return;
      case 'tags': {
        const tags = new Set<string>();
        for (const raw of cell.split(TAG_SEPARATOR)) {
          if (raw.trim() === '') continue;
          const tag = normaliseTag(raw);
          if (tag) tags.add(tag);
          else reasons.push(`bad tag: "${raw.trim().slice(0, 40)}" (1 to 40 letters, digits, _, -, : or .)`);
        }
        if (tags.size > MAX_TAGS) reasons.push(`too many tags: ${tags.size}; a contact carries at most ${MAX_TAGS}`);
        row.tags = [...tags];
        return;
      }
      case 'attribute': {
        if (cell === '') return;
        const value = attributeValueOfCell(cell);
        if (value.ok) row.attributes[column.name] = value.value;
        else reasons.push(`bad attribute ${column.name}: ${value.problem}`);
        return;
      }
      case 'opt_in_at':
        if (cell === '') return;
        if (!ISO_TIMESTAMP.test(cell) || Number.isNaN(new Date(cell).getTime())) reasons.push(`bad opt_in_at: "${cell.slice(0, 40)}" is not an ISO 8601 date`);
        else if (new Date(cell).getTime() > Date.now() + 60_000) reasons.push('bad opt_in_at: it is in the future');
        else optInAt = new Date(cell);
        return;
      case 'opt_in_source':
        if (cell === '') return;
        consentGiven = true;
        if ((CONSENT_SOURCES as readonly string[]).includes(cell)) optInSource = cell as ConsentSource;
        else reasons.push(`bad opt_in_source: "${cell.slice(0, 40)}" (one of ${CONSENT_SOURCES.join(', ')})`);
        return;
      case 'opt_in_text':
        if (cell === '') return;
        consentGiven = true;
        if (cell.length > MAX_CONSENT_TEXT_LENGTH) reasons.push(`opt_in_text is longer than ${MAX_CONSENT_TEXT_LENGTH} characters`);
        else optInText = cell;
        return;
      case 'opted_out':
        if (cell === 'true') row.optOut = true;
        else if (cell !== '' && cell !== 'false') reasons.push(`bad opted_out: "${cell.slice(0, 20)}" (true or false)`);
        return;
    }
  });
  if (consentGiven && !optInAt && !reasons.some((reason) => reason.startsWith('bad opt_in_at'))) reasons.push('opt_in_source and opt_in_text need opt_in_at (when the person opted in)');
  if (optInAt) row.optIn = { at: optInAt, source: optInSource, text: optInText };
  if (Object.keys(row.attributes).length > MAX_ATTRIBUTES) reasons.push(`too many attributes; a contact holds at most ${MAX_ATTRIBUTES}`);
  return reasons.length > 0 ? { line, number: written, reasons } : row;
}

/** A cell of the export: formula-escaped, and quoted when it holds a comma, quote or line break. */
export function csvCell(value: string): string {
  const safe = FORMULA_START.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

/** The export's header for these attribute names. */
export function exportHeader(attributeNames: string[]): string {
  return [NUMBER_COLUMN, 'name', 'email', 'organization', 'tags', ...attributeNames.map((name) => `${ATTRIBUTE_COLUMN_PREFIX}${name}`), 'opt_in_at', 'opt_in_source', 'opt_in_text', 'opted_out']
    .map(csvCell)
    .join(',');
}

/** One contact as an export line (without its line break). */
export function exportRow(contact: ContactTransferView, attributeNames: string[]): string {
  const attributes = contact.attributes ?? {};
  return [
    contact.phone,
    contact.name,
    contact.email ?? '',
    contact.organization ?? '',
    (contact.tags ?? []).join(TAG_SEPARATOR),
    ...attributeNames.map((name) => (Object.hasOwn(attributes, name) && attributes[name] !== undefined ? attributeCellOf(attributes[name]) : '')),
    contact.opt_in ? contact.opt_in.at.toISOString() : '',
    contact.opt_in?.source ?? '',
    contact.opt_in?.text ?? '',
    contact.opted_out === true ? 'true' : 'false',
  ]
    .map(csvCell)
    .join(',');
}
