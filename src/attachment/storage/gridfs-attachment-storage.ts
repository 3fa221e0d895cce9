import { Injectable } from '@nestjs/common';
import { InjectConnection } from '@nestjs/mongoose';
import { Connection, mongo, Types } from 'mongoose';
import { Readable } from 'node:stream';
import { assertStoredFileName, AttachmentStorage, StoredFileMissingError, StoredFileRef } from './attachment-storage';

/** GridFS bucket of attachment bytes (collections `attachments.files` and `attachments.chunks`). */
export const GRIDFS_BUCKET_NAME = 'attachments';

/** The record `path` of a file kept in GridFS: bucket and stored file name. */
export const GRIDFS_PATH_PREFIX = `gridfs://${GRIDFS_BUCKET_NAME}/`;

/**
 * Attachments in MongoDB GridFS, so that API and workers on several machines share them.
 * A GridFS file's id is the attachment's id.
 */
@Injectable()
export class GridFsAttachmentStorage implements AttachmentStorage {
  readonly kind = 'gridfs' as const;
  private gridFs?: mongo.GridFSBucket;

  constructor(@InjectConnection() private readonly connection: Connection) {}

  pathFor(file: StoredFileRef): string {
    return `${GRIDFS_PATH_PREFIX}${file.fileName}`;
  }

  async write(file: StoredFileRef, source: Readable): Promise<void> {
    assertStoredFileName(file.fileName);
    const id = new Types.ObjectId(file.id);
    const upload = this.bucket().openUploadStreamWithId(id, file.fileName);
    let failure: Error | null = null;
    upload.on('error', (error: Error) => (failure ??= error));
    try {
      // One write at a time, each awaited: when the source fails, no chunk insert is still in flight.
      for await (const chunk of source as AsyncIterable<Buffer>) {
        await new Promise<void>((resolve, reject) => upload.write(chunk, (error) => (error ? reject(error) : resolve())));
      }
      await new Promise<void>((resolve, reject) => upload.end(() => (failure ? reject(failure) : resolve())));
      if (failure) throw failure;
    } catch (error) {
      await upload.abort().catch(() => undefined);
      await this.remove(file);
      throw error;
    }
  }

  async open(file: StoredFileRef): Promise<Readable> {
    const id = new Types.ObjectId(file.id);
    const found = await this.bucket().find({ _id: id }, { limit: 1 }).toArray();
    if (found.length === 0) throw new StoredFileMissingError(file.fileName);
    return this.bucket().openDownloadStream(id);
  }

  async remove(file: StoredFileRef): Promise<void> {
    try {
      // Deletes the chunks even when the files document is missing (an aborted upload).
      await this.bucket().delete(new Types.ObjectId(file.id));
    } catch (error) {
      if (!(error instanceof mongo.MongoRuntimeError && /File not found/i.test(error.message))) throw error;
    }
  }

  private bucket(): mongo.GridFSBucket {
    if (!this.connection.db) throw new Error('MongoDB connection is not open');
    this.gridFs ??= new mongo.GridFSBucket(this.connection.db, { bucketName: GRIDFS_BUCKET_NAME });
    return this.gridFs;
  }
}
