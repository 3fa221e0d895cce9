import type { Request } from 'express';
import type { StorageEngine } from 'multer';
import type { MulterModuleOptions } from '@nestjs/platform-express';
import { AttachmentIntake, StoredUpload } from './attachment-intake';
import { largestSizeLimit } from './media-rules';
import { AttachmentStores } from './storage/attachment-stores';

/** What the upload interceptor hands the controller: multer's file description plus the stored upload. */
export interface UploadedAttachmentFile extends Express.Multer.File {
  upload: StoredUpload;
}

/**
 * A multer storage engine that streams the file part straight into AttachmentIntake
 * (sniffing, size counting, storage) instead of buffering it. multer removes what it
 * stored when the request fails later (aborted, another part rejected, pipes reject).
 */
export class AttachmentUploadEngine implements StorageEngine {
  constructor(
    private readonly intake: AttachmentIntake,
    private readonly stores: AttachmentStores,
  ) {}

  _handleFile(_request: Request, file: Express.Multer.File, callback: (error?: unknown, info?: Partial<Express.Multer.File>) => void): void {
    this.intake.store(file.stream).then(
      (upload) => callback(null, { upload, size: upload.size, path: upload.path } as Partial<UploadedAttachmentFile>),
      (error: unknown) => callback(error),
    );
  }

  _removeFile(_request: Request, file: Express.Multer.File, callback: (error: Error | null) => void): void {
    const { upload } = file as Partial<UploadedAttachmentFile>;
    if (!upload) return callback(null);
    this.stores.holding(upload).remove(upload).then(
      () => callback(null),
      (error: unknown) => callback(error instanceof Error ? error : new Error(String(error))),
    );
  }
}

const PARSER_LIMIT_SLACK_BYTES = 1024 * 1024;

/** Multipart limits for uploads: one file, no other fields worth more than a few bytes. */
export function attachmentUploadOptions(intake: AttachmentIntake, stores: AttachmentStores, maxBytes: number | null): MulterModuleOptions {
  return {
    storage: new AttachmentUploadEngine(intake, stores),
    limits: {
      files: 1,
      fields: 4,
      fieldSize: 1024,
      parts: 5,
      // A backstop only: the intake stops each file at its class's limit, with a message
      // naming it, long before the parser reaches this one.
      fileSize: largestSizeLimit(maxBytes) + PARSER_LIMIT_SLACK_BYTES,
    },
  };
}
