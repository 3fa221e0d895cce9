import { Readable } from 'node:stream';
import { FakeCloudApi, graphError } from '../../../../test/support/fake-cloud-api';
import type { MediaKind, MediaSource, OutgoingMessage } from '../message';
import { ProviderError } from '../provider';
import { CloudApiProvider, MEDIA_UNAVAILABLE_CODE } from './cloud-api.provider';
import { InMemoryMediaIdCache, MEDIA_ID_REUSE_MS } from './media-id-cache';

const PHONE_NUMBER_ID = '106540352242922';
const TOKEN = 'EAAG-test-token';
const TO = '2348179803743';
// Generous, so that a cold first request on a loaded machine is never taken for a timeout;
// the timeout test sets its own short one.
const TIMEOUT_MS = 5_000;

function mediaSource(id: string, bytes: Buffer, mimetype: string, fileName: string): MediaSource & { opened: number } {
  const source = {
    id,
    mimetype,
    size: bytes.length,
    fileName,
    opened: 0,
    open: async () => {
      source.opened += 1;
      return Readable.from([bytes.subarray(0, 1000), bytes.subarray(1000)]);
    },
  };
  return source;
}

function media(kind: MediaKind, source: MediaSource, caption?: string): OutgoingMessage {
  return { kind: 'media', mediaKind: kind, media: source, ...(caption ? { caption } : {}) };
}

async function failure(promise: Promise<unknown>): Promise<ProviderError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  if (!(error instanceof ProviderError)) throw new Error(`Expected a ProviderError, got ${String(error)}`);
  return error;
}

