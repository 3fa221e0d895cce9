import { acceptedMediaFor, describeBytes, largestSizeLimit, mediaKindOfMimetype, sizeLimitFor, WHATSAPP_MEDIA_LIMITS } from './media-rules';

describe('WhatsApp media rules', () => {
  it('holds WhatsApp\'s limits per class', () => {
    expect(WHATSAPP_MEDIA_LIMITS).toEqual({ image: 5 * 2 ** 20, video: 16 * 2 ** 20, audio: 16 * 2 ** 20, document: 100 * 2 ** 20, sticker: 500 * 1024 });
  });

  it('lowers each limit to the configured cap, never raises it', () => {
    expect(sizeLimitFor('sticker', null)).toBe(500 * 1024);
    expect(sizeLimitFor('document', 1000)).toBe(1000);
    expect(sizeLimitFor('sticker', 10 * 2 ** 20)).toBe(500 * 1024);
    expect(largestSizeLimit(null)).toBe(100 * 2 ** 20);
    expect(largestSizeLimit(1000)).toBe(1000);
  });

  it('folds audio-only MP4 brands into audio/mp4 and refuses what WhatsApp does not send', () => {
    expect(acceptedMediaFor('m4a')).toEqual({ type: 'm4a', mimetype: 'audio/mp4', kind: 'audio' });
    expect(acceptedMediaFor('jpg')).toEqual({ type: 'jpeg', mimetype: 'image/jpeg', kind: 'image' });
    expect(acceptedMediaFor('gif')).toBeNull();
    expect(acceptedMediaFor('cfb')).toBeNull();
    expect(acceptedMediaFor('constructor')).toBeNull();
  });

  it('knows the kind of every stored mimetype and rejects others', () => {
    expect(mediaKindOfMimetype('application/vnd.openxmlformats-officedocument.presentationml.presentation')).toBe('document');
    expect(() => mediaKindOfMimetype('image/gif')).toThrow(/never accepts/);
  });

  it('describes sizes for people', () => {
    expect(describeBytes(5 * 2 ** 20)).toBe('5 MB');
    expect(describeBytes(500 * 1024)).toBe('500 KB');
    expect(describeBytes(100000)).toBe('100000 bytes');
  });
});
