/** WhatsApp's media header formats and the parameter type each is sent as. */
export const MEDIA_HEADER_TYPES: Readonly<Record<string, TemplateHeaderMediaType>> = { IMAGE: 'image', VIDEO: 'video', DOCUMENT: 'document' };

export type TemplateHeaderMediaType = 'image' | 'video' | 'document';

/** A template send's header media given as one of our attachments (`{ "type": "image", "image": { "attachment_id": "..." } }`). */
export interface TemplateHeaderAttachment {
  mediaType: TemplateHeaderMediaType;
  attachmentId: string;
}

/** The attachment a send's header names, or null when its media (if any) is Meta's media id or a link. */
export function headerAttachmentOf(components: readonly unknown[] | undefined): TemplateHeaderAttachment | null {
  const header = (components ?? []).find((component) => isObject(component) && typeof component.type === 'string' && component.type.toLowerCase() === 'header');
  const parameter = isObject(header) && Array.isArray(header.parameters) ? (header.parameters as unknown[])[0] : undefined;
  if (!isObject(parameter)) return null;
  const mediaType = Object.values(MEDIA_HEADER_TYPES).find((type) => type === parameter.type);
  const media = mediaType ? parameter[mediaType] : undefined;
  if (!mediaType || !isObject(media) || typeof media.attachment_id !== 'string') return null;
  return { mediaType, attachmentId: media.attachment_id };
}

/**
 * The components as the Cloud API takes them once the header's attachment is uploaded: its
 * `attachment_id` replaced by the media id (and a document's file name, as a media message carries it).
 */
export function withHeaderMediaId(components: readonly unknown[], mediaId: string, fileName: string): unknown[] {
  return components.map((component) => {
    if (!isObject(component) || typeof component.type !== 'string' || component.type.toLowerCase() !== 'header' || !Array.isArray(component.parameters)) return component;
    const [first, ...rest] = component.parameters as unknown[];
    if (!isObject(first)) return component;
    const mediaType = Object.values(MEDIA_HEADER_TYPES).find((type) => type === first.type);
    const media = mediaType ? first[mediaType] : undefined;
    if (!mediaType || !isObject(media) || media.attachment_id === undefined) return component;
    const { attachment_id: _attachmentId, ...others } = media;
    const uploaded = { ...others, id: mediaId, ...(mediaType === 'document' && others.filename === undefined ? { filename: fileName } : {}) };
    return { ...component, parameters: [{ ...first, [mediaType]: uploaded }, ...rest] };
  });
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
