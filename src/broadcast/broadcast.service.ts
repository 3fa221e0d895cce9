import { ConflictException, Injectable, Logger, NotFoundException, ServiceUnavailableException } from '@nestjs/common';
import { InputValidationException, normalisePhoneNumbers, PageRequest, PageResult, splitPhoneNumberList } from '@app/common';
import { AppConfig } from '../config';
import { MessageLogRepository } from '../message-log/message-log.repository';
import { MessageContentValidator } from '../message-content/message-content.validator';
import { BroadcastSendJobs } from './broadcast-send-jobs';
import { BroadcastStopSignal } from './broadcast-stop.signal';
import { BroadcastQueue } from './broadcast.queue';
import { BroadcastRepository } from './broadcast.repository';
import { BroadcastRecord, RecipientFailure } from './broadcast.schema';
import { CreateBroadcastDto } from './dto/create-broadcast.dto';

/** Code of the failure reason of a number that could not be parsed (skip_invalid). */
export const INVALID_NUMBER_CODE = 'invalid_number';

/** A broadcast with the reason of every recipient in `failed`. */
export type BroadcastWithFailures = BroadcastRecord;

@Injectable()
export class BroadcastService {
  private readonly logger = new Logger(BroadcastService.name);

  constructor(
    private readonly broadcasts: BroadcastRepository,
    private readonly contentValidator: MessageContentValidator,
    private readonly messageLogs: MessageLogRepository,
    private readonly sendJobs: BroadcastSendJobs,
    private readonly broadcastQueue: BroadcastQueue,
    private readonly stopSignal: BroadcastStopSignal,
    private readonly config: AppConfig,
  ) {}

  /**
   * Validates everything first (400 naming each problem, nothing written), stores the
   * broadcast with every recipient in `pending`, then durably schedules its fan-out.
   */
  async create(clientId: string, sessionId: string, body: CreateBroadcastDto): Promise<BroadcastRecord> {
    const problems: string[] = [];
    const message = await this.contentValidator.check(clientId, { message: body.message }, problems, { templatesAccepted: false });
    const entries = splitPhoneNumberList(body.to);
    if (entries.length === 0) problems.push('to must contain at least one phone number');
    const { valid, invalid } = await normalisePhoneNumbers(entries);
    if (invalid.length > 0 && !body.skip_invalid) {
      problems.push(...invalid.map(({ reason }) => `to: ${reason}`));
    }
    const max = this.config.sending.broadcastMaxRecipients;
    if (valid.length > max) problems.push(`to has ${valid.length} distinct recipients; at most ${max} are allowed per broadcast`);
    if (problems.length > 0) throw new InputValidationException(problems);

    const invalidInputs = [...new Set(invalid.map(({ input }) => input))];
    const broadcast = await this.broadcasts.create({
      clientId,
      sessionId,
      sendType: body.send_type,
      to: entries.join(','),
      message,
      pending: valid,
      failed: invalidInputs,
      failures: invalidInputs.map((input) => ({
        recipient: input,
        code: INVALID_NUMBER_CODE,
        message: `"${input}" is not a valid international phone number`,
      })),
    });
    if (broadcast.status !== 'sending') return broadcast;
    try {
      await this.broadcastQueue.scheduleFanOut(broadcast._id.toHexString());
    } catch (error) {
      // Without a scheduled fan-out nothing would ever send: undo, so that the client can simply retry.
      this.logger.error({ err: error, broadcastId: broadcast._id }, 'Could not schedule the fan-out of a broadcast');
      await this.broadcasts.delete(clientId, broadcast._id.toHexString());
      throw new ServiceUnavailableException('The queue is unavailable; the broadcast was not created. Try again shortly.');
    }
    return broadcast;
  }

  list(clientId: string, sessionId: string | null, page: PageRequest): Promise<PageResult<BroadcastRecord>> {
    return this.broadcasts.list(clientId, sessionId, page);
  }

  /** The broadcast, with `failures` holding the reason of every recipient in `failed`. */
  async get(clientId: string, id: string): Promise<BroadcastWithFailures> {
    const broadcast = await this.requireOwned(clientId, id);
    if (broadcast.failed.length === broadcast.failures.length) return broadcast;
    const failed = new Set(broadcast.failed);
    const known = new Set(broadcast.failures.map(({ recipient }) => recipient));
    const fromLedger: RecipientFailure[] = (await this.messageLogs.failuresOfBroadcast(id))
      .filter(({ recipient }) => failed.has(recipient) && !known.has(recipient))
      .map(({ recipient, error }) => ({
        recipient,
        code: error?.code ?? 'unknown',
        message: error?.message ?? 'The message could not be sent',
      }));
    return { ...broadcast, failures: [...broadcast.failures, ...fromLedger] };
  }

  /** Stops sending (queued jobs are removed, running ones check the stop signal) and keeps the record. */
  async cancel(clientId: string, id: string): Promise<BroadcastRecord> {
    const cancelled = await this.broadcasts.cancel(clientId, id);
    if (!cancelled) {
      const existing = await this.requireOwned(clientId, id);
      if (existing.status === 'cancelled') {
        // Idempotent, and a repeat finishes a first cancel whose stop signal never reached Redis.
        await this.stopSending(id);
        return existing;
      }
      throw new ConflictException(`Broadcast ${id} has already finished (${existing.status}); only a sending broadcast can be cancelled`);
    }
    await this.stopSending(id);
    return cancelled;
  }

  /** Removes the broadcast's queued jobs first, so nothing more is sent, then the record; its logs stay. */
  async delete(clientId: string, id: string): Promise<void> {
    await this.requireOwned(clientId, id);
    await this.stopSending(id);
    await this.broadcasts.delete(clientId, id);
  }

  private async stopSending(id: string): Promise<void> {
    await this.stopSignal.raise(id);
    await this.broadcastQueue.removeFanOut(id);
    const removed = await this.sendJobs.removeQueued(id);
    this.logger.log({ broadcastId: id, removedJobs: removed }, 'Broadcast stopped; queued jobs removed');
  }

  private async requireOwned(clientId: string, id: string): Promise<BroadcastRecord> {
    const broadcast = await this.broadcasts.findOwned(clientId, id);
    if (!broadcast) throw new NotFoundException(`Broadcast ${id} not found`);
    return broadcast;
  }
}
