import { BadRequestException, Injectable, PayloadTooLargeException, UnsupportedMediaTypeException } from '@nestjs/common';
import { Types } from 'mongoose';
import { randomInt } from 'node:crypto';
import { pipeline, Readable } from 'node:stream';
import type { MediaKind } from '@app/whatsapp';
import { AppConfig } from '../config';
import { ByteCounter, NotPlainTextError, peek, PlainTextCheck, SizeLimitExceededError, sniff } from './content-sniffer';
import { ACCEPTED_MIMETYPES_TEXT, describeBytes, PLAIN_TEXT, sizeLimitFor } from './media-rules';
import { StoredFileRef } from './storage/attachment-storage';
import { AttachmentStores } from './storage/attachment-stores';

const NAME_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
export const ATTACHMENT_NAME_LENGTH = 15;

/** The seed's attachment name: 15 random upper-case letters and digits. */
export function generateAttachmentName(): string {
  let name = '';
  for (let index = 0; index < ATTACHMENT_NAME_LENGTH; index += 1) name += NAME_ALPHABET[randomInt(NAME_ALPHABET.length)];
  return name;
}

/** Bytes that are stored and typed, not yet recorded. */
export interface StoredUpload extends StoredFileRef {
  name: string;
  type: string;
  mimetype: string;
  kind: MediaKind;
  size: number;
  path: string;
}

/**
 * Takes an uploaded file as a stream: decides its type from the first bytes, then streams
 * it to storage while counting, so that a file is never held whole in memory and one
 * that turns out too large (or not text after all) is stopped and removed mid-way.
 */
@Injectable()
export class AttachmentIntake {
  constructor(
    private readonly config: AppConfig,
    private readonly stores: AttachmentStores,
  ) {}

  async store(source: Readable): Promise<StoredUpload> {
    const { head, stream } = await peek(source);
    if (head.length === 0) throw new BadRequestException('The file is empty');

    const verdict = await sniff(head);
    if (!verdict.accepted && verdict.truncated) throw new BadRequestException('The file is truncated: it ends inside the header of its format');
    if (!verdict.accepted) {
      const what = verdict.detected ? `Files of type ${verdict.detected} are` : 'This file type is';
      throw new UnsupportedMediaTypeException(`${what} not accepted by WhatsApp; accepted types: ${ACCEPTED_MIMETYPES_TEXT}`);
    }
    const { media } = verdict;
    const limit = sizeLimitFor(media.kind, this.config.attachments.maxBytes);
    const tooLarge = (): PayloadTooLargeException =>
      new PayloadTooLargeException(`${media.mimetype} files (${media.kind}) may be at most ${describeBytes(limit)}`);
    if (head.length > limit) throw tooLarge();

    const name = generateAttachmentName();
    const storage = this.stores.forNewUploads();
    const file: StoredFileRef = { id: new Types.ObjectId().toHexString(), fileName: `${name}.${media.type}` };
    const counter = new ByteCounter(limit);
    const ignore = (): void => undefined;
    // Errors of any stage reach the store's sink, which then removes what it wrote.
    const checked: Readable =
      media === PLAIN_TEXT ? pipeline(stream, counter, new PlainTextCheck(), ignore) : pipeline(stream, counter, ignore);
    try {
      await storage.write(file, checked);
    } catch (error) {
      if (error instanceof SizeLimitExceededError) throw tooLarge();
      if (error instanceof NotPlainTextError) {
        throw new UnsupportedMediaTypeException(`${error.message}; accepted types: ${ACCEPTED_MIMETYPES_TEXT}`);
      }
      throw error;
    }
    return { ...file, name, type: media.type, mimetype: media.mimetype, kind: media.kind, size: counter.bytes, path: storage.pathFor(file) };
  }
}
