import { Injectable, Logger } from '@nestjs/common';
import { BroadcastRecipientListRepository } from '../broadcast/broadcast-recipient-list.repository';
import { csvCell } from '../contact/contact-csv';
import type { ExportTarget } from '../contact/contact-export.service';
import { BroadcastResultsRepository, RecipientResult } from '../message-log/broadcast-results.repository';
import type { RecipientFailure } from '../broadcast/broadcast.schema';
import { isUnsent } from '../message-status/message-status';

/** Recipients read per step (and lines gathered into one write). */
const RECIPIENTS_PER_CHUNK = 500;

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

/** Writes, then waits while the client is behind (or until it goes away), leaving no listener behind. */
async function send(target: ExportTarget, text: string): Promise<void> {
  if (target.write(text)) return;
  await new Promise<void>((resolve) => {
    const done = (): void => {
      target.off('drain', done);
      target.off('close', done);
      resolve();
    };
    target.on('drain', done);
    target.on('close', done);
  });
}

const iso = (at: Date | null | undefined): string => (at ? at.toISOString() : '');

/** A line of a recipient with a message in the ledger. */
export function messageRow(entry: RecipientResult): string {
  return [
    entry.recipient,
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
    .map(csvCell)
    .join(',');
}

/** A line of a recipient without a message: refused at creation (with the reason), or still waiting to be sent. */
export function unsentRow(recipient: string, refused: RecipientFailure | null): string {
  return [recipient, '', refused ? 'failed' : 'pending', '', '', '', '', refused?.code ?? '', refused?.message ?? '', '0'].map(csvCell).join(',');
}

/**
 * GET /broadcast/:id/recipients.csv: one line per recipient, streamed as it is read, in three
 * passes: the messages the sender has finished with (one cursor over the broadcast's ledger
 * entries, in send order), the recipients refused at creation (stored with the broadcast), then
 * those still pending (each piece's messages looked up by their unique uid, so one that finished
 * meanwhile is not written twice). It waits whenever the client reads slower than MongoDB answers:
 * memory holds one piece, whatever the broadcast's size.
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
    const startedAt = Date.now();
    try {
      await send(target, `${RECIPIENT_EXPORT_COLUMNS.join(',')}\n`);
      for await (const entries of this.results.finishedResults(clientId, broadcastId, RECIPIENTS_PER_CHUNK)) {
        if (target.destroyed) return;
        await send(target, `${entries.map(messageRow).join('\n')}\n`);
      }
      for await (const refused of this.recipientLists.storedFailureChunks(clientId, broadcastId, RECIPIENTS_PER_CHUNK)) {
        if (target.destroyed) return;
        await send(target, `${refused.map((failure) => unsentRow(failure.recipient, failure)).join('\n')}\n`);
      }
      for await (const pending of this.recipientLists.recipientChunks(clientId, broadcastId, 'pending', RECIPIENTS_PER_CHUNK)) {
        if (target.destroyed) return;
        const entries = await this.results.recipientResults(clientId, broadcastId, pending);
        // Finished before the export began: the first pass wrote it (the broadcast's progress write lags). Finished since: not yet written.
        const lines = pending.flatMap((recipient) => {
          const entry = entries.get(recipient);
          if (!entry) return [unsentRow(recipient, null)];
          const finishedAt = entry.status_times.sentAt ?? entry.status_times.failedAt;
          return isUnsent(entry.status) || (finishedAt !== null && finishedAt.getTime() >= startedAt) ? [messageRow(entry)] : [];
        });
        if (lines.length > 0) await send(target, `${lines.join('\n')}\n`);
      }
      target.end();
    } catch (error) {
      // Headers are gone by now: the cut connection is the only way left to say the file is incomplete.
      this.logger.error({ err: error, broadcastId }, 'Recipient export stopped');
      target.destroy(error instanceof Error ? error : undefined);
    }
  }
}
