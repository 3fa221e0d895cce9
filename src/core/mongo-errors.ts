import { mongo } from 'mongoose';

/** MongoDB's code for a write that broke a unique index. */
export const DUPLICATE_KEY = 11000;

/** MongoDB's codes for dropping an index, or reading a collection, that is not there. */
const NAMESPACE_NOT_FOUND = 26;
const INDEX_NOT_FOUND = 27;

/** A drop of an index that was already gone (or whose collection does not exist yet). */
export function isMissingIndexError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { code, codeName } = error as { code?: unknown; codeName?: unknown };
  return code === INDEX_NOT_FOUND || code === NAMESPACE_NOT_FOUND || codeName === 'IndexNotFound' || codeName === 'NamespaceNotFound';
}

export function isDuplicateKeyError(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === DUPLICATE_KEY;
}

/** A bulk write (ordered: false) whose only failures are duplicate keys: the rest of it was written. */
export function isOnlyDuplicateKeys(error: unknown): error is mongo.MongoBulkWriteError {
  if (!(error instanceof mongo.MongoBulkWriteError)) return false;
  const writeErrors = ([] as mongo.WriteError[]).concat(error.writeErrors);
  return writeErrors.length > 0 && writeErrors.every((writeError) => writeError.code === DUPLICATE_KEY);
}

/**
 * MongoDB did not answer, rather than refuse: no server to select, a connection lost or timed out, a
 * pool cleared under a stall or a failover. The same write may succeed once MongoDB answers again.
 */
export function isMongoUnreachableError(error: unknown): boolean {
  // A cleared pool's error is a MongoNetworkError too.
  return error instanceof mongo.MongoNetworkError || error instanceof mongo.MongoServerSelectionError;
}
