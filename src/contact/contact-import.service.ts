import { Injectable, Logger, NotFoundException } from '@nestjs/common';
import { parse } from 'csv-parse';
import { open, rm } from 'node:fs/promises';
import { InputValidationException } from '@app/common';
import { ContactImportRepository } from './contact-import.repository';
import { ContactImportRecord } from './contact-import.schema';
import { ContactColumn, readContactHeader } from './contact-csv';
import { ContactImporter, ContactImportJob } from './contact-importer';
import { ContactImportThreads } from './contact-import-threads';

/** A file this small is imported before the request is answered; a larger one in the background. */
export const INLINE_IMPORT_MAX_BYTES = 1024 * 1024;
/** A running or queued import whose record has not moved for this long was interrupted (its process stopped). */
export const IMPORT_STALE_AFTER_MS = 2 * 60 * 1000;
/** Bytes read to find the header row. */
const HEADER_PROBE_BYTES = 64 * 1024;

/** An import as GET /contacts/imports/:id shows it: `interrupted` when its process stopped mid-way. */
export type ContactImportView = Omit<ContactImportRecord, 'status'> & { status: ContactImportRecord['status'] | 'interrupted' };

/** An uploaded file on local disk (multer's disk storage). */
export interface UploadedImportFile {
  path: string;
  size: number;
}

/**
 * POST /contacts/import: a CSV read as it streams from the uploaded file, upserted by number in
 * batches, with a report of what it created, updated, left unchanged and rejected (by line). The
 * same file imported again changes nothing. A small file is imported in the request, before the
 * answer; a larger one in the background, in a thread of its own with a bounded heap
 * (ContactImportThreads), its progress in its record.
 */
@Injectable()
export class ContactImportService {
  private readonly logger = new Logger(ContactImportService.name);

  constructor(
    private readonly imports: ContactImportRepository,
    private readonly importer: ContactImporter,
    private readonly threads: ContactImportThreads,
  ) {}

  /** Checks the header (400 naming each bad column, nothing written), then imports; `finished` once the report is complete. */
  async start(clientId: string, file: UploadedImportFile): Promise<{ record: ContactImportView; finished: boolean }> {
    let columns: ContactColumn[];
    try {
      columns = await this.headerOf(file.path);
    } catch (error) {
      await rm(file.path, { force: true });
      throw error;
    }
    const record = await this.imports.create(clientId, file.size);
    const job: ContactImportJob = { clientId, importId: record._id.toHexString(), path: file.path, columns };
    if (file.size > INLINE_IMPORT_MAX_BYTES) {
      void this.threads.run(job);
      return { record, finished: false };
    }
    const { record: finished, internalError } = await this.importer.run(job);
    if (internalError) this.logger.error({ err: internalError, importId: job.importId }, 'Contact import stopped');
    return { record: viewOf(finished), finished: true };
  }

  async get(clientId: string, id: string): Promise<ContactImportView> {
    const found = await this.imports.findOwned(clientId, id);
    if (!found) throw new NotFoundException(`Import ${id} not found`);
    return viewOf(found);
  }

  private async headerOf(path: string): Promise<ContactColumn[]> {
    const handle = await open(path, 'r');
    let text: string;
    try {
      const buffer = Buffer.alloc(HEADER_PROBE_BYTES);
      const { bytesRead } = await handle.read(buffer, 0, HEADER_PROBE_BYTES, 0);
      text = buffer.subarray(0, bytesRead).toString('utf8').replace(/^\uFEFF/, '');
    } finally {
      await handle.close();
    }
    const firstLine = text.split(/\r?\n/).find((line) => line.trim() !== '');
    if (firstLine === undefined) throw new InputValidationException(['the file is empty: it needs a header row and one row per contact']);
    const fields = await new Promise<string[]>((resolve, reject) =>
      parse(firstLine, { relax_quotes: false }, (error, records: string[][]) => (error ? reject(error) : resolve(records[0] ?? []))),
    ).catch((error: unknown) => {
      throw new InputValidationException([`line 1: ${error instanceof Error ? error.message : 'the header row cannot be read'}`]);
    });
    const problems: string[] = [];
    const columns = readContactHeader(fields, problems);
    if (!columns) throw new InputValidationException(problems);
    return columns;
  }
}

function viewOf(record: ContactImportRecord): ContactImportView {
  const stale = (record.status === 'running' || record.status === 'queued') && Date.now() - record.updatedAt.getTime() > IMPORT_STALE_AFTER_MS;
  return stale ? { ...record, status: 'interrupted' } : record;
}
