import { crc32, deflateSync } from 'node:zlib';

/**
 * Small files of each WhatsApp media class, built byte by byte with the real headers of
 * their formats (what content sniffing looks at), so that tests need no binary fixtures.
 */

function u32be(value: number): Buffer {
  const buffer = Buffer.alloc(4);
  buffer.writeUInt32BE(value >>> 0);
  return buffer;
}

function u32le(value: number): Buffer {
  const buffer = Buffer.alloc(4);
  buffer.writeUInt32LE(value >>> 0);
  return buffer;
}

function u16le(value: number): Buffer {
  const buffer = Buffer.alloc(2);
  buffer.writeUInt16LE(value);
  return buffer;
}

/** A valid PNG of `width` x 1 grey pixels (IHDR, IDAT, IEND with real CRCs). */
export function png(width = 1): Buffer {
  const chunk = (type: string, data: Buffer): Buffer => {
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    return Buffer.concat([u32be(data.length), body, u32be(crc32(body))]);
  };
  const header = Buffer.concat([u32be(width), u32be(1), Buffer.from([8, 0, 0, 0, 0])]);
  const scanline = Buffer.concat([Buffer.from([0]), Buffer.alloc(width, 0x80)]);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(scanline)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** A JPEG/JFIF stream: SOI, APP0 "JFIF", a comment, EOI. */
export function jpeg(): Buffer {
  const app0 = Buffer.from([0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0x01, 0x01, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00]);
  const comment = Buffer.from('test image');
  const com = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from([0, comment.length + 2]), comment]);
  return Buffer.concat([Buffer.from([0xff, 0xd8]), app0, com, Buffer.from([0xff, 0xd9])]);
}

/** A RIFF/WEBP container with a VP8L (lossless) chunk header. */
export function webp(payloadBytes = 16): Buffer {
  const payload = Buffer.concat([Buffer.from([0x2f, 0x00, 0x00, 0x00, 0x00]), Buffer.alloc(payloadBytes)]);
  const vp8l = Buffer.concat([Buffer.from('VP8L'), u32le(payload.length), payload]);
  return Buffer.concat([Buffer.from('RIFF'), u32le(4 + vp8l.length), Buffer.from('WEBP'), vp8l]);
}

/** An ISO base media file: `ftyp` with the given major brand, then an empty `mdat`. */
export function isoMedia(brand: string, payloadBytes = 32): Buffer {
  const ftyp = Buffer.concat([u32be(24), Buffer.from('ftyp'), Buffer.from(brand.padEnd(4, ' ')), u32be(0x200), Buffer.from('isommp41')]);
  const mdat = Buffer.concat([u32be(8 + payloadBytes), Buffer.from('mdat'), Buffer.alloc(payloadBytes)]);
  return Buffer.concat([ftyp, mdat]);
}

export const mp4 = (): Buffer => isoMedia('isom');
export const threeGpp = (): Buffer => isoMedia('3gp4');
export const m4a = (): Buffer => isoMedia('M4A ');

/** ADTS-framed AAC: one frame header (MPEG-4, LC, 44.1 kHz, stereo) and silence. */
export function aac(): Buffer {
  return Buffer.concat([Buffer.from([0xff, 0xf1, 0x50, 0x80, 0x02, 0x1f, 0xfc]), Buffer.alloc(9)]);
}

/** MPEG-1 Layer III frame header (128 kbit/s, 44.1 kHz) and silence. */
export function mp3(): Buffer {
  return Buffer.concat([Buffer.from([0xff, 0xfb, 0x90, 0x64]), Buffer.alloc(413)]);
}

/** AMR narrow-band: the "#!AMR\n" magic and one frame. */
export function amr(): Buffer {
  return Buffer.concat([Buffer.from('#!AMR\n'), Buffer.from([0x3c]), Buffer.alloc(31)]);
}

/** An Ogg page whose first packet is an Opus identification header. */
export function oggOpus(): Buffer {
  const packet = Buffer.concat([Buffer.from('OpusHead'), Buffer.from([1, 2, 0x38, 0x01]), u32le(48000), Buffer.from([0, 0, 0])]);
  const header = Buffer.concat([
    Buffer.from('OggS'),
    Buffer.from([0, 0x02]),
    Buffer.alloc(8),
    u32le(1),
    u32le(0),
    u32le(0),
    Buffer.from([1, packet.length]),
  ]);
  return Buffer.concat([header, packet]);
}

