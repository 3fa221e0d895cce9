import { Process, Processor } from '@nestjs/bull';
import { HttpException, Inject, Logger, Optional } from '@nestjs/common';
import type { Job } from 'bull';
import { Readable } from 'node:stream';
import { ProviderError } from '@app/whatsapp';
import { AttachmentService } from '../attachment';
import { AttachmentIntake } from '../attachment/attachment-intake';
import { SessionRepository } from '../auth';
import { CloudApiAccounts } from '../cloud-api/cloud-api-accounts';
import { InboundLedgerRepository } from '../message-log/inbound-ledger.repository';
import { LEDGER_EVENTS, LedgerEvents } from '../message-log/ledger-events';
import type { MessageLogRecord } from '../message-log/message-log.schema';
import { FETCH_MEDIA_JOB, FetchMediaJobData, INBOUND_QUEUE } from './inbound.jobs';

/**
 * Worker side of the inbound queue: fetches a customer's media file from the provider and
 * stores it as an attachment of the client (streamed, typed by its content, within
 * WhatsApp's media limits), then tells the client the message arrived. A file that cannot
 * be kept (too large, a type WhatsApp does not take, gone) leaves the reason on the entry;
 * the message is announced all the same.
 */
@Processor(INBOUND_QUEUE)
export class InboundProcessor {
  private readonly logger = new Logger(InboundProcessor.name);

  constructor(
    private readonly ledger: InboundLedgerRepository,
    private readonly sessions: SessionRepository,
    private readonly accounts: CloudApiAccounts,
    private readonly intake: AttachmentIntake,
    private readonly attachments: AttachmentService,
    @Optional() @Inject(LEDGER_EVENTS) private readonly events?: LedgerEvents,
  ) {}

  @Process(FETCH_MEDIA_JOB)
  async fetchMedia(job: Job<FetchMediaJobData>): Promise<{ status: string }> {
    const entry = await this.ledger.findById(job.data.messageLogId);
    const media = entry?.inbound?.media;
    if (!entry || !media) return { status: 'skipped' };
    if (media.status !== 'pending') return { status: media.status };
    const lastAttempt = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
    // The entry is complete with the update below: its event goes in it (the outbox), when the client listens.
    const clientId = entry.client_id.toHexString();
    const received = this.events && (await this.events.clientsRecordingEvents([clientId], ['message.received'])).has(clientId) ? 'message.received' : null;
    let finished: MessageLogRecord | null;
    try {
      const attachmentId = await this.store(entry, media.provider_media_id);
      finished = await this.ledger.attachMedia(entry, attachmentId, received);
    } catch (error) {
      const transient = error instanceof ProviderError ? error.isTransient : !(error instanceof HttpException);
      if (transient && !lastAttempt) throw error;
      this.logger.warn({ err: error, messageLogId: job.data.messageLogId }, 'Could not keep the media of an inbound message');
      finished = await this.ledger.mediaFailed(entry, reasonOf(error), received);
    }
    if (finished && received) this.events?.messagesReceived([finished]);
    return { status: finished?.inbound?.media?.status ?? 'gone' };
  }

  private async store(entry: MessageLogRecord, providerMediaId: string): Promise<string> {
    const session = await this.sessions.findById(entry.session_id.toHexString());
    if (!session || session.provider !== 'cloud-api' || !session.credentials_encrypted) {
      throw new ProviderError('permanent', 'media_unavailable', "The session's provider cannot fetch media");
    }
    const provider = this.accounts.providerForSession(session);
    const download = await provider.downloadMedia(providerMediaId);
    const upload = await this.intake.store(Readable.from(download.body));
    const attachment = await this.attachments.record(entry.client_id.toHexString(), upload);
    return attachment._id.toHexString();
  }
}

function reasonOf(error: unknown): string {
  if (error instanceof HttpException || error instanceof ProviderError) return error.message;
  return 'The media could not be fetched';
}
