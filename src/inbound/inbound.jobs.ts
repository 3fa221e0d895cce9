/** Inbound housekeeping: fetching a customer's media file into an attachment, after the message is in the ledger. */
export const INBOUND_QUEUE = 'inbound';
export const FETCH_MEDIA_JOB = 'fetch-media';

export interface FetchMediaJobData {
  messageLogId: string;
}

/** One fetch per inbound entry: a redelivered webhook never fetches twice. */
export const fetchMediaJobId = (messageLogId: string): string => `media:${messageLogId}`;
