import { Injectable, Logger } from '@nestjs/common';
import { once } from 'node:events';
import { BroadcastRecipientListRepository, RecipientArray } from '../broadcast/broadcast-recipient-list.repository';
import { csvCell } from '../contact/contact-csv';
import type { ExportTarget } from '../contact/contact-export.service';
import { BroadcastResultsRepository, RecipientResult } from '../message-log/broadcast-results.repository';
import type { RecipientFailure } from '../broadcast/broadcast.schema';

/** Recipients read (and their ledger entries looked up) per step; also the lines gathered into one write. */
const RECIPIENTS_PER_CHUNK = 500;

/** Sent first (in send order), then failed, then those still pending. */
const ARRAY_ORDER: readonly RecipientArray[] = ['sent', 'failed', 'pending'];

export const RECIPIENT_EXPORT_COLUMNS = [
  'number',
  'contact_name',
  'status',
  'sent_at',
  'delivered_at',
  'read_at',
  'replied_at',
  'failure_code',
  'failure_reason',
  'cost_usd_cents',
] as const;

/** Writes, then waits while the client is behind (or until it goes away). */
async function send(target: ExportTarget, text: string): Promise<void> {
  if (!target.write(text)) await Promise.race([once(target, 'drain'), once(target, 'close')]);
}

const iso = (at: Date | null | undefined): string => (at ? at.toISOString() : '');

/** One recipient's line: their message in the ledger, else where the broadcast holds them (and a reason stored with it). */
export function recipientExportRow(recipient: string, array: RecipientArray, entry: RecipientResult | undefined, stored: RecipientFailure | undefined): string {
  const cells = entry
    ? [
        recipient,
        entry.contact?.name ?? '',
        entry.status,
        iso(entry.status_times.sentAt),
        iso(entry.status_times.deliveredAt ?? (entry.status === 'read' ? entry.status_times.readAt : null)),
        iso(entry.status_times.readAt),
        iso(entry.replied_at),
        entry.error?.code ?? '',
        entry.error?.message ?? '',
        String(entry.cost_in_usd_cents ?? 0),
      ]
    : [recipient, '', array, '', '', '', '', stored?.code ?? '', stored?.message ?? '', '0'];
  return cells.map(csvCell).join(',');
}

/**
 * GET /broadcast/:id/recipients.csv: one line per recipient, streamed as it is read (the
 * recipient arrays piece by piece, each piece's ledger entries in one query), waiting whenever
 * the client reads slower than MongoDB answers. Memory holds one piece, whatever the size.
 */
@Injectable()
export class RecipientExportService {
  private readonly logger = new Logger(RecipientExportService.name);

  constructor(
    private readonly recipientLists: BroadcastRecipientListRepository,
    private readonly results: BroadcastResultsRepository,
  ) {}

  async write(clientId: string, broadcastId: string, target: ExportTarget): Promise<void> {
    target.setHeader?.('Content-Type', 'text/csv; charset=utf-8');
    target.setHeader?.('Content-Disposition', `attachment; filename="broadcast-${broadcastId}-recipients.csv"`);
    try {
      await send(target, `${RECIPIENT_EXPORT_COLUMNS.join(',')}\n`);
      for (const array of ARRAY_ORDER) {
        for await (const recipients of this.recipientLists.recipientChunks(clientId, broadcastId, array, RECIPIENTS_PER_CHUNK)) {
          if (target.destroyed) return;
          const entries = await this.results.recipientResults(clientId, broadcastId, recipients);
          const missing = array === 'failed' ? recipients.filter((recipient) => !entries.has(recipient)) : [];
          const stored = await this.recipientLists.storedFailuresOf(clientId, broadcastId, missing);
          const lines = recipients.map((recipient) => recipientExportRow(recipient, array, entries.get(recipient), stored.get(recipient)));
          await send(target, `${lines.join('\n')}\n`);
        }
      }
      target.end();
    } catch (error) {
      // Headers are gone by now: the cut connection is the only way left to say the file is incomplete.
      this.logger.error({ err: error, broadcastId }, 'Recipient export stopped');
      target.destroy(error instanceof Error ? error : undefined);
    }
  }
}
