import type { SendJobData } from '../sending/sending.jobs';

/** The send job of one POST /v1/messages message: its message-log entry holds everything to send. */
export const MESSAGE_JOB = 'message';

export interface MessageJobData extends SendJobData {
  kind: typeof MESSAGE_JOB;
  messageLogId: string;
}

export function messageJobId(messageLogId: string): string {
  return `message:${messageLogId}`;
}
