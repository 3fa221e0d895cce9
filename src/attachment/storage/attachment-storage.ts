import type { Readable } from 'node:stream';

export type StorageKind = 'local' | 'gridfs';

/** Where one attachment's bytes live: the record's id and its stored file name (`<name>.<type>`). */
export interface StoredFileRef {
  id: string;
  fileName: string;
}

/** Raised by `open` when the bytes of a record are not in the store. */
export class StoredFileMissingError extends Error {
  constructor(readonly fileName: string) {
    super(`Stored file ${fileName} is missing`);
    this.name = 'StoredFileMissingError';
  }
}

/**
 * The port between attachments and the bytes. Adapters never see a client's file name:
 * `fileName` is always the generated `<name>.<type>`.
 */
export interface AttachmentStorage {
  readonly kind: StorageKind;
  /** The record's `path` for a file kept by this store. */
  pathFor(file: StoredFileRef): string;
  /**
   * Stores everything `source` yields. Resolves once the bytes are durable; when the
   * source or the store fails, nothing of the file remains and the promise rejects.
   */
  write(file: StoredFileRef, source: Readable): Promise<void>;
  /** Streams the bytes back; rejects with StoredFileMissingError when they are gone. */
  open(file: StoredFileRef): Promise<Readable>;
  /** Removes the bytes; removing a file that is not there is not an error. */
  remove(file: StoredFileRef): Promise<void>;
}

/** `<name>.<type>` as the service generates it; anything else never reaches a store. */
const STORED_FILE_NAME = /^[A-Z0-9]{15}\.[a-z0-9]{2,4}$/;

export function assertStoredFileName(fileName: string): void {
  if (!STORED_FILE_NAME.test(fileName)) throw new Error(`Refusing to store a file named ${JSON.stringify(fileName)}`);
}
