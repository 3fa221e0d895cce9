import { createServer, connect, Server, Socket } from 'node:net';

/** One direction of one connection: chunks wait here for their time when latency is added, in order. */
interface Lane {
  queue: Array<{ due: number; deliver: () => void }>;
  timer?: NodeJS.Timeout;
}

/**
 * A TCP proxy between the app and a server (MongoDB, Redis) that can fail the ways a network and a
 * server do. `stall` holds every byte in both directions and connects nothing new, as a server that
 * stops answering with its connections still open (a step-down, a long pause, a partition) looks to
 * a client; `pass` delivers what it held, in order, and goes on. `drop` resets every open connection
 * at once, whatever is in flight (a network drop, a server restarted); `latency` delays every chunk
 * each way by that many milliseconds, in order (a distant or congested link).
 */
export class FaultProxy {
  private stalled = false;
  private latencyMs = 0;
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

  /** Resets every open connection now, both sides, with whatever was held or on its way; new connections go through. */
  drop(): void {
    this.held.splice(0);
    for (const socket of this.sockets) socket.resetAndDestroy();
  }

  /** Delays every chunk, each way, by `ms` from now on (0: none). */
  latency(ms: number): void {
    this.latencyMs = ms;
  }

  async close(): Promise<void> {
    this.pass();
    this.latencyMs = 0;
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private relay(client: Socket, target: { host: string; port: number }): void {
    // Tracked from the start: a connection held by a stall and then dropped is reset like the others.
    this.track(client);
    client.on('error', () => client.destroy());
    const open = (): void => {
      if (client.destroyed) return;
      const upstream = connect(target.port, target.host);
      this.track(upstream);
      for (const socket of [client, upstream]) {
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

  private track(socket: Socket): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
  }

  private forward(from: Socket, to: Socket): void {
    const lane: Lane = { queue: [] };
    from.on('data', (chunk: Buffer) => this.whenPassing(() => this.delayed(lane, () => to.write(chunk))));
    from.on('end', () => this.whenPassing(() => this.delayed(lane, () => to.end())));
    from.on('close', () => clearTimeout(lane.timer));
  }

  private whenPassing(action: () => void): void {
    if (this.stalled) this.held.push(action);
    else action();
  }

  /** Delivers after the current latency, never before a chunk that came earlier. */
  private delayed(lane: Lane, deliver: () => void): void {
    if (this.latencyMs === 0 && lane.queue.length === 0) {
      deliver();
      return;
    }
    lane.queue.push({ due: Date.now() + this.latencyMs, deliver });
    if (!lane.timer) this.drain(lane);
  }

  private drain(lane: Lane): void {
    lane.timer = undefined;
    const now = Date.now();
    while (lane.queue.length > 0 && lane.queue[0].due <= now) lane.queue.shift()!.deliver();
    if (lane.queue.length > 0) lane.timer = setTimeout(() => this.drain(lane), lane.queue[0].due - now);
  }
}
