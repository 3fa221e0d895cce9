import type { MediaKind } from '@app/whatsapp';

const KB = 1024;
const MB = 1024 * 1024;

/** WhatsApp's size limit per media class (Cloud API "Supported media types"). */
export const WHATSAPP_MEDIA_LIMITS: Readonly<Record<MediaKind, number>> = {
  image: 5 * MB,
  video: 16 * MB,
  audio: 16 * MB,
  document: 100 * MB,
  sticker: 500 * KB,
};

/** One content type the service accepts: what is stored as `type`/`mimetype` and how it is sent. */
export interface AcceptedMedia {
  /** File extension, stored as the record's `type` (the seed's `jpeg`). */
  type: string;
  mimetype: string;
  kind: MediaKind;
}

const OFFICE_DOCUMENTS: AcceptedMedia[] = [
  { type: 'docx', mimetype: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document', kind: 'document' },
  { type: 'xlsx', mimetype: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', kind: 'document' },
  { type: 'pptx', mimetype: 'application/vnd.openxmlformats-officedocument.presentationml.presentation', kind: 'document' },
];

export const PLAIN_TEXT: AcceptedMedia = { type: 'txt', mimetype: 'text/plain', kind: 'document' };

/**
 * What the content sniffer (file-type) reports, keyed by its extension, mapped to what
 * WhatsApp accepts. Several detections fold into one WhatsApp type: an MP4 whose brand
 * says audio (M4A/M4B/F4A) is `audio/mp4`, every other MP4 brand is `video/mp4`; Ogg
 * audio (Opus, Vorbis) is `audio/ogg`. Legacy Office files (.doc/.xls/.ppt) share one
 * container format that cannot be told apart by its first bytes, so they are refused.
 */
const ACCEPTED_BY_DETECTED_EXTENSION: Readonly<Record<string, AcceptedMedia>> = {
  jpg: { type: 'jpeg', mimetype: 'image/jpeg', kind: 'image' },
  png: { type: 'png', mimetype: 'image/png', kind: 'image' },
  mp4: { type: 'mp4', mimetype: 'video/mp4', kind: 'video' },
  m4v: { type: 'mp4', mimetype: 'video/mp4', kind: 'video' },
  '3gp': { type: '3gp', mimetype: 'video/3gpp', kind: 'video' },
  aac: { type: 'aac', mimetype: 'audio/aac', kind: 'audio' },
  amr: { type: 'amr', mimetype: 'audio/amr', kind: 'audio' },
  mp3: { type: 'mp3', mimetype: 'audio/mpeg', kind: 'audio' },
  m4a: { type: 'm4a', mimetype: 'audio/mp4', kind: 'audio' },
  m4b: { type: 'm4a', mimetype: 'audio/mp4', kind: 'audio' },
  f4a: { type: 'm4a', mimetype: 'audio/mp4', kind: 'audio' },
  opus: { type: 'ogg', mimetype: 'audio/ogg', kind: 'audio' },
  ogg: { type: 'ogg', mimetype: 'audio/ogg', kind: 'audio' },
  pdf: { type: 'pdf', mimetype: 'application/pdf', kind: 'document' },
  ...Object.fromEntries(OFFICE_DOCUMENTS.map((media) => [media.type, media])),
  webp: { type: 'webp', mimetype: 'image/webp', kind: 'sticker' },
};

/** Every accepted type, for error messages and the API documentation. */
export const ACCEPTED_MEDIA: readonly AcceptedMedia[] = [
  ...new Map(
    [...Object.values(ACCEPTED_BY_DETECTED_EXTENSION), PLAIN_TEXT].map((media) => [media.mimetype, media]),
  ).values(),
];

export const ACCEPTED_MIMETYPES_TEXT = ACCEPTED_MEDIA.map((media) => media.mimetype).join(', ');

/** The accepted media for a sniffed content type, or null when WhatsApp does not take it. */
export function acceptedMediaFor(detectedExtension: string): AcceptedMedia | null {
  return Object.prototype.hasOwnProperty.call(ACCEPTED_BY_DETECTED_EXTENSION, detectedExtension)
    ? ACCEPTED_BY_DETECTED_EXTENSION[detectedExtension]
    : null;
}

const KIND_BY_MIMETYPE = new Map(ACCEPTED_MEDIA.map((media) => [media.mimetype, media.kind]));

/** The media class of a stored mimetype; stored mimetypes only ever come from ACCEPTED_MEDIA. */
export function mediaKindOfMimetype(mimetype: string): MediaKind {
  const kind = KIND_BY_MIMETYPE.get(mimetype);
  if (!kind) throw new Error(`Stored attachment has a mimetype the service never accepts: ${mimetype}`);
  return kind;
}

/** The size limit of a media class, lowered by the configured cap when there is one. */
export function sizeLimitFor(kind: MediaKind, cap: number | null): number {
  return cap === null ? WHATSAPP_MEDIA_LIMITS[kind] : Math.min(WHATSAPP_MEDIA_LIMITS[kind], cap);
}

/** The largest upload any class allows: what the multipart parser may let through at most. */
export function largestSizeLimit(cap: number | null): number {
  return Math.max(...Object.keys(WHATSAPP_MEDIA_LIMITS).map((kind) => sizeLimitFor(kind as MediaKind, cap)));
}

/** "5 MB", "500 KB", "1234 bytes": for messages people read. */
export function describeBytes(bytes: number): string {
  if (bytes >= MB && bytes % MB === 0) return `${bytes / MB} MB`;
  if (bytes >= KB && bytes % KB === 0) return `${bytes / KB} KB`;
  return `${bytes} bytes`;
}
