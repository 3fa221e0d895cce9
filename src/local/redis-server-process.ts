import { ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { createServer, createConnection } from 'node:net';
import { delimiter, join } from 'node:path';

/** Finds an executable on PATH, as `which` would. */
export function findOnPath(command: string, path = process.env.PATH ?? ''): string | null {
  for (const directory of path.split(delimiter)) {
    const candidate = join(directory, command);
    if (directory && existsSync(candidate)) return candidate;
  }
  return null;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

function answersPing(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.setTimeout(500);
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (data) => {
      socket.destroy();
      resolve(data.toString().startsWith('+PONG'));
    });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });
}

export const REDIS_INSTALL_HINT =
  'Install redis-server (Debian/Ubuntu: apt-get install redis-server; macOS: brew install redis) or set REDIS_URL=redis://host:6379';

export interface RedisServerOptions {
  /** Folder for its append-only file; omitted: nothing is persisted. */
  dataDir?: string;
  /** More command-line options (`--cluster-enabled yes`, `--replicaof host port`, ...). */
  extraArgs?: string[];
  /** A configuration file to start from (a sentinel needs one it can rewrite). */
  configFile?: string;
  /** The port to listen on; omitted: a free one. */
  port?: number;
  /**
   * Run in its own process group, so that a terminal's Ctrl-C (sent to the whole foreground group)
   * does not stop it while the app that uses it is still draining; the app stops it last.
   */
  ownProcessGroup?: boolean;
}

/** A `redis-server` child process on a free loopback port, for local mode and the tests. */
export class RedisServerProcess {
  /** Settles when the server process has ended, whoever ended it. */
  readonly exited: Promise<void>;

  private constructor(
    private readonly child: ChildProcess,
    readonly port: number,
  ) {
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  static async start(options: RedisServerOptions = {}): Promise<RedisServerProcess> {
    const binary = findOnPath('redis-server');
    if (!binary) throw new Error(`REDIS_URL is not set and no redis-server was found on PATH. ${REDIS_INSTALL_HINT}`);
    const port = options.port ?? (await freePort());
    const args = [...(options.configFile ? [options.configFile] : []), '--port', String(port), '--bind', '127.0.0.1', '--save', '', '--protected-mode', 'yes'];
    if (options.dataDir) {
      mkdirSync(options.dataDir, { recursive: true });
      args.push('--dir', options.dataDir, '--appendonly', 'yes');
    } else {
      args.push('--appendonly', 'no');
    }
    args.push(...(options.extraArgs ?? []));
    const child = spawn(binary, args, { stdio: 'ignore', detached: options.ownProcessGroup ?? false });
    const server = new RedisServerProcess(child, port);
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      if (child.exitCode !== null) throw new Error(`redis-server exited with code ${child.exitCode}`);
      if (await answersPing(port)) return server;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await server.stop();
    throw new Error(`redis-server did not answer on port ${port} within 10 s`);
  }

  /** Signals it to stop without waiting (for a process `exit` handler, where nothing asynchronous runs). */
  stopNow(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGTERM');
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      this.child.once('exit', () => resolve());
      this.child.kill('SIGTERM');
    });
  }
}
