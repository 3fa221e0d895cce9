import { toCloudApiMessage } from '../cloud-api/cloud-api-message';
import type { MediaSource } from '../message';
import { templateSendProblems } from './template-send-rules';
import { headerAttachmentOf, withHeaderMediaId } from './template-header-media';

const ATTACHMENT_ID = '6b16cd2376ce84557c6838ff';
const header = (media: Record<string, unknown>, type = 'image') => ({ type: 'header', parameters: [{ type, [type]: media }] });
const body = { type: 'body', parameters: [{ type: 'text', text: 'Ada' }] };

describe('template header media given by attachment id', () => {
  it('finds the attachment a header names, and nothing for a Meta media id or a link', () => {
    expect(headerAttachmentOf([header({ attachment_id: ATTACHMENT_ID }, 'document'), body])).toEqual({ mediaType: 'document', attachmentId: ATTACHMENT_ID });
    expect(headerAttachmentOf([header({ id: '1234567890' }), body])).toBeNull();
    expect(headerAttachmentOf([header({ link: 'https://example.com/a.jpg' }), body])).toBeNull();
    expect(headerAttachmentOf([body])).toBeNull();
  });

  it("replaces the attachment id by the uploaded media id, adding a document's file name", () => {
    expect(withHeaderMediaId([header({ attachment_id: ATTACHMENT_ID }), body], 'media-7', 'sale.png')).toEqual([header({ id: 'media-7' }), body]);
    expect(withHeaderMediaId([header({ attachment_id: ATTACHMENT_ID }, 'document'), body], 'media-8', 'terms.pdf')).toEqual([header({ id: 'media-8', filename: 'terms.pdf' }, 'document'), body]);
  });

  it('is accepted by the send rules as one of the three ways to give media, and exactly one', () => {
    const definition = { name: 'promo', language: 'en', components: [{ type: 'HEADER', format: 'IMAGE' }, { type: 'BODY', text: 'Hi {{1}}' }] };
    expect(templateSendProblems(definition, [header({ attachment_id: ATTACHMENT_ID }), body])).toEqual([]);
    expect(templateSendProblems(definition, [header({ attachment_id: ATTACHMENT_ID, id: '123' }), body])).toEqual([
      'template promo (en): header image needs exactly one of "attachment_id" (an attachment of yours), "id" (uploaded media) or an http(s) "link"',
    ]);
    expect(templateSendProblems(definition, [header({ attachment_id: '' }), body])).toEqual(['template promo (en): header image "attachment_id" must be a non-empty string']);
  });

  it('sends the uploaded id in the Cloud API body, and refuses to render before the upload', () => {
    const media: MediaSource = { id: ATTACHMENT_ID, mimetype: 'image/png', size: 10, fileName: 'sale.png', open: () => Promise.reject(new Error('not read here')) };
    const message = { kind: 'template' as const, template: { name: 'promo', language: 'en', components: [header({ attachment_id: ATTACHMENT_ID }), body] }, headerMedia: media };
    expect(toCloudApiMessage('2348031000001', message, { mediaId: 'media-9' }).template).toEqual({ name: 'promo', language: { code: 'en' }, components: [header({ id: 'media-9' }), body] });
    expect(() => toCloudApiMessage('2348031000001', message)).toThrow(`No uploaded media id for attachment ${ATTACHMENT_ID}`);
  });
});
