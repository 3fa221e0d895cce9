import { createServer, IncomingHttpHeaders, Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface ReceivedDelivery {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  /** The status it was answered with. */
  answered: number;
  at: number;
}

/**
 * A client's own server on 127.0.0.1: records every event delivery and answers each path
 * with scripted statuses (then 200), so suites can make an endpoint fail, recover or vanish.
 */
export class WebhookReceiver {
  readonly received: ReceivedDelivery[] = [];
  private readonly scripts = new Map<string, number[]>();
  private readonly always = new Map<string, number>();
  private readonly sockets = new Set<Socket>();

  private constructor(
    private readonly server: Server,
    readonly baseUrl: string,
  ) {}

  /** Listens on `host` (default 127.0.0.1; `::1` for IPv6 loopback). */
  static async start(host = '127.0.0.1'): Promise<WebhookReceiver> {
    const holder: { receiver?: WebhookReceiver } = {};
    const server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const receiver = holder.receiver!;
        const path = request.url ?? '';
        const status = receiver.scripts.get(path)?.shift() ?? receiver.always.get(path) ?? 200;
        receiver.received.push({ path, headers: request.headers, body: Buffer.concat(chunks).toString('utf8'), answered: status, at: Date.now() });
        response.writeHead(status, { 'Content-Type': 'text/plain' });
        response.end(status < 300 ? 'ok' : 'nope');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, host, resolve));
    const { port } = server.address() as AddressInfo;
    const receiver = new WebhookReceiver(server, `http://${host.includes(':') ? `[${host}]` : host}:${port}`);
    holder.receiver = receiver;
    server.on('connection', (socket) => {
      receiver.sockets.add(socket);
      socket.on('close', () => receiver.sockets.delete(socket));
    });
    return receiver;
  }

  /** The next deliveries to `path` are answered with these statuses, in order; then 200 (or the `always` status). */
  script(path: string, ...statuses: number[]): void {
    this.scripts.set(path, [...(this.scripts.get(path) ?? []), ...statuses]);
  }

  /** Every delivery to `path` is answered with this status. */
  answerAlways(path: string, status: number): void {
    this.always.set(path, status);
  }

  to(path: string): ReceivedDelivery[] {
    return this.received.filter((delivery) => delivery.path === path);
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
