import { createServer, connect, Server, Socket } from 'node:net';

/**
 * A TCP proxy between the app and a server (MongoDB, Redis) that can stall: while stalled it
 * holds every byte in both directions and connects nothing new, as a server that stops
 * answering with its connections still open (a step-down, a long pause, a partition) looks to
 * a client; `pass` delivers what it held, in order, and goes on.
 */
export class FaultProxy {
  private stalled = false;
  private readonly held: Array<() => void> = [];
  private readonly sockets = new Set<Socket>();

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  static async start(target: { host: string; port: number }): Promise<FaultProxy> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    if (!address || typeof address === 'string') throw new Error('The fault proxy has no port');
    const proxy = new FaultProxy(server, address.port);
    server.on('connection', (client) => proxy.relay(client, target));
    return proxy;
  }

  /** The URL's host and port replaced by the proxy's. */
  urlThrough(url: string): string {
    const proxied = new URL(url);
    proxied.hostname = '127.0.0.1';
    proxied.port = String(this.port);
    return proxied.toString();
  }

  stall(): void {
    this.stalled = true;
  }

  pass(): void {
    this.stalled = false;
    for (const release of this.held.splice(0)) release();
  }

  async close(): Promise<void> {
    this.pass();
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private relay(client: Socket, target: { host: string; port: number }): void {
    const open = (): void => {
      const upstream = connect(target.port, target.host);
      for (const socket of [client, upstream]) {
        this.sockets.add(socket);
        socket.on('close', () => this.sockets.delete(socket));
        socket.on('error', () => {
          client.destroy();
          upstream.destroy();
        });
      }
      this.forward(client, upstream);
      this.forward(upstream, client);
    };
    this.whenPassing(open);
  }

  private forward(from: Socket, to: Socket): void {
    from.on('data', (chunk: Buffer) => this.whenPassing(() => to.write(chunk)));
    from.on('end', () => this.whenPassing(() => to.end()));
  }

  private whenPassing(action: () => void): void {
    if (this.stalled) this.held.push(action);
    else action();
  }
}