describe('CloudApiProvider against a fake Cloud API', () => {
  let fake: FakeCloudApi;
  let cache: InMemoryMediaIdCache;
  let provider: CloudApiProvider;
  let clock: number;

  beforeAll(async () => {
    fake = await FakeCloudApi.start({ accessToken: TOKEN });
  });
  afterAll(() => fake.close());

  beforeEach(() => {
    fake.reset();
    clock = Date.now();
    cache = new InMemoryMediaIdCache(() => clock);
    provider = new CloudApiProvider({
      baseUrl: `${fake.baseUrl}/`,
      version: 'v21.0',
      timeoutMs: TIMEOUT_MS,
      phoneNumberId: PHONE_NUMBER_ID,
      accessToken: TOKEN,
      mediaIdCache: cache,
    });
  });

  const send = (message: OutgoingMessage, idempotencyKey = 'job-1') => provider.send({ to: TO, message, idempotencyKey });

  describe('request bodies and headers', () => {
    it('sends text to /{version}/{phone-number-id}/messages with the bearer token, and answers the wamid', async () => {
      const result = await send({ kind: 'text', text: 'Hello from the test' }, 'broadcast-1:2348179803743:0');

      expect(result).toEqual({ providerMessageId: 'wamid.fake1' });
      expect(fake.requests).toHaveLength(1);
      const [request] = fake.requests;
      expect(request.method).toBe('POST');
      expect(request.path).toBe(`/v21.0/${PHONE_NUMBER_ID}/messages`);
      expect(request.headers.authorization).toBe(`Bearer ${TOKEN}`);
      expect(request.headers['content-type']).toBe('application/json');
      expect(request.json).toEqual({
        messaging_product: 'whatsapp',
        recipient_type: 'individual',
        to: TO,
        biz_opaque_callback_data: 'broadcast-1:2348179803743:0',
        type: 'text',
        text: { body: 'Hello from the test', preview_url: false },
      });
    });

    it('asks for a link preview only when the text holds a link', async () => {
      await send({ kind: 'text', text: 'See https://example.com/offer' });
      expect(fake.requests[0].json?.text).toEqual({ body: 'See https://example.com/offer', preview_url: true });
    });

    it('uploads an image as multipart (streamed) and sends it by media id with its caption', async () => {
      const bytes = Buffer.alloc(5000, 7);
      const image = mediaSource('att-image', bytes, 'image/png', 'ABCDEFGHIJKLMNO.png');

      const result = await send(media('image', image, 'Our new menu'));

      expect(result.providerMessageId).toBe('wamid.fake1');
      const [upload, message] = fake.requests;
      expect(upload.path).toBe(`/v21.0/${PHONE_NUMBER_ID}/media`);
      expect(upload.headers.authorization).toBe(`Bearer ${TOKEN}`);
      expect(upload.headers['content-type']).toMatch(/^multipart\/form-data; boundary=/);
      expect(upload.form?.fields).toEqual({ messaging_product: 'whatsapp', type: 'image/png' });
      expect(upload.form?.files).toEqual([
        { field: 'file', fileName: 'ABCDEFGHIJKLMNO.png', contentType: 'image/png', data: bytes },
      ]);
      expect(message.json).toMatchObject({ to: TO, type: 'image', image: { id: 'media-1', caption: 'Our new menu' } });
    });

    it.each([
      ['video', 'video/mp4', 'clip.mp4', { id: 'media-1', caption: 'Watch this' }],
      ['document', 'application/pdf', 'INVOICE0000001A.pdf', { id: 'media-1', caption: 'Watch this', filename: 'INVOICE0000001A.pdf' }],
      // WhatsApp refuses captions on audio and stickers.
      ['audio', 'audio/ogg', 'note.ogg', { id: 'media-1' }],
      ['sticker', 'image/webp', 'smile.webp', { id: 'media-1' }],
    ] as const)('sends %s by media id in its own field', async (kind, mimetype, fileName, payload) => {
      await send(media(kind, mediaSource(`att-${kind}`, Buffer.alloc(2000, 1), mimetype, fileName), 'Watch this'));

      const [upload, message] = fake.requests;
      expect(upload.form?.fields.type).toBe(mimetype);
      expect(message.json?.type).toBe(kind);
      expect(message.json?.[kind]).toEqual(payload);
    });

    it('sends a location with its optional name and address', async () => {
      await send({ kind: 'location', latitude: 6.5244, longitude: 3.3792, name: 'Lagos office', address: '1 Marina' });
      expect(fake.requests[0].json).toMatchObject({
        type: 'location',
        location: { latitude: 6.5244, longitude: 3.3792, name: 'Lagos office', address: '1 Marina' },
      });
      fake.reset();
      await send({ kind: 'location', latitude: -33.9, longitude: 18.4 });
      expect(fake.requests[0].json?.location).toEqual({ latitude: -33.9, longitude: 18.4 });
    });

    it('sends contact cards', async () => {
      const card = { name: { formatted_name: 'Ada Lovelace', first_name: 'Ada' }, phones: [{ phone: '+2348012345678', wa_id: '2348012345678', type: 'CELL' }] };
      await send({ kind: 'contacts', contacts: [card] });
      expect(fake.requests[0].json).toMatchObject({ type: 'contacts', contacts: [card] });
    });

    it('sends a template with its language code and components', async () => {
      const components = [{ type: 'body', parameters: [{ type: 'text', text: 'Ada' }] }];
      await send({ kind: 'template', template: { name: 'order_update', language: 'en_US', components } });
      expect(fake.requests[0].json).toMatchObject({
        type: 'template',
        template: { name: 'order_update', language: { code: 'en_US' }, components },
      });
      fake.reset();
      await send({ kind: 'template', template: { name: 'hello_world', language: 'en_US' } });
      expect(fake.requests[0].json?.template).toEqual({ name: 'hello_world', language: { code: 'en_US' } });
    });
  });

  describe('media upload reuse', () => {
    it('uploads an attachment once and reuses its media id for later sends', async () => {
      const image = mediaSource('att-1', Buffer.alloc(3000, 2), 'image/jpeg', 'photo.jpg');
      await send(media('image', image));
      await send(media('image', image));
      await provider.send({ to: '2348000000001', message: media('image', image), idempotencyKey: 'job-2' });

      expect(fake.requestsTo('media')).toHaveLength(1);
      expect(image.opened).toBe(1);
      expect(fake.requestsTo('messages').map((request) => (request.json?.image as { id: string }).id)).toEqual([
        'media-1',
        'media-1',
        'media-1',
      ]);
    });

    it('shares one upload between concurrent sends of the same attachment', async () => {
      const image = mediaSource('att-2', Buffer.alloc(3000, 3), 'image/jpeg', 'photo.jpg');
      await Promise.all(Array.from({ length: 5 }, (_, index) => send(media('image', image), `job-${index}`)));
      expect(fake.requestsTo('media')).toHaveLength(1);
      expect(fake.requestsTo('messages')).toHaveLength(5);
    });

    it('uploads each attachment separately, and again once the id is no longer valid', async () => {
      const first = mediaSource('att-a', Buffer.alloc(2000, 4), 'image/jpeg', 'a.jpg');
      const second = mediaSource('att-b', Buffer.alloc(2000, 5), 'image/jpeg', 'b.jpg');
      await send(media('image', first));
      await send(media('image', second));
      expect(fake.requestsTo('media')).toHaveLength(2);

      clock += MEDIA_ID_REUSE_MS + 1;
      await send(media('image', first));
      expect(fake.requestsTo('media')).toHaveLength(3);
      expect((fake.requestsTo('messages')[2].json?.image as { id: string }).id).toBe('media-3');
    });

    it('keeps uploads of one attachment apart for two sender numbers sharing a cache', async () => {
      const other = new CloudApiProvider({
        baseUrl: fake.baseUrl,
        version: 'v21.0',
        timeoutMs: TIMEOUT_MS,
        phoneNumberId: '999000111',
        accessToken: TOKEN,
        mediaIdCache: cache,
      });
      const image = mediaSource('att-shared', Buffer.alloc(2000, 6), 'image/jpeg', 'shared.jpg');
      await send(media('image', image));
      await other.send({ to: TO, message: media('image', image), idempotencyKey: 'x' });
      expect(fake.requestsTo('media').map((request) => request.path)).toEqual([
        `/v21.0/${PHONE_NUMBER_ID}/media`,
        '/v21.0/999000111/media',
      ]);
    });

    it('uploads again and resends once when the Cloud API refuses a reused media id', async () => {
      const image = mediaSource('att-3', Buffer.alloc(2000, 8), 'image/jpeg', 'photo.jpg');
      await send(media('image', image));
      fake.script('messages', graphError(131053, 'Media upload error', 400, 'Media id expired'));

      const result = await send(media('image', image));

      expect(result.providerMessageId).toBe('wamid.fake2');
      expect(fake.requestsTo('media')).toHaveLength(2);
      expect(fake.requestsTo('messages').map((request) => (request.json?.image as { id: string }).id)).toEqual([
        'media-1',
        'media-1',
        'media-2',
      ]);
    });

    it('does not retry a fresh upload the Cloud API refuses', async () => {
      fake.script('messages', graphError(131053, 'Media upload error', 400, 'Unsupported image encoding'));
      const error = await failure(send(media('image', mediaSource('att-4', Buffer.alloc(2000), 'image/jpeg', 'x.jpg'))));
      expect(error).toMatchObject({ kind: 'permanent', code: '131053', message: 'Media upload error: Unsupported image encoding' });
      expect(fake.requestsTo('media')).toHaveLength(1);
    });

    it('fails permanently when the attachment cannot be read, without calling the Cloud API', async () => {
      const missing: MediaSource = {
        id: 'att-gone',
        mimetype: 'image/png',
        size: 10,
        fileName: 'gone.png',
        open: () => Promise.reject(new Error('ENOENT: no such file')),
      };
      const error = await failure(send(media('image', missing)));
      expect(error).toMatchObject({ kind: 'permanent', code: MEDIA_UNAVAILABLE_CODE });
      expect(error.message).toMatch(/att-gone cannot be read: ENOENT/);
      expect(fake.requests).toHaveLength(0);
    });

    it('does not cache an upload that failed', async () => {
      const image = mediaSource('att-5', Buffer.alloc(2000, 9), 'image/jpeg', 'photo.jpg');
      fake.script('media', { status: 503, body: { error: { message: 'Service unavailable', code: 131016 } } });
      expect(await failure(send(media('image', image)))).toMatchObject({ kind: 'transient', code: '131016' });
      await send(media('image', image));
      expect(fake.requestsTo('media')).toHaveLength(2);
    });
  });

  describe('error mapping', () => {
    const text: OutgoingMessage = { kind: 'text', text: 'hi' };

    it.each([
      [130429, 'Rate limit hit', 2_000],
      [131056, '(Business Account, Consumer Account) pair rate limit hit', 6_000],
      [131000, 'Something went wrong', 5_000],
      [4, 'Application request limit reached', 60_000],
    ])('maps %i to a transient error with its retry delay', async (code, message, retryAfterMs) => {
      fake.script('messages', graphError(code, message));
      const error = await failure(send(text));
      expect(error).toMatchObject({ kind: 'transient', code: String(code), message, options: { retryAfterMs } });
      expect(error.isTransient).toBe(true);
    });

    it.each([
      [131026, 'Message undeliverable', 'Recipient is not a valid WhatsApp user'],
      [131051, 'Unsupported message type', 'Message type is not currently supported'],
      [100, 'Invalid parameter', 'Parameter to is not a valid phone number'],
    ])('maps %i to a permanent error carrying the code and details', async (code, message, details) => {
      fake.script('messages', graphError(code, message, 400, details));
      const error = await failure(send(text));
      expect(error).toMatchObject({ kind: 'permanent', code: String(code), message: `${message}: ${details}` });
      expect(error.options.sessionUnusable).toBeUndefined();
    });

    it('maps 131047 to a permanent error named as the customer-service window, keeping the code and details', async () => {
      fake.script('messages', graphError(131047, 'Re-engagement message', 400, 'More than 24 hours have passed since the recipient last replied'));
      const error = await failure(send(text));
      expect(error).toMatchObject({ kind: 'permanent', code: '131047' });
      expect(error.message).toBe(
        'Outside the customer-service window (the recipient has not written in 24 hours): only a template can be sent: Re-engagement message: More than 24 hours have passed since the recipient last replied',
      );
    });

    it('maps an expired token (190) to a permanent error that makes the session unusable', async () => {
      const expired = new CloudApiProvider({
        baseUrl: fake.baseUrl,
        version: 'v21.0',
        timeoutMs: TIMEOUT_MS,
        phoneNumberId: PHONE_NUMBER_ID,
        accessToken: 'EAAG-expired',
      });
      const error = await failure(expired.send({ to: TO, message: text, idempotencyKey: 'k' }));
      expect(error).toMatchObject({ kind: 'permanent', code: '190', options: { sessionUnusable: true } });
      expect(error.message).toMatch(/access token/);
      expect(error.message).not.toContain('EAAG-expired');
    });

    it('maps 5xx answers without a code to transient errors and honours Retry-After', async () => {
      fake.script('messages', { status: 502, body: 'Bad gateway' }, { status: 503, headers: { 'Retry-After': '7' } });
      expect(await failure(send(text))).toMatchObject({ kind: 'transient', code: 'http_502', options: { retryAfterMs: 5_000 } });
      expect(await failure(send(text))).toMatchObject({ kind: 'transient', code: 'http_503', options: { retryAfterMs: 7_000 } });
    });

    it('maps an unknown 4xx to a permanent error', async () => {
      fake.script('messages', graphError(132001, 'Template does not exist', 404, 'template name (order_update) does not exist in en_US'));
      expect(await failure(send(text))).toMatchObject({ kind: 'permanent', code: '132001' });
    });

    it('maps a timeout to a transient error', async () => {
      fake.script('messages', { status: 200, body: {}, delayMs: 1_000 });
      const impatient = new CloudApiProvider({
        baseUrl: fake.baseUrl,
        version: 'v21.0',
        timeoutMs: 300,
        phoneNumberId: PHONE_NUMBER_ID,
        accessToken: TOKEN,
      });
      const error = await failure(impatient.send({ to: TO, message: text, idempotencyKey: 'k' }));
      expect(error).toMatchObject({ kind: 'transient', code: 'timeout' });
      expect(error.message).toMatch(/no answer within 300 ms/);
    });

    it('maps a dropped connection and a refused connection to transient network errors', async () => {
      fake.script('messages', { status: 200, dropConnection: true });
      expect(await failure(send(text))).toMatchObject({ kind: 'transient', code: 'network_error' });

      const closed = await FakeCloudApi.start();
      await closed.close();
      const unreachable = new CloudApiProvider({
        baseUrl: closed.baseUrl,
        version: 'v21.0',
        timeoutMs: TIMEOUT_MS,
        phoneNumberId: PHONE_NUMBER_ID,
        accessToken: TOKEN,
      });
      const refused = await failure(unreachable.send({ to: TO, message: text, idempotencyKey: 'k' }));
      expect(refused).toMatchObject({ kind: 'transient', code: 'network_error' });
      expect(refused.message).toMatch(/ECONNREFUSED/);
    });

    it('refuses to retry a success answer that lacks a message id (it may have been sent)', async () => {
      fake.script('messages', { status: 200, body: { messaging_product: 'whatsapp', messages: [] } });
      expect(await failure(send(text))).toMatchObject({ kind: 'permanent', code: 'unexpected_response' });
    });
  });
});
