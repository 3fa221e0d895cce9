import { createServer, IncomingHttpHeaders, IncomingMessage, Server, ServerResponse } from 'node:http';
import { signWebhookBody } from '@app/whatsapp';
import type { AddressInfo, Socket } from 'node:net';

export interface UploadedFile {
  field: string;
  fileName: string;
  contentType: string;
  data: Buffer;
}

export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** The parsed body of a JSON request. */
  json?: Record<string, unknown>;
  /** The fields and files of a multipart request. */
  form?: { fields: Record<string, string>; files: UploadedFile[] };
}

export interface ScriptedResponse {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
  /** Wait this long before answering (to provoke timeouts). */
  delayMs?: number;
  /** Close the socket without any answer (a network failure). */
  dropConnection?: boolean;
  /** Only for a message to this number (others pass it by and get the next answers). */
  forRecipient?: string;
}

type Edge = 'messages' | 'media';

/** A Graph API error answer, as the Cloud API sends it. */
export function graphError(code: number, message: string, status = 400, details?: string): ScriptedResponse {
  return {
    status,
    body: {
      error: {
        message,
        type: 'OAuthException',
        code,
        ...(details ? { error_data: { messaging_product: 'whatsapp', details } } : {}),
        fbtrace_id: 'AbCdEfGh',
      },
    },
  };
}

/** A template as the fake Business Account keeps it (the Graph API's fields). */
export interface FakeTemplate {
  id: string;
  name: string;
  language: string;
  status: string;
  category: string;
  components: Array<Record<string, unknown>>;
  quality_score?: { score: string };
  rejected_reason?: string;
  parameter_format?: string;
}

/**
 * A template lifecycle webhook as Meta sends it (`entry[].id` is the Business Account), with its
 * X-Hub-Signature-256 made with the app secret: the raw body to POST and the signature header.
 */
export function templateWebhook(
  wabaId: string,
  field: 'message_template_status_update' | 'message_template_quality_update' | 'template_category_update',
  value: Record<string, unknown>,
  appSecret: string,
): { raw: Buffer; signature: string } {
  const raw = Buffer.from(JSON.stringify({ object: 'whatsapp_business_account', entry: [{ id: wabaId, time: 1700000000, changes: [{ field, value }] }] }));
  return { raw, signature: signWebhookBody(raw, appSecret) };
}

/**
 * A `messages` webhook as Meta sends it for the number `phoneNumberId`: customers' messages (see
 * cloudTextMessage) and their contacts' profiles. Unsigned: sign it with signWebhookBody and the
 * session's app secret (or not, to forge one).
 */
export function cloudMessagesWebhook(phoneNumberId: string, messages: unknown[], contacts: unknown[] = []): Buffer {
  return Buffer.from(
    JSON.stringify({
      object: 'whatsapp_business_account',
      entry: [
        {
          id: '102290129340398',
          changes: [{ field: 'messages', value: { messaging_product: 'whatsapp', metadata: { display_phone_number: '15550783882', phone_number_id: phoneNumberId }, contacts, messages } }],
        },
      ],
    }),
  );
}

/** A customer's text message in a `messages` webhook, sent now. */
export function cloudTextMessage(from: string, id: string, body: string): Record<string, unknown> {
  return { from, id, timestamp: String(Math.floor(Date.now() / 1000)), type: 'text', text: { body } };
}

/**
 * A stand-in for graph.facebook.com on 127.0.0.1: records every request and answers
 * `/{version}/{phone-number-id}/messages` and `/media` like the Cloud API, or with
 * scripted answers (errors, delays, dropped connections) queued per edge.
 */
export class FakeCloudApi {
  readonly requests: RecordedRequest[] = [];
  /** Every message the fake accepted: the recipient and the id it answered. */
  readonly accepted: Array<{ to: string; id: string; at: number }> = [];
  private readonly scripts: Record<Edge, ScriptedResponse[]> = { messages: [], media: [] };
  private readonly sockets = new Set<Socket>();
  private messageCount = 0;
  private mediaCount = 0;
  /** Customers' media files, by media id: what GET /{version}/{media-id} describes and its URL serves. */
  private readonly customerMedia = new Map<string, { data: Buffer; mimeType: string }>();
  /** Each Business Account's templates, as `GET /{version}/{waba-id}/message_templates` lists them. */
  readonly templates = new Map<string, FakeTemplate[]>();
  /** Templates per page of the list (small, so that a sync has to follow the cursor). */
  templatePageSize = 2;
  private templateCount = 0;

  private constructor(
    private readonly server: Server,
    readonly baseUrl: string,
    /** When set, other bearer tokens are refused with error 190 like an expired token. */
    private readonly accessToken?: string,
    /** How long each message call takes to answer. */
    private readonly latencyMs = 0,
  ) {}

