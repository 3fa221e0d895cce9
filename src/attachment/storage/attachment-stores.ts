import { Injectable } from '@nestjs/common';
import { AppConfig } from '../../config';
import { AttachmentStorage } from './attachment-storage';
import { GRIDFS_PATH_PREFIX, GridFsAttachmentStorage } from './gridfs-attachment-storage';
import { LocalAttachmentStorage } from './local-attachment-storage';

/**
 * Chooses the store: new uploads go where ATTACHMENT_STORAGE says; an existing record is
 * read from the store its `path` names, so switching storage keeps old attachments usable.
 */
@Injectable()
export class AttachmentStores {
  constructor(
    private readonly config: AppConfig,
    private readonly local: LocalAttachmentStorage,
    private readonly gridFs: GridFsAttachmentStorage,
  ) {}

  forNewUploads(): AttachmentStorage {
    return this.config.attachments.storage === 'gridfs' ? this.gridFs : this.local;
  }

  holding(record: { path: string }): AttachmentStorage {
    return record.path.startsWith(GRIDFS_PATH_PREFIX) ? this.gridFs : this.local;
  }
}
