import { InjectQueue } from '@nestjs/bull';
import { Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import type { Job, Queue } from 'bull';
import { BroadcastProgress } from '../broadcast/broadcast-progress';
import { BroadcastStopSignal } from '../broadcast/broadcast-stop.signal';
import { AppConfig } from '../config';
import { ContactService } from '../contact/contact.service';
import { MessageLogRepository } from '../message-log/message-log.repository';
import { MessageSender, SendOutcome } from './message-sender';
import { SEND_JOB, SEND_QUEUE, SendJobData } from './sending.jobs';

export type SendJobResult = SendOutcome | { status: 'skipped'; reason: string };

/**
 * Consumer of the send queue (worker only). Registered with queue.process() rather than
 * @Process() because its concurrency comes from configuration (WORKER_CONCURRENCY).
 */
@Injectable()
export class SendProcessor implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(SendProcessor.name);

  constructor(
    @InjectQueue(SEND_QUEUE) private readonly queue: Queue<SendJobData>,
    private readonly config: AppConfig,
    private readonly messageLogs: MessageLogRepository,
    private readonly sender: MessageSender,
    private readonly progress: BroadcastProgress,
    private readonly stopSignal: BroadcastStopSignal,
    private readonly contacts: ContactService,
  ) {}

  onModuleInit(): void {
    this.queue
      .process(SEND_JOB, this.config.worker.concurrency, (job: Job<SendJobData>) => this.handle(job))
      .catch((error: unknown) => this.logger.error({ err: error }, 'The send queue stopped processing'));
  }

  /** Closing the queue waits for in-flight jobs; then their outcomes are written. */
  async onModuleDestroy(): Promise<void> {
    await this.queue.close();
    await this.progress.flush();
  }

  async handle(job: Job<SendJobData>): Promise<SendJobResult> {
    const lastAttempt = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
    const data = job.data;
    switch (data.kind) {
      case 'broadcast-recipient':
        return this.sendToBroadcastRecipient(data.broadcastId, data.recipient, lastAttempt);
      case 'message':
        return this.sendMessage(data.messageLogId, lastAttempt);
    }
  }

  private async sendToBroadcastRecipient(broadcastId: string, recipient: string, lastAttempt: boolean): Promise<SendJobResult> {
    const stopped = () => this.stopSignal.isRaised(broadcastId);
    if (await stopped()) return { status: 'skipped', reason: 'broadcast stopped' };
    const broadcast = await this.progress.sendContext(broadcastId);
    if (!broadcast || broadcast.status !== 'sending') return { status: 'skipped', reason: 'broadcast not sending' };
    const clientId = broadcast.client_id.toHexString();
    const contact = await this.contacts.findByPhone(clientId, recipient);
    const { text, attachments, location, contactId } = broadcast.message;
    const entry = await this.messageLogs.findOrCreateForBroadcastRecipient({
      clientId,
      sessionId: broadcast.session_id.toHexString(),
      source: 'broadcast',
      broadcastId,
      recipient,
      contact: { contactId: contact?._id.toHexString() ?? null, name: contact?.name ?? null },
      message: {
        text,
        attachments: attachments.map((id) => id.toHexString()),
        location: location ? { lat: location.lat, lng: location.lng, name: location.name, address: location.address } : null,
        contactId: contactId?.toHexString() ?? null,
      },
    });
    const outcome = await this.sender.deliver(entry, { lastAttempt, stopped });
    this.progress.record(broadcastId, recipient, outcome.status);
    return outcome;
  }

  private async sendMessage(messageLogId: string, lastAttempt: boolean): Promise<SendJobResult> {
    const entry = await this.messageLogs.findById(messageLogId);
    if (!entry) return { status: 'skipped', reason: 'message log not found' };
    return this.sender.deliver(entry, { lastAttempt });
  }
}