  static async start(options: { accessToken?: string; latencyMs?: number } = {}): Promise<FakeCloudApi> {
    const started: { fake?: FakeCloudApi } = {};
    const server = createServer((request, response) => void started.fake?.handle(request, response));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const fake = new FakeCloudApi(server, `http://127.0.0.1:${port}`, options.accessToken, options.latencyMs);
    started.fake = fake;
    server.on('connection', (socket) => {
      fake.sockets.add(socket);
      socket.on('close', () => fake.sockets.delete(socket));
    });
    return fake;
  }

  /** A file a customer sent, downloadable (with the access token) through the Graph API's media lookup. */
  addCustomerMedia(mediaId: string, data: Buffer, mimeType: string): void {
    this.customerMedia.set(mediaId, { data, mimeType });
  }

  /** The next calls to `edge` get these answers, in order; later calls get the normal ones. */
  script(edge: Edge, ...responses: ScriptedResponse[]): void {
    this.scripts[edge].push(...responses);
  }

  requestsTo(edge: Edge): RecordedRequest[] {
    return this.requests.filter((request) => request.path.endsWith(`/${edge}`));
  }

  /** Forgets recorded requests and unused scripts; ids keep counting, so they stay unique. */
  clearRequests(): void {
    this.requests.length = 0;
    this.accepted.length = 0;
    this.scripts.messages.length = 0;
    this.scripts.media.length = 0;
  }

  /** As if freshly started: ids count from 1 again. */
  reset(): void {
    this.clearRequests();
    this.messageCount = 0;
    this.mediaCount = 0;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const recorded: RecordedRequest = {
      method: request.method ?? '',
      path: request.url ?? '',
      headers: request.headers,
      body: Buffer.concat(chunks),
    };
    const contentType = request.headers['content-type'] ?? '';
    if (contentType.startsWith('application/json')) recorded.json = JSON.parse(recorded.body.toString('utf8')) as Record<string, unknown>;
    if (contentType.startsWith('multipart/form-data')) recorded.form = parseMultipart(recorded.body, contentType);
    this.requests.push(recorded);

    const templatesOf = /^\/v\d+\.\d+\/([^/?]+)\/message_templates(?:\?|$)/.exec(recorded.path)?.[1];
    if (templatesOf) return this.answerTemplates(request, response, templatesOf, recorded);
    if (request.method === 'GET') return this.answerMediaDownload(request, response, recorded.path);
    const edge: Edge | undefined = /^\/v\d+\.\d+\/[^/]+\/(messages|media)$/.exec(recorded.path)?.[1] as Edge | undefined;
    if (request.method !== 'POST' || !edge) return this.answer(response, graphError(100, 'Unsupported request', 400));
    if (this.accessToken && request.headers.authorization !== `Bearer ${this.accessToken}`) {
      return this.answer(response, graphError(190, 'Error validating access token: Session has expired.', 401));
    }
    const to = typeof recorded.json?.to === 'string' ? recorded.json.to : '';
    const at = this.scripts[edge].findIndex((one) => one.forRecipient === undefined || one.forRecipient === to);
    if (at !== -1) return this.answer(response, this.scripts[edge].splice(at, 1)[0]);
    if (edge === 'media') return this.answer(response, { status: 200, body: { id: `media-${++this.mediaCount}` } });
    const id = `wamid.fake${++this.messageCount}`;
    // Sent from here on, as on WhatsApp: whether the caller lives to read the answer does not matter.
    this.accepted.push({ to, id, at: Date.now() });
    return this.answer(response, {
      status: 200,
      delayMs: this.latencyMs,
      body: { messaging_product: 'whatsapp', contacts: [{ input: to, wa_id: to }], messages: [{ id }] },
    });
  }

