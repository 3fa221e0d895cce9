import { SetMetadata } from '@nestjs/common';
import type { SendOutcome } from './message-sender';

/**
 * The send queue: a job sends one logical message (a single message, or one broadcast
 * recipient; group jobs of earlier versions carry several). Sending knows nothing of what a job is for; each feature that sends
 * (broadcasts, POST /v1/messages) declares its job kind and handles it with a
 * @HandlesSendJob provider.
 */
export const SEND_QUEUE = 'send';
export const SEND_JOB = 'send-message';

/** What every send job carries: the kind picks its handler; the rest is the feature's. */
export interface SendJobData {
  kind: string;
}

/** A job to add: its id (derived, so that adding it twice never makes a second job) and data. */
export interface NewSendJob<TData extends SendJobData = SendJobData> {
  id: string;
  data: TData;
  /** A scheduled send: the job waits (delayed in Redis) until then. */
  notBefore?: Date;
}

/** How one message's attempt ended: its outcome, or skipped (nothing sent, nothing decided). */
export type MessageSendResult = SendOutcome | { status: 'skipped'; reason: string; retryInMs?: number };

/** How a job ended: its message's result, or for a job of several messages, how many ended how. */
export type SendJobResult = MessageSendResult | ({ status: 'several' } & Record<MessageSendResult['status'], number>);

/** What a handler knows of the attempt it runs in. */
export interface SendAttempt {
  /** No retry follows: a transient failure is final. */
  lastAttempt: boolean;
}

/** The port a feature implements to send its jobs (through MessageSender). */
export interface SendJobHandler<TData extends SendJobData = SendJobData> {
  handle(data: TData, attempt: SendAttempt): Promise<SendJobResult>;
}

export const SEND_JOB_HANDLER = 'sending:job-handler';

/** Marks a provider as the one handler of a send job kind; the send processor finds it at start-up. */
export const HandlesSendJob = (kind: string): ClassDecorator => SetMetadata(SEND_JOB_HANDLER, kind);
