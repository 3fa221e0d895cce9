import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import * as samples from '../../test/support/media-samples';
import { ByteCounter, NotPlainTextError, peek, PlainTextCheck, SizeLimitExceededError, sniff, SNIFF_WINDOW_BYTES } from './content-sniffer';

async function collect(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function chunked(bytes: Buffer, size: number): Readable {
  const parts: Buffer[] = [];
  for (let offset = 0; offset < bytes.length; offset += size) parts.push(bytes.subarray(offset, offset + size));
  return Readable.from(parts);
}

describe('content sniffing', () => {
  it.each(samples.MEDIA_SAMPLES.map((sample) => [sample.label, sample] as const))('recognises a %s', async (_label, sample) => {
    const verdict = await sniff(sample.bytes());
    expect(verdict).toEqual({ accepted: true, media: { type: sample.type, mimetype: sample.mimetype, kind: sample.kind } });
  });

  it('refuses formats WhatsApp does not take, and binary content without magic bytes', async () => {
    expect(await sniff(samples.gif())).toEqual({ accepted: false, detected: 'image/gif' });
    expect(await sniff(Buffer.from([0x01, 0x00, 0x02, 0x03]))).toEqual({ accepted: false, detected: null });
    expect(await sniff(Buffer.from([0xc3, 0x28, 0x41]))).toEqual({ accepted: false, detected: null });
  });

  it("says a file that ends inside its format's header is truncated (a cut-off PNG, Ogg or MP3), rather than failing", async () => {
    for (const head of [Buffer.from('\x89PNG\r\n\x1a\n', 'latin1'), Buffer.from('OggS'), Buffer.from('ID3\x03', 'latin1')]) {
      expect(await sniff(head)).toEqual({ accepted: false, detected: null, truncated: true });
    }
  });

  it('treats a window that ends inside a multi-byte character as text', async () => {
    const euro = Buffer.from('price: €');
    expect(await sniff(euro.subarray(0, euro.length - 1))).toMatchObject({ accepted: true, media: { mimetype: 'text/plain' } });
  });

  it('peeks at the first bytes and replays the whole stream', async () => {
    const bytes = samples.text(3 * SNIFF_WINDOW_BYTES);
    const { head, stream } = await peek(chunked(bytes, 1000));
    expect(head.length).toBeGreaterThanOrEqual(SNIFF_WINDOW_BYTES);
    expect(head.equals(bytes.subarray(0, head.length))).toBe(true);
    expect((await collect(stream)).equals(bytes)).toBe(true);
  });

  it('peeks at a stream shorter than the window, and at an empty one', async () => {
    const short = await peek(Readable.from([Buffer.from('ab'), Buffer.from('c')]));
    expect(short.head.toString()).toBe('abc');
    expect((await collect(short.stream)).toString()).toBe('abc');
    const empty = await peek(Readable.from([]));
    expect(empty.head.length).toBe(0);
  });

  it('fails plain text that later holds a NUL byte or invalid UTF-8, and passes text split mid-character', async () => {
    const nul = Buffer.concat([samples.text(1000), Buffer.from([0])]);
    await expect(pipeline(chunked(nul, 100), new PlainTextCheck(), new ByteCounter(Infinity))).rejects.toBeInstanceOf(NotPlainTextError);
    const invalid = Buffer.concat([samples.text(1000), Buffer.from([0xff, 0xfe])]);
    await expect(pipeline(chunked(invalid, 100), new PlainTextCheck(), new ByteCounter(Infinity))).rejects.toBeInstanceOf(NotPlainTextError);
    const truncated = Buffer.from('café').subarray(0, 4);
    await expect(pipeline(chunked(truncated, 1), new PlainTextCheck(), new ByteCounter(Infinity))).rejects.toBeInstanceOf(NotPlainTextError);
    const text = samples.text(5000);
    const counter = new ByteCounter(Infinity);
    await pipeline(chunked(text, 7), new PlainTextCheck(), counter);
    expect(counter.bytes).toBe(text.length);
  });

  it('counts bytes and fails as soon as the count passes the limit', async () => {
    const counter = new ByteCounter(1000);
    await pipeline(chunked(Buffer.alloc(1000), 300), counter, async function* (source: AsyncIterable<Buffer>) {
      for await (const chunk of source) yield chunk;
    });
    expect(counter.bytes).toBe(1000);
    const over = new ByteCounter(1000);
    await expect(pipeline(chunked(Buffer.alloc(1001), 300), over)).rejects.toBeInstanceOf(SizeLimitExceededError);
  });
});