export function pdf(extraBytes = 0): Buffer {
  return Buffer.concat([
    Buffer.from('%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n'),
    Buffer.alloc(extraBytes, 0x20),
    Buffer.from('\ntrailer << /Root 1 0 R >>\n%%EOF\n'),
  ]);
}

/** A minimal Office Open XML word document: an uncompressed zip with its two telling entries. */
export function docx(): Buffer {
  const entries: Array<[string, string]> = [
    ['[Content_Types].xml', '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>'],
    ['word/document.xml', '<?xml version="1.0"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"/>'],
  ];
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const [name, text] of entries) {
    const data = Buffer.from(text);
    const fileName = Buffer.from(name);
    const shared = Buffer.concat([u16le(20), u16le(0), u16le(0), u16le(0), u16le(0), u32le(crc32(data)), u32le(data.length), u32le(data.length), u16le(fileName.length), u16le(0)]);
    const local = Buffer.concat([u32le(0x04034b50), shared, fileName, data]);
    centrals.push(Buffer.concat([u32le(0x02014b50), u16le(20), shared, u16le(0), u16le(0), u16le(0), u32le(0), u32le(offset), fileName]));
    locals.push(local);
    offset += local.length;
  }
  const central = Buffer.concat(centrals);
  const end = Buffer.concat([u32le(0x06054b50), u16le(0), u16le(0), u16le(entries.length), u16le(entries.length), u32le(central.length), u32le(offset), u16le(0)]);
  return Buffer.concat([...locals, central, end]);
}

export function text(bytes = 0): Buffer {
  const line = 'Olá, mundo! Ẁhatsapp test line ✓\n';
  return bytes > 0 ? Buffer.from(line.repeat(Math.ceil(bytes / Buffer.byteLength(line)))) : Buffer.from(line);
}

/** A GIF: a real image format WhatsApp does not accept. */
export function gif(): Buffer {
  return Buffer.concat([Buffer.from('GIF89a'), Buffer.from([1, 0, 1, 0, 0, 0, 0]), Buffer.from([0x3b])]);
}

/** One sample per accepted media class, with what the service must record for it. */
export const MEDIA_SAMPLES: ReadonlyArray<{ label: string; bytes: () => Buffer; type: string; mimetype: string; kind: string }> = [
  { label: 'JPEG image', bytes: jpeg, type: 'jpeg', mimetype: 'image/jpeg', kind: 'image' },
  { label: 'PNG image', bytes: () => png(), type: 'png', mimetype: 'image/png', kind: 'image' },
  { label: 'MP4 video', bytes: mp4, type: 'mp4', mimetype: 'video/mp4', kind: 'video' },
  { label: '3GPP video', bytes: threeGpp, type: '3gp', mimetype: 'video/3gpp', kind: 'video' },
  { label: 'AAC audio', bytes: aac, type: 'aac', mimetype: 'audio/aac', kind: 'audio' },
  { label: 'AMR audio', bytes: amr, type: 'amr', mimetype: 'audio/amr', kind: 'audio' },
  { label: 'MP3 audio', bytes: mp3, type: 'mp3', mimetype: 'audio/mpeg', kind: 'audio' },
  { label: 'M4A audio', bytes: m4a, type: 'm4a', mimetype: 'audio/mp4', kind: 'audio' },
  { label: 'Ogg Opus audio', bytes: oggOpus, type: 'ogg', mimetype: 'audio/ogg', kind: 'audio' },
  { label: 'PDF document', bytes: () => pdf(), type: 'pdf', mimetype: 'application/pdf', kind: 'document' },
  {
    label: 'Word document',
    bytes: docx,
    type: 'docx',
    mimetype: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
    kind: 'document',
  },
  { label: 'plain text document', bytes: () => text(), type: 'txt', mimetype: 'text/plain', kind: 'document' },
  { label: 'WebP sticker', bytes: () => webp(), type: 'webp', mimetype: 'image/webp', kind: 'sticker' },
];
