import { Injectable, Logger } from '@nestjs/common';
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { exportHeader, exportRow } from './contact-csv';
import { ContactRepository } from './contact.repository';

/** Lines gathered into one write. */
const LINES_PER_WRITE = 500;

/** What the export writes to: an HTTP response (headers set here) or any stream. */
export interface ExportTarget extends Writable {
  setHeader?(name: string, value: string): unknown;
}

/** GET /contacts/export: every contact of the client, streamed as the import's CSV shape. */
@Injectable()
export class ContactExportService {
  private readonly logger = new Logger(ContactExportService.name);

  constructor(private readonly contacts: ContactRepository) {}

  /** Writes the CSV, waiting whenever the client reads slower than MongoDB answers, then ends the stream. */
  async write(clientId: string, target: ExportTarget): Promise<void> {
    const attributeNames = await this.contacts.attributeNames(clientId);
    target.setHeader?.('Content-Type', 'text/csv; charset=utf-8');
    target.setHeader?.('Content-Disposition', 'attachment; filename="contacts.csv"');
    let lines: string[] = [exportHeader(attributeNames)];
    const send = async (): Promise<void> => {
      if (!target.write(`${lines.join('\n')}\n`)) await once(target, 'drain');
      lines = [];
    };
    try {
      for await (const contact of this.contacts.streamByFilter(clientId, {})) {
        if (target.destroyed) return;
        lines.push(exportRow(contact, attributeNames));
        if (lines.length >= LINES_PER_WRITE) await send();
      }
      if (lines.length > 0) await send();
      target.end();
    } catch (error) {
      // Headers are gone by now: the cut connection is the only way left to say the file is incomplete.
      this.logger.error({ err: error, clientId }, 'Contact export stopped');
      target.destroy(error instanceof Error ? error : undefined);
    }
  }
}
