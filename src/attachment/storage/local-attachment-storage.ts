import { Injectable } from '@nestjs/common';
import { createWriteStream } from 'node:fs';
import { mkdir, open, rename, unlink } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { once } from 'node:events';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { AppConfig } from '../../config';
import { assertStoredFileName, AttachmentStorage, StoredFileMissingError, StoredFileRef } from './attachment-storage';

/** The record `path` of a locally stored file, as seed 000 shows it (whatever ATTACHMENTS_DIR is). */
export const LOCAL_PATH_PREFIX = './public/attachments/';

/** Suffix of a file still being written; renamed away once complete, so a crash never leaves a file that looks whole. */
const PARTIAL_SUFFIX = '.part';

function isMissingFile(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
}

/** Attachments on the local disk, in ATTACHMENTS_DIR (one machine, or a shared volume). */
@Injectable()
export class LocalAttachmentStorage implements AttachmentStorage {
  readonly kind = 'local' as const;
  private readonly directory: string;

  constructor(config: AppConfig) {
    this.directory = resolve(config.attachments.directory);
  }

  pathFor(file: StoredFileRef): string {
    return `${LOCAL_PATH_PREFIX}${file.fileName}`;
  }

  async write(file: StoredFileRef, source: Readable): Promise<void> {
    const target = this.locate(file);
    const partial = `${target}${PARTIAL_SUFFIX}`;
    await mkdir(this.directory, { recursive: true });
    const out = createWriteStream(partial, { flags: 'wx' });
    try {
      await pipeline(source, out);
      await rename(partial, target);
    } catch (error) {
      // The stream may still be opening or flushing; remove the file only once it is closed.
      if (!out.closed) await once(out, 'close').catch(() => undefined);
      await unlink(partial).catch((unlinkError: unknown) => {
        if (!isMissingFile(unlinkError)) throw unlinkError;
      });
      throw error;
    }
  }

  async open(file: StoredFileRef): Promise<Readable> {
    try {
      const handle = await open(this.locate(file), 'r');
      return handle.createReadStream();
    } catch (error) {
      if (isMissingFile(error)) throw new StoredFileMissingError(file.fileName);
      throw error;
    }
  }

  async remove(file: StoredFileRef): Promise<void> {
    await unlink(this.locate(file)).catch((error: unknown) => {
      if (!isMissingFile(error)) throw error;
    });
  }

  private locate(file: StoredFileRef): string {
    assertStoredFileName(file.fileName);
    return join(this.directory, file.fileName);
  }
}