  /** The account's templates: listed a page at a time (cursor `after`), created PENDING, deleted by name or hsm_id. */
  private async answerTemplates(request: IncomingMessage, response: ServerResponse, wabaId: string, recorded: RecordedRequest): Promise<void> {
    if (this.accessToken && request.headers.authorization !== `Bearer ${this.accessToken}`) {
      return this.answer(response, graphError(190, 'Error validating access token: Session has expired.', 401));
    }
    const query = new URL(recorded.path, this.baseUrl).searchParams;
    const templates = this.templates.get(wabaId) ?? [];
    this.templates.set(wabaId, templates);
    if (request.method === 'GET') {
      const start = Number(query.get('after') ?? '0');
      const page = templates.slice(start, start + this.templatePageSize);
      const next = start + this.templatePageSize < templates.length ? String(start + this.templatePageSize) : undefined;
      return this.answer(response, {
        status: 200,
        body: { data: page, paging: { cursors: { before: String(start), after: next ?? String(start) }, ...(next ? { next: `${this.baseUrl}${recorded.path}&after=${next}` } : {}) } },
      });
    }
    if (request.method === 'POST') {
      const body = recorded.json ?? {};
      if (templates.some((template) => template.name === body.name && template.language === body.language)) {
        return this.answer(response, { status: 400, body: { error: { message: 'Invalid parameter', type: 'OAuthException', code: 100, error_subcode: 2388024, error_user_title: 'Content in this language already exists', error_user_msg: `There is already ${String(body.language)} content for this template.` } } });
      }
      if (typeof body.name === 'string' && body.name.includes('emoji')) {
        return this.answer(response, { status: 400, body: { error: { message: 'Invalid parameter', type: 'OAuthException', code: 100, error_subcode: 2388043, error_user_title: 'Message template "components" param is invalid', error_user_msg: 'components[0].text: the body text cannot contain emoji in this category' } } });
      }
      const created: FakeTemplate = {
        id: String(1_000_000_000_000_000 + ++this.templateCount),
        name: String(body.name),
        language: String(body.language),
        status: 'PENDING',
        category: String(body.category),
        components: Array.isArray(body.components) ? (body.components as Array<Record<string, unknown>>) : [],
      };
      templates.push(created);
      return this.answer(response, { status: 200, body: { id: created.id, status: created.status, category: created.category } });
    }
    if (request.method === 'DELETE') {
      const name = query.get('name');
      const hsmId = query.get('hsm_id');
      const kept = templates.filter((template) => template.name !== name || (hsmId !== null && template.id !== hsmId));
      if (kept.length === templates.length) return this.answer(response, graphError(100, `Message template "${name}" not found`, 404));
      this.templates.set(wabaId, kept);
      return this.answer(response, { status: 200, body: { success: true } });
    }
    return this.answer(response, graphError(100, 'Unsupported request', 400));
  }

  /** `GET /{version}/{media-id}` answers the file's URL; `GET /media-files/{media-id}` its bytes. */
  private async answerMediaDownload(request: IncomingMessage, response: ServerResponse, path: string): Promise<void> {
    if (this.accessToken && request.headers.authorization !== `Bearer ${this.accessToken}`) {
      return this.answer(response, graphError(190, 'Error validating access token: Session has expired.', 401));
    }
    const lookup = /^\/v\d+\.\d+\/([^/]+)$/.exec(path);
    const download = /^\/media-files\/([^/]+)$/.exec(path);
    const file = this.customerMedia.get(decodeURIComponent((lookup ?? download)?.[1] ?? ''));
    if (!file) return this.answer(response, graphError(100, 'Unsupported get request. Object does not exist', 404));
    if (lookup) {
      const url = `${this.baseUrl}/media-files/${lookup[1]}`;
      return this.answer(response, { status: 200, body: { url, mime_type: file.mimeType, file_size: file.data.length, id: lookup[1], messaging_product: 'whatsapp' } });
    }
    response.writeHead(200, { 'Content-Type': file.mimeType, 'Content-Length': String(file.data.length) });
    response.end(file.data);
  }

  private async answer(response: ServerResponse, scripted: ScriptedResponse): Promise<void> {
    if (scripted.delayMs) await new Promise((resolve) => setTimeout(resolve, scripted.delayMs));
    if (scripted.dropConnection) {
      response.socket?.destroy();
      return;
    }
    if (response.destroyed) return;
    response.writeHead(scripted.status, { 'Content-Type': 'application/json', ...scripted.headers });
    response.end(scripted.body === undefined ? '' : JSON.stringify(scripted.body));
  }
}

/** Enough of multipart/form-data for the fake: named fields and files. */
function parseMultipart(body: Buffer, contentType: string): { fields: Record<string, string>; files: UploadedFile[] } {
  const boundary = /boundary=(?:"([^"]+)"|([^;]+))/.exec(contentType);
  const delimiter = Buffer.from(`--${boundary?.[1] ?? boundary?.[2] ?? ''}`);
  const fields: Record<string, string> = {};
  const files: UploadedFile[] = [];
  let start = body.indexOf(delimiter);
  while (start !== -1) {
    const next = body.indexOf(delimiter, start + delimiter.length);
    if (next === -1) break;
    const part = body.subarray(start + delimiter.length + 2, next - 2); // drop CRLF after the delimiter and before the next
    const headerEnd = part.indexOf('\r\n\r\n');
    const headers = part.subarray(0, headerEnd).toString('utf8');
    const data = part.subarray(headerEnd + 4);
    const name = /name="([^"]*)"/.exec(headers)?.[1] ?? '';
    const fileName = /filename="([^"]*)"/.exec(headers)?.[1];
    if (fileName === undefined) fields[name] = data.toString('utf8');
    else files.push({ field: name, fileName, contentType: /Content-Type: (.+)/i.exec(headers)?.[1].trim() ?? '', data: Buffer.from(data) });
    start = next;
  }
  return { fields, files };
}
