import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';

export interface MultipartFile {
  field: string;
  fileName: string;
  contentType: string;
  stream: Readable;
}

export interface MultipartBody {
  contentType: string;
  body: AsyncIterable<Uint8Array>;
}

/** Field values and file names end up inside quoted header parameters: keep them on one line and unquoted. */
function headerSafe(value: string): string {
  return value.replace(/["\r\n\\]/g, '_');
}

/**
 * A multipart/form-data body that streams its file: memory stays flat however large the
 * upload (documents may be 100 MB), unlike a Blob-based FormData that buffers it.
 */
export function multipartBody(fields: Record<string, string>, file: MultipartFile): MultipartBody {
  const boundary = `----wa-${randomBytes(12).toString('hex')}`;
  const preamble = Object.entries(fields)
    .map(([name, value]) => `--${boundary}\r\nContent-Disposition: form-data; name="${headerSafe(name)}"\r\n\r\n${value}\r\n`)
    .join('');
  const fileHeader =
    `--${boundary}\r\nContent-Disposition: form-data; name="${headerSafe(file.field)}"; filename="${headerSafe(file.fileName)}"\r\n` +
    `Content-Type: ${headerSafe(file.contentType)}\r\n\r\n`;

  async function* chunks(): AsyncGenerator<Uint8Array> {
    yield Buffer.from(preamble + fileHeader, 'utf8');
    for await (const chunk of file.stream) {
      yield typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
    }
    yield Buffer.from(`\r\n--${boundary}--\r\n`, 'utf8');
  }

  return { contentType: `multipart/form-data; boundary=${boundary}`, body: chunks() };
}
