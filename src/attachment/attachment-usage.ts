/**
 * Port through which the attachment module asks whether an attachment is still in use.
 * The broadcast module provides the implementation (from a @Global() module, so that
 * AttachmentService can see it); without one, nothing blocks a delete.
 */
export interface AttachmentUsage {
  /** How many of this client's broadcasts that are still sending include the attachment. */
  countSendingBroadcastsUsing(clientId: string, attachmentId: string): Promise<number>;
}

export const ATTACHMENT_USAGE = Symbol('ATTACHMENT_USAGE');
