import type { DownloadedMedia } from '../inbound';
import { mediaSourceOf, MediaSource, OutgoingMessage } from '../message';
import { ProviderError, SendRequest, SendResult, WhatsappProvider } from '../provider';
import { callGraphApi, errorText, transportError, unexpectedAnswer } from './graph-api-call';
import { toCloudApiMessage } from './cloud-api-message';
import { InMemoryMediaIdCache, MEDIA_ID_REUSE_MS, MediaIdCache } from './media-id-cache';
import { multipartBody } from './multipart-body';

export interface CloudApiProviderOptions {
  /** Graph API origin, e.g. https://graph.facebook.com (tests point it at a local fake). */
  baseUrl: string;
  /** Graph API version, e.g. v21.0. */
  version: string;
  /** Longest wait for a send call, connection to last byte. */
  timeoutMs: number;
  /** Longest wait for a media upload (files up to 100 MB); defaults to timeoutMs. */
  uploadTimeoutMs?: number;
  phoneNumberId: string;
  accessToken: string;
  /** Where uploaded media ids are kept; one per process unless the caller shares one. */
  mediaIdCache?: MediaIdCache;
}

/** Codes with which the Cloud API refuses a media id; a reused (cached) id is then uploaded afresh once. */
const MEDIA_REJECTED_CODES: ReadonlySet<string> = new Set(['100', '131009', '131052', '131053']);

/** Code when an attachment's stored bytes cannot be read. */
export const MEDIA_UNAVAILABLE_CODE = 'media_unavailable';

interface SendAnswer {
  messages?: Array<{ id?: string }>;
}

interface UploadAnswer {
  id?: string;
}

interface MediaUrlAnswer {
  url?: string;
  mime_type?: string;
  file_size?: number | string;
}

/**
 * The WhatsApp Business Cloud API: one instance per sender number. Media (a media message's
 * file, or a template header's attachment) are uploaded once and their ids reused while valid; every failure becomes a ProviderError saying
 * whether to retry, and whether the session can still send at all.
 */
export class CloudApiProvider implements WhatsappProvider {
  readonly name = 'cloud-api' as const;
  private readonly mediaIdCache: MediaIdCache;
  private readonly baseUrl: string;

  constructor(private readonly options: CloudApiProviderOptions) {
    this.mediaIdCache = options.mediaIdCache ?? new InMemoryMediaIdCache();
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
  }

  async send({ to, message, idempotencyKey }: SendRequest): Promise<SendResult> {
    const media = mediaSourceOf(message);
    if (!media) {
      return this.postMessage(to, message, { callbackData: idempotencyKey });
    }
    const cacheKey = `${this.options.phoneNumberId}:${media.id}`;
    const upload = () => this.uploadMedia(media);
    const first = await this.mediaIdCache.resolve(cacheKey, MEDIA_ID_REUSE_MS, upload);
    try {
      return await this.postMessage(to, message, { mediaId: first.mediaId, callbackData: idempotencyKey });
    } catch (error) {
      const refusedReusedId =
        !first.uploaded && error instanceof ProviderError && !error.isTransient && MEDIA_REJECTED_CODES.has(error.code);
      if (!refusedReusedId) throw error;
      // The cached id may have expired or been deleted early: upload once more and resend.
      await this.mediaIdCache.invalidate(cacheKey);
      const fresh = await this.mediaIdCache.resolve(cacheKey, MEDIA_ID_REUSE_MS, upload);
      return this.postMessage(to, message, { mediaId: fresh.mediaId, callbackData: idempotencyKey });
    }
  }

  /** Uploads one file to `/{version}/{phone-number-id}/media`, streaming it, and answers its media id. */
  async uploadMedia(media: MediaSource): Promise<string> {
    let stream;
    try {
      stream = await media.open();
    } catch (error) {
      throw new ProviderError('permanent', MEDIA_UNAVAILABLE_CODE, `Attachment ${media.id} cannot be read: ${errorText(error)}`);
    }
    const multipart = multipartBody(
      { messaging_product: 'whatsapp', type: media.mimetype },
      { field: 'file', fileName: media.fileName, contentType: media.mimetype, stream },
    );
    try {
      const answer = await this.post<UploadAnswer>(
        'media',
        { 'Content-Type': multipart.contentType },
        multipart.body,
        this.options.uploadTimeoutMs ?? this.options.timeoutMs,
      );
      if (!answer.id) throw unexpectedAnswer('media upload answered without an id');
      return answer.id;
    } finally {
      stream.destroy();
    }
  }

  /**
   * Streams a customer's media file: its URL from `/{version}/{media-id}`, then the bytes
   * from that URL, both with the session's token. The caller consumes (or destroys) the body.
   */
  async downloadMedia(mediaId: string): Promise<DownloadedMedia> {
    const described = await this.call<MediaUrlAnswer>(
      'media download',
      `${this.baseUrl}/${this.options.version}/${encodeURIComponent(mediaId)}`,
      { method: 'GET' },
      this.options.timeoutMs,
    );
    if (typeof described.url !== 'string' || !described.url) throw unexpectedAnswer('media lookup answered without a url');
    const timeoutMs = this.options.uploadTimeoutMs ?? this.options.timeoutMs;
    let response: Response;
    try {
      response = await fetch(described.url, {
        headers: { Authorization: `Bearer ${this.options.accessToken}` },
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (error) {
      throw transportError(error, 'media download', timeoutMs);
    }
    if (!response.ok || !response.body) {
      await response.body?.cancel();
      const kind = response.status >= 500 || response.status === 408 || response.status === 429 ? 'transient' : 'permanent';
      throw new ProviderError(kind, MEDIA_UNAVAILABLE_CODE, `Cloud API media download answered HTTP ${response.status}`);
    }
    const size = Number(described.file_size);
    return {
      mimeType: described.mime_type ?? response.headers.get('content-type'),
      size: Number.isFinite(size) && size >= 0 ? size : null,
      body: response.body,
    };
  }

  private async postMessage(
    to: string,
    message: OutgoingMessage,
    options: { mediaId?: string; callbackData?: string },
  ): Promise<SendResult> {
    const body = JSON.stringify(toCloudApiMessage(to, message, options));
    const answer = await this.post<SendAnswer>('messages', { 'Content-Type': 'application/json' }, body, this.options.timeoutMs);
    const providerMessageId = answer.messages?.[0]?.id;
    if (!providerMessageId) throw unexpectedAnswer('send answered without a message id');
    return { providerMessageId };
  }

  private post<T>(
    edge: 'messages' | 'media',
    headers: Record<string, string>,
    body: string | AsyncIterable<Uint8Array>,
    timeoutMs: number,
  ): Promise<T> {
    const url = `${this.baseUrl}/${this.options.version}/${encodeURIComponent(this.options.phoneNumberId)}/${edge}`;
    // Streamed bodies need half-duplex in undici.
    return this.call<T>(edge, url, { method: 'POST', headers, body, duplex: 'half' }, timeoutMs);
  }

  private call<T>(what: string, url: string, init: RequestInit & { duplex?: 'half' }, timeoutMs: number): Promise<T> {
    return callGraphApi<T>({ what, url, init, accessToken: this.options.accessToken, timeoutMs });
  }
}
