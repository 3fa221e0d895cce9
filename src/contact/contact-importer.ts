import { Injectable } from '@nestjs/common';
import { CsvError, parse } from 'csv-parse';
import { createReadStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { finished } from 'node:stream/promises';
import { Types } from 'mongoose';
import { ContactImportRepository, ImportProgress, MAX_LISTED_REJECTIONS } from './contact-import.repository';
import { ContactImportRecord } from './contact-import.schema';
import { ContactColumn, ContactImportRow, readContactRow, RejectedRow } from './contact-csv';
import { ContactRepository, ContactTransferView, ImportWrite } from './contact.repository';
import { MAX_ATTRIBUTES, MAX_TAGS, sameAttributeValue } from './contact-audience-fields';
import { ConsentEvent } from './contact-consent';

/** Rows compared and written together: one query and one bulk write per batch. */
export const IMPORT_BATCH_SIZE = 1000;
/** How often a running import's progress is written to its record (GET /contacts/imports/:id). */
export const PROGRESS_WRITE_INTERVAL_MS = 1000;
/**
 * Longest row read, in bytes: four times the longest row that can be imported (50 attributes of 256
 * characters, 50 tags, name, email, organization and consent text). A longer row stops the import as
 * malformed before csv-parse makes its cells strings: in an import thread, one allocation larger
 * than what is left of its heap would abort the whole API process rather than end the thread.
 */
export const MAX_ROW_BYTES = 64 * 1024;
/** How the error of an import stopped by a malformed line begins. */
export const MALFORMED_LINE_ERROR = 'stopped at a malformed line';
/** The error of an import that stopped on anything but a malformed file (the cause is logged, not shown). */
export const INTERNAL_IMPORT_ERROR = 'the import stopped on an internal error; import the file again (rows already imported are unchanged)';

/** One record of a CSV file, and the line it ends on. */
interface CsvRecord {
  record: string[];
  line: number;
}

/**
 * The records of a CSV file in order, read a file chunk at a time. A malformed line ends them with
 * its CsvError, thrown only after every record before it: csv-parse's own stream drops the records
 * it has buffered when it fails, so they are taken as it parses them (on_record) instead, at most
 * one chunk's worth at a time.
 */
async function* csvRecords(path: string): AsyncGenerator<CsvRecord> {
  const parsed: CsvRecord[] = [];
  // Set by the parser's error event (a holder, so that the checks below read it afresh).
  const stopped: { failure: Error | null } = { failure: null };
  const parser = parse({
    bom: true,
    relax_column_count: true,
    skip_empty_lines: true,
    max_record_size: MAX_ROW_BYTES,
    on_record: (record: string[], { lines }: { lines: number }) => {
      parsed.push({ record, line: lines });
      return null;
    },
  });
  const fail = (error: unknown): void => {
    stopped.failure ??= error instanceof Error ? error : new Error(String(error));
  };
  parser.on('error', fail);
  // Nothing comes out of it (on_record keeps every record): flowing, it never holds up its input.
  parser.resume();
  const source = createReadStream(path);
  try {
    for await (const chunk of source) {
      await new Promise<void>((resolve) => parser.write(chunk, () => resolve()));
      yield* parsed.splice(0);
      if (stopped.failure) throw stopped.failure;
    }
    parser.end();
    await finished(parser).catch(fail);
    yield* parsed.splice(0);
    if (stopped.failure) throw stopped.failure;
  } finally {
    source.destroy();
    parser.destroy();
  }
}

/** A file whose header has been checked, to import into the client's contacts under an import record. */
export interface ContactImportJob {
  clientId: string;
  importId: string;
  path: string;
  columns: ContactColumn[];
}

/** How an import ended: its record (completed or failed), and the unexpected error it stopped on, for the log. */
export interface ContactImportEnd {
  record: ContactImportRecord;
  internalError: unknown;
}

type RowOutcome = { write: ImportWrite | null; kind: 'created' | 'updated' | 'unchanged' } | { rejected: RejectedRow };

/** What one row changes on the contact that has its number (or the contact it creates). */
export function importOutcomeOf(row: ContactImportRow, existing: ContactTransferView | undefined, now: Date): RowOutcome {
  const history: ConsentEvent[] = [];
  if (row.optIn) history.push({ action: 'opt_in', ...row.optIn });
  if (row.optOut) history.push({ action: 'opt_out', at: now, source: 'csv_import', text: null });
  if (!existing) {
    return {
      kind: 'created',
      write: {
        kind: 'insert',
        phone: row.phone,
        fields: { name: row.name ?? `+${row.phone}`, email: row.email ?? null, organization: row.organization ?? null },
        attributes: row.attributes,
        tags: row.tags,
        optIn: row.optIn ?? null,
        optedOutAt: row.optOut ? now : null,
        history,
      },
    };
  }
  const set: Record<string, unknown> = {};
  if (row.name !== undefined && row.name !== existing.name) set.name = row.name;
  if (row.email !== undefined && row.email !== existing.email) set.email = row.email;
  if (row.organization !== undefined && row.organization !== existing.organization) set.organization = row.organization;
  const attributes = existing.attributes ?? {};
  const names = new Set(Object.keys(attributes));
  for (const [name, value] of Object.entries(row.attributes)) {
    names.add(name);
    if (!sameAttributeValue(attributes[name], value)) set[`attributes.${name}`] = value;
  }
  const reasons: string[] = [];
  if (names.size > MAX_ATTRIBUTES) reasons.push(`too many attributes: the contact would hold ${names.size}; at most ${MAX_ATTRIBUTES}`);
  const tags = new Set(existing.tags ?? []);
  const addTags = row.tags.filter((tag) => !tags.has(tag));
  if (tags.size + addTags.length > MAX_TAGS) reasons.push(`too many tags: the contact would carry ${tags.size + addTags.length}; at most ${MAX_TAGS}`);
  if (reasons.length > 0) return { rejected: { line: row.line, number: row.phone, reasons } };
  const current = existing.opt_in;
  const sameOptIn = row.optIn && current && current.at.getTime() === row.optIn.at.getTime() && current.source === row.optIn.source && (current.text ?? null) === row.optIn.text;
  const consent = history.filter(({ action }) => (action === 'opt_in' ? !sameOptIn : existing.opted_out !== true));
  if (row.optIn && !sameOptIn) set.opt_in = row.optIn;
  if (row.optOut && existing.opted_out !== true) Object.assign(set, { opted_out: true, opted_out_at: now, opt_out_changed_at: now });
  if (Object.keys(set).length === 0 && addTags.length === 0) return { kind: 'unchanged', write: null };
  return { kind: 'updated', write: { kind: 'update', id: existing._id, set, addTags, history: consent } };
}

/**
 * Imports one file: read as it streams, upserted by number in batches, its progress added to its
 * record about once a second and the record finished at the end; the file is removed once read.
 * Runs where it is given its repositories: the request's own process for a small file, an import
 * thread with a MongoDB connection of its own for a large one (contact-import-threads.ts).
 */
@Injectable()
export class ContactImporter {
  constructor(
    private readonly contacts: ContactRepository,
    private readonly imports: ContactImportRepository,
  ) {}

  async run({ clientId, importId, path, columns }: ContactImportJob): Promise<ContactImportEnd> {
    const id = new Types.ObjectId(importId);
    let listed = 0;
    let batch = new Map<string, ContactImportRow>();
    let progress = emptyProgress();
    const reject = (row: RejectedRow): void => {
      progress.rejected += 1;
      if (listed < MAX_LISTED_REJECTIONS) {
        progress.rejections.push(row);
        listed += 1;
      }
    };
    let progressWrittenAt = Date.now();
    const writeProgress = async (): Promise<void> => {
      await this.imports.addProgress(id, progress);
      progress = emptyProgress();
      progressWrittenAt = Date.now();
    };
    const flush = async (): Promise<void> => {
      await this.importBatch(clientId, [...batch.values()], progress, reject);
      batch = new Map();
      // One progress write a second, not one a batch: a round trip fewer per batch.
      if (Date.now() - progressWrittenAt >= PROGRESS_WRITE_INTERVAL_MS) await writeProgress();
    };
    let error: string | null = null;
    let internalError: unknown = null;
    try {
      let header = true;
      for await (const { record, line } of csvRecords(path)) {
        if (header) {
          header = false;
          continue;
        }
        progress.rows += 1;
        const row = readContactRow(columns, record, line);
        if ('reasons' in row) {
          reject(row);
          continue;
        }
        // A number twice in a file: the earlier row is written first, so the later one sees it.
        if (batch.has(row.phone)) await flush();
        batch.set(row.phone, row);
        if (batch.size >= IMPORT_BATCH_SIZE) await flush();
      }
      await flush();
      await writeProgress();
    } catch (failure) {
      if (failure instanceof CsvError) {
        error = `${MALFORMED_LINE_ERROR}: ${failure.message}`;
        // The rows before it are imported, the last batch's too.
        try {
          await flush();
        } catch (writeFailure) {
          [error, internalError] = [INTERNAL_IMPORT_ERROR, writeFailure];
        }
      } else [error, internalError] = [INTERNAL_IMPORT_ERROR, failure];
      await this.imports.addProgress(id, progress).catch(() => undefined);
    } finally {
      await rm(path, { force: true });
    }
    const record = await this.imports.finish(id, error);
    return { record: record!, internalError };
  }

  /**
   * One batch: every row first as the upsert of a new contact keyed by number (what it inserts is
   * `created`; no read is needed for a number the client does not have yet), then the rows whose
   * number existed are compared with their contact and written only where they change it.
   */
  private async importBatch(clientId: string, rows: ContactImportRow[], progress: ImportProgress, reject: (row: RejectedRow) => void): Promise<void> {
    if (rows.length === 0) return;
    const now = new Date();
    const inserts = rows.map((row) => importOutcomeOf(row, undefined, now)).flatMap((outcome) => ('write' in outcome && outcome.write ? [outcome.write] : []));
    const created = await this.contacts.applyImport(clientId, inserts);
    progress.created += created.size;
    const existed = rows.filter((_row, index) => !created.has(index));
    if (existed.length === 0) return;
    const found = new Map((await this.contacts.findForImport(clientId, existed.map(({ phone }) => phone))).map((contact) => [contact.phone, contact]));
    const writes: ImportWrite[] = [];
    for (const row of existed) {
      const contact = found.get(row.phone);
      // Deleted between the two steps: the row is imported as new by the next import of the file.
      const outcome = contact ? importOutcomeOf(row, contact, now) : ({ kind: 'unchanged', write: null } as const);
      if ('rejected' in outcome) {
        reject(outcome.rejected);
        continue;
      }
      progress[outcome.kind] += 1;
      if (outcome.write) writes.push(outcome.write);
    }
    await this.contacts.applyImport(clientId, writes);
  }
}

function emptyProgress(): ImportProgress {
  return { rows: 0, created: 0, updated: 0, unchanged: 0, rejected: 0, rejections: [] };
}
