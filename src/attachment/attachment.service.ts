import { ConflictException, Inject, Injectable, Logger, NotFoundException, Optional } from '@nestjs/common';
import type { Readable } from 'node:stream';
import { PageRequest, PageResult } from '@app/common';
import type { MediaKind, MediaSource } from '@app/whatsapp';
import { AttachmentRepository } from './attachment.repository';
import type { AttachmentRecord } from './attachment.schema';
import { ATTACHMENT_USAGE, AttachmentUsage } from './attachment-usage';
import type { StoredUpload } from './attachment-intake';
import { mediaKindOfMimetype } from './media-rules';
import { StoredFileMissingError, StoredFileRef } from './storage/attachment-storage';
import { AttachmentStores } from './storage/attachment-stores';

/** What a download needs: the record and its bytes. */
export interface AttachmentDownload {
  attachment: AttachmentRecord;
  fileName: string;
  content: Readable;
}

function storedFileOf(attachment: AttachmentRecord): StoredFileRef {
  return { id: attachment._id.toHexString(), fileName: `${attachment.name}.${attachment.type}` };
}

/**
 * Attachments of a client: recording stored uploads, reading, downloading, deleting, and
 * handing their bytes to the sending pipeline. Used by the HTTP controller and by the
 * worker (which has no HTTP), so nothing here depends on the request.
 */
@Injectable()
export class AttachmentService {
  private readonly logger = new Logger(AttachmentService.name);

  constructor(
    private readonly attachments: AttachmentRepository,
    private readonly stores: AttachmentStores,
    @Optional() @Inject(ATTACHMENT_USAGE) private readonly usage?: AttachmentUsage,
  ) {}

  /** Records stored bytes for the client; if the record cannot be written, the bytes are removed. */
  async record(clientId: string, upload: StoredUpload): Promise<AttachmentRecord> {
    try {
      return await this.attachments.create({
        id: upload.id,
        clientId,
        type: upload.type,
        mimetype: upload.mimetype,
        name: upload.name,
        path: upload.path,
        size: upload.size,
      });
    } catch (error) {
      await this.discard(upload);
      throw error;
    }
  }

  /** Removes stored bytes that will never get a record (failed request, rejected fields). */
  async discard(upload: StoredUpload): Promise<void> {
    await this.stores
      .holding(upload)
      .remove(upload)
      .catch((error: unknown) => this.logger.error({ err: error, file: upload.fileName }, 'Could not remove an unrecorded upload'));
  }

  async list(clientId: string, page: PageRequest): Promise<PageResult<AttachmentRecord>> {
    return this.attachments.listByClient(clientId, page);
  }

  /** The client's attachment; 404 for a missing id and for another client's. */
  async get(clientId: string, id: string): Promise<AttachmentRecord> {
    const attachment = await this.attachments.findOwned(clientId, id);
    if (!attachment) throw new NotFoundException(`Attachment ${id} not found`);
    return attachment;
  }

  async download(clientId: string, id: string): Promise<AttachmentDownload> {
    const attachment = await this.get(clientId, id);
    const file = storedFileOf(attachment);
    try {
      return { attachment, fileName: file.fileName, content: await this.stores.holding(attachment).open(file) };
    } catch (error) {
      if (!(error instanceof StoredFileMissingError)) throw error;
      this.logger.error({ attachmentId: id, path: attachment.path }, 'Attachment record without its file');
      throw new NotFoundException(`The file of attachment ${id} is missing from storage`);
    }
  }

  /**
   * Deletes the record, then its bytes. Refused (409) while a broadcast that is still
   * sending uses it. Record first: a failure after that leaves an unreferenced file
   * (logged), never a record without bytes.
   */
  async remove(clientId: string, id: string): Promise<AttachmentRecord> {
    await this.get(clientId, id);
    const sending = this.usage ? await this.usage.countSendingBroadcastsUsing(clientId, id) : 0;
    if (sending > 0) {
      throw new ConflictException(
        `Attachment ${id} is used by ${sending} broadcast${sending === 1 ? '' : 's'} still sending; cancel or wait for ${sending === 1 ? 'it' : 'them'} first`,
      );
    }
    const deleted = await this.attachments.deleteOwned(clientId, id);
    if (!deleted) throw new NotFoundException(`Attachment ${id} not found`);
    await this.stores
      .holding(deleted)
      .remove(storedFileOf(deleted))
      .catch((error: unknown) => this.logger.error({ err: error, attachmentId: id }, 'Attachment record deleted but its file could not be removed'));
    return deleted;
  }

  /** The client's attachments among `ids` (for validating a broadcast's attachment ids). */
  async findOwned(clientId: string, ids: string[]): Promise<AttachmentRecord[]> {
    return this.attachments.findManyOwned(clientId, ids);
  }

  /** How WhatsApp sends this attachment. */
  mediaKindOf(attachment: AttachmentRecord): MediaKind {
    return mediaKindOfMimetype(attachment.mimetype);
  }

  /** The attachment's bytes for a provider, opened lazily from whichever store holds them. */
  mediaSource(attachment: AttachmentRecord): MediaSource {
    const file = storedFileOf(attachment);
    const storage = this.stores.holding(attachment);
    return {
      id: file.id,
      mimetype: attachment.mimetype,
      size: attachment.size,
      fileName: file.fileName,
      open: () => storage.open(file),
    };
  }
}
