import { mongo } from 'mongoose';

/** MongoDB's code for a write that broke a unique index. */
export const DUPLICATE_KEY = 11000;

export function isDuplicateKeyError(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === DUPLICATE_KEY;
}

/** A bulk write (ordered: false) whose only failures are duplicate keys: the rest of it was written. */
export function isOnlyDuplicateKeys(error: unknown): error is mongo.MongoBulkWriteError {
  if (!(error instanceof mongo.MongoBulkWriteError)) return false;
  const writeErrors = ([] as mongo.WriteError[]).concat(error.writeErrors);
  return writeErrors.length > 0 && writeErrors.every((writeError) => writeError.code === DUPLICATE_KEY);
}
