import { fromBuffer } from 'file-type';
import { Readable, Transform, TransformCallback } from 'node:stream';
import { AcceptedMedia, acceptedMediaFor, PLAIN_TEXT } from './media-rules';

/**
 * Bytes read before deciding the type. file-type needs 4100 for most formats; Office
 * files are zip archives whose telling entry (word/, xl/, ppt/) may come after a few
 * others, so the window is wider.
 */
export const SNIFF_WINDOW_BYTES = 64 * 1024;

/** The first bytes of a stream, and the whole stream again (those bytes included). */
export interface PeekedStream {
  head: Buffer;
  stream: Readable;
}

/** Reads up to `bytes` from `source` without losing them: `stream` replays them, then the rest. */
export async function peek(source: Readable, bytes = SNIFF_WINDOW_BYTES): Promise<PeekedStream> {
  const iterator = source[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  const chunks: Buffer[] = [];
  let length = 0;
  let ended = false;
  while (length < bytes) {
    const next = await iterator.next();
    if (next.done) {
      ended = true;
      break;
    }
    chunks.push(next.value);
    length += next.value.length;
  }
  const head = Buffer.concat(chunks, length);
  async function* replay(): AsyncGenerator<Buffer> {
    if (head.length > 0) yield head;
    if (ended) return;
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) yield next.value;
  }
  return { head: head.subarray(0, bytes), stream: Readable.from(replay(), { objectMode: false }) };
}

export type SniffVerdict =
  | { accepted: true; media: AcceptedMedia }
  | { accepted: false; detected: string | null; truncated?: true };

/**
 * Decides the type from the content alone. Magic bytes first (file-type); content with
 * none is plain text when the window is valid UTF-8 without NUL bytes (the rest of the
 * file is checked while it streams, see PlainTextCheck).
 */
export async function sniff(head: Buffer): Promise<SniffVerdict> {
  let detected: Awaited<ReturnType<typeof fromBuffer>>;
  try {
    detected = await fromBuffer(head);
  } catch (error) {
    // A file that starts like a known format and ends inside the header file-type reads (a cut-off PNG, Ogg or MP3).
    // file-type's tokenizer throws its EndOfStreamError (not exported by file-type itself) there.
    if (error instanceof Error && error.constructor.name === 'EndOfStreamError') return { accepted: false, detected: null, truncated: true };
    throw error;
  }
  if (detected) {
    const media = acceptedMediaFor(detected.ext);
    return media ? { accepted: true, media } : { accepted: false, detected: detected.mime };
  }
  return looksLikeText(head) ? { accepted: true, media: PLAIN_TEXT } : { accepted: false, detected: null };
}

function looksLikeText(head: Buffer): boolean {
  if (head.includes(0)) return false;
  try {
    // `stream: true`: the window may end inside a multi-byte character.
    new TextDecoder('utf-8', { fatal: true }).decode(head, { stream: true });
    return true;
  } catch {
    return false;
  }
}

/** Raised mid-stream when a file that started as text turns out not to be. */
export class NotPlainTextError extends Error {
  constructor() {
    super('The file starts as text but is not valid UTF-8 text throughout');
    this.name = 'NotPlainTextError';
  }
}

/** Passes bytes through, failing once they stop being NUL-free UTF-8. */
export class PlainTextCheck extends Transform {
  private readonly decoder = new TextDecoder('utf-8', { fatal: true });

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    try {
      if (chunk.includes(0)) throw new NotPlainTextError();
      this.decoder.decode(chunk, { stream: true });
      callback(null, chunk);
    } catch {
      callback(new NotPlainTextError());
    }
  }

  override _flush(callback: TransformCallback): void {
    try {
      this.decoder.decode();
      callback();
    } catch {
      callback(new NotPlainTextError());
    }
  }
}

/** Raised mid-stream when a file grows past its class's limit. */
export class SizeLimitExceededError extends Error {
  constructor(readonly limit: number) {
    super(`The file is larger than ${limit} bytes`);
    this.name = 'SizeLimitExceededError';
  }
}

/** Counts bytes as they pass, failing as soon as the count passes `limit`. */
export class ByteCounter extends Transform {
  bytes = 0;

  constructor(private readonly limit: number) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.bytes > this.limit) callback(new SizeLimitExceededError(this.limit));
    else callback(null, chunk);
  }
}
