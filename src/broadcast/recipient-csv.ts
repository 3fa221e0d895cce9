import type { Request } from 'express';
import type { StorageEngine } from 'multer';
import type { MulterModuleOptions } from '@nestjs/platform-express';
import { CsvError, parse } from 'csv-parse';
import type { Readable } from 'node:stream';
import { MAX_REPORTED_PROBLEMS, RecipientEntry } from './broadcast-recipients';
import { MAX_VARIABLE_VALUE_LENGTH, MAX_VARIABLES_PER_RECIPIENT, RecipientVariables, VARIABLE_NAME_PATTERN, VARIABLE_NAME_RULE } from './message-variables';

/** Column names that hold the phone number (compared without case). */
export const NUMBER_COLUMNS = ['number', 'phone'];
/** A recipient list larger than this is refused while it streams (100,000 rows take ~3-5 MB). */
export const MAX_CSV_BYTES = 32 * 1024 * 1024;
/** The multipart field of the file. */
export const CSV_FILE_FIELD = 'file';

/** A recipient list read from CSV: its entries (each with its line) and what was wrong with it. */
export interface RecipientCsv {
  entries: RecipientEntry[];
  problems: string[];
}

/** What the upload interceptor hands the controller for the file part. */
export interface UploadedRecipientCsv extends Express.Multer.File {
  recipients: RecipientCsv;
}

interface Header {
  numberColumn: number;
  /** Variable name per column (undefined for the number column). */
  names: Array<string | undefined>;
}

function readHeader(fields: string[], problems: string[]): Header | null {
  const lowered = fields.map((field) => field.trim().toLowerCase());
  const numberColumns = lowered.flatMap((field, index) => (NUMBER_COLUMNS.includes(field) ? [index] : []));
  if (numberColumns.length !== 1) {
    problems.push(
      numberColumns.length === 0
        ? `line 1: the header row needs a column named ${NUMBER_COLUMNS.join(' or ')} (found: ${fields.map((field) => `"${field.slice(0, 40)}"`).join(', ')})`
        : `line 1: the header row has more than one ${NUMBER_COLUMNS.join('/')} column`,
    );
    return null;
  }
  const names = fields.map((field, index) => (index === numberColumns[0] ? undefined : field.trim()));
  const seen = new Set<string>();
  for (const name of names) {
    if (name === undefined) continue;
    if (!VARIABLE_NAME_PATTERN.test(name)) {
      problems.push(`line 1: column "${name.slice(0, 40)}" is not a variable name (${VARIABLE_NAME_RULE})`);
    } else if (seen.has(name)) {
      problems.push(`line 1: column "${name}" appears twice`);
    }
    seen.add(name);
  }
  if (seen.size > MAX_VARIABLES_PER_RECIPIENT) problems.push(`line 1: at most ${MAX_VARIABLES_PER_RECIPIENT} variable columns are allowed`);
  return problems.length > 0 ? null : { numberColumn: numberColumns[0], names };
}

/**
 * Reads a recipient list as it streams, row by row (csv-parse): a header row with one
 * `number` (or `phone`) column, every other column a variable. Quoted fields, a UTF-8 BOM
 * and blank lines are handled; an empty cell gives the recipient no value for that variable.
 * A bad row is reported with its line number; reading stops after `maxRows` rows, at a bad header
 * or at a malformed line (unclosed quote), and the rest of the stream is drained.
 */
export async function readRecipientCsv(source: Readable, maxRows: number): Promise<RecipientCsv> {
  const problems: string[] = [];
  let unreported = 0;
  const report = (problem: string): void => {
    if (problems.length < MAX_REPORTED_PROBLEMS) problems.push(problem);
    else unreported += 1;
  };
  const entries: RecipientEntry[] = [];
  let header: Header | null = null;
  let rows = 0;
  let stopped = false;
  /** Reads one row; false once reading should stop. */
  const accept = (record: string[], line: number): boolean => {
    if (!header) {
      header = readHeader(record, problems);
      return header !== null;
    }
    rows += 1;
    if (rows > maxRows) {
      report(`the file has more than ${maxRows} recipient rows; at most ${maxRows} are allowed per broadcast`);
      return false;
    }
    if (record.length !== header.names.length) {
      report(`line ${line}: has ${record.length} fields; the header has ${header.names.length}`);
      return true;
    }
    const input = record[header.numberColumn].trim();
    if (input === '') {
      report(`line ${line}: the ${NUMBER_COLUMNS.join('/')} column is empty`);
      return true;
    }
    let variables: RecipientVariables | undefined;
    header.names.forEach((name, index) => {
      const value = record[index];
      if (name === undefined || value === '') return;
      if (value.length > MAX_VARIABLE_VALUE_LENGTH) report(`line ${line}: ${name} is longer than ${MAX_VARIABLE_VALUE_LENGTH} characters`);
      else (variables ??= {})[name] = value;
    });
    entries.push(variables ? { input, variables, line } : { input, line });
    return true;
  };
  // Each row is read in the parser's callback and dropped there: nothing is queued in the stream, so
  // the rows' arrays and csv-parse's per-row objects die young instead of piling up in the old heap.
  const parser = parse({
    bom: true,
    relax_column_count: true,
    skip_empty_lines: true,
    skip_records_with_empty_values: true,
    // The one record ever passed on is the row that stops the reading.
    on_record: (record: string[], { lines }: { lines: number }) => {
      if (stopped || accept(record, lines)) return null;
      stopped = true;
      return record;
    },
  });
  source.pipe(parser);
  try {
    for await (const _stop of parser as AsyncIterable<string[]>) break;
  } catch (error) {
    if (!(error instanceof CsvError)) throw error;
    report(`line ${(error as CsvError & { lines?: number }).lines ?? '?'}: ${error.message.replace(/^Invalid [^:]*: /, '')}`);
  } finally {
    // Stopped early: the rest of the upload is read and dropped, so that the request completes.
    source.unpipe(parser);
    source.resume();
  }
  if (!header && problems.length === 0) problems.push('the file is empty: it needs a header row and one row per recipient');
  if (unreported > 0) problems.push(`${unreported} more problems`);
  return { entries, problems };
}

/** A multer storage engine that reads the CSV part as it streams; nothing is stored. */
class RecipientCsvEngine implements StorageEngine {
  constructor(private readonly maxRows: number) {}

  _handleFile(_request: Request, file: Express.Multer.File, callback: (error?: unknown, info?: Partial<UploadedRecipientCsv>) => void): void {
    readRecipientCsv(file.stream, this.maxRows).then(
      (recipients) => callback(null, { recipients }),
      (error: unknown) => callback(error),
    );
  }

  _removeFile(_request: Request, _file: Express.Multer.File, callback: (error: Error | null) => void): void {
    callback(null);
  }
}

/** Multipart limits of POST /broadcast/csv: the file, and a few small text fields (the message as JSON among them). */
export function recipientCsvUploadOptions(maxRows: number): MulterModuleOptions {
  return {
    storage: new RecipientCsvEngine(maxRows),
    limits: { files: 1, fields: 8, fieldSize: 64 * 1024, parts: 9, fileSize: MAX_CSV_BYTES },
  };
}
