import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import Redis from 'ioredis';
import { findOnPath, freePort, RedisServerProcess } from '../../src/local/redis-server-process';

const run = promisify(execFile);

/** Why a Redis Cluster cannot be started here, or null when it can. */
export function redisClusterUnavailableReason(): string | null {
  if (!findOnPath('redis-server')) return 'redis-server is not on PATH';
  if (!findOnPath('redis-cli')) return 'redis-cli is not on PATH (it creates the cluster)';
  return null;
}

/** Why a sentinel cannot be started here, or null when it can: `redis-server --sentinel` is the sentinel (Debian's `redis-sentinel` is the same program). */
export function redisSentinelUnavailableReason(): string | null {
  return findOnPath('redis-server') ? null : 'redis-server is not on PATH (it runs the master, the replica and, with --sentinel, the sentinel)';
}

/** A master of a loopback cluster: its port and the hash slots it serves. */
export interface ClusterMaster {
  port: number;
  slots: Array<[number, number]>;
}

/**
 * A Redis Cluster of `redis-server` processes on loopback, joined with `redis-cli --cluster create`
 * (masters only), for the suites that check the app on a cluster.
 */
export class LocalRedisCluster {
  private constructor(
    private readonly servers: RedisServerProcess[],
    private readonly directory: string,
  ) {}

  get ports(): number[] {
    return this.servers.map((server) => server.port);
  }

  /** REDIS_URL naming the cluster (two seed nodes; the rest is discovered). */
  get url(): string {
    return `redis+cluster://${this.ports
      .slice(0, 2)
      .map((port) => `127.0.0.1:${port}`)
      .join(',')}`;
  }

  static async start(masters = 3): Promise<LocalRedisCluster> {
    const directory = mkdtempSync(join(tmpdir(), 'wa-redis-cluster-'));
    const servers: RedisServerProcess[] = [];
    try {
      for (let index = 0; index < masters; index++) {
        const port = await freePort();
        servers.push(
          await RedisServerProcess.start({
            port,
            extraArgs: ['--cluster-enabled', 'yes', '--cluster-config-file', join(directory, `nodes-${port}.conf`), '--dir', directory, '--cluster-node-timeout', '5000'],
          }),
        );
      }
      const cluster = new LocalRedisCluster(servers, directory);
      const nodes = cluster.ports.map((port) => `127.0.0.1:${port}`);
      await run('redis-cli', ['--cluster', 'create', ...nodes, '--cluster-replicas', '0', '--cluster-yes'], { timeout: 30_000 });
      await cluster.waitUntilReady();
      return cluster;
    } catch (error) {
      await Promise.all(servers.map((server) => server.stop()));
      rmSync(directory, { recursive: true, force: true });
      throw error;
    }
  }

  /** Each master with the slots it serves, from CLUSTER SLOTS. */
  async masters(): Promise<ClusterMaster[]> {
    const slots = (await this.command<Array<[number, number, [string, number, ...unknown[]]]>>(this.ports[0], 'CLUSTER', 'SLOTS')) ?? [];
    return this.ports.map((port) => ({
      port,
      slots: slots.filter(([, , [, masterPort]]) => masterPort === port).map(([first, last]) => [first, last] as [number, number]),
    }));
  }

  /** The master serving a key's hash slot. */
  async masterOf(key: string): Promise<number> {
    const slot = await this.command<number>(this.ports[0], 'CLUSTER', 'KEYSLOT', key);
    const owner = (await this.masters()).find((master) => master.slots.some(([first, last]) => slot >= first && slot <= last));
    if (!owner) throw new Error(`No master serves slot ${slot}`);
    return owner.port;
  }

  /** Calls of each command a master has run since its statistics were last reset (INFO commandstats). */
  async commandCalls(port: number): Promise<Map<string, number>> {
    const info = await this.command<string>(port, 'INFO', 'commandstats');
    const calls = new Map<string, number>();
    for (const match of info.matchAll(/^cmdstat_([\w|]+):calls=(\d+)/gm)) calls.set(match[1], Number(match[2]));
    return calls;
  }

  async resetStatistics(): Promise<void> {
    await Promise.all(this.ports.map((port) => this.command(port, 'CONFIG', 'RESETSTAT')));
  }

  async stop(): Promise<void> {
    await Promise.all(this.servers.map((server) => server.stop()));
    rmSync(this.directory, { recursive: true, force: true });
  }

  private async waitUntilReady(): Promise<void> {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const states = await Promise.all(this.ports.map((port) => this.command<string>(port, 'CLUSTER', 'INFO')));
      if (states.every((info) => info.includes('cluster_state:ok'))) return;
      if (Date.now() > deadline) throw new Error('The Redis Cluster did not reach cluster_state:ok within 20 s');
      await sleep(100);
    }
  }

  private async command<T>(port: number, name: string, ...args: Array<string | number>): Promise<T> {
    const connection = new Redis({ host: '127.0.0.1', port, lazyConnect: true, maxRetriesPerRequest: 1 });
    try {
      await connection.connect();
      return (await connection.call(name, ...args)) as T;
    } finally {
      connection.disconnect();
    }
  }
}

/** A master, one replica and one sentinel watching them, on loopback: enough for a real failover. */
export class LocalRedisSentinel {
  static readonly MASTER_NAME = 'wa-test-master';

  private constructor(
    readonly master: RedisServerProcess,
    readonly replica: RedisServerProcess,
    private readonly sentinel: RedisServerProcess,
    private readonly directory: string,
  ) {}

  /** REDIS_SENTINELS naming the sentinel. */
  get sentinels(): string {
    return `127.0.0.1:${this.sentinel.port}`;
  }

  static async start(): Promise<LocalRedisSentinel> {
    const directory = mkdtempSync(join(tmpdir(), 'wa-redis-sentinel-'));
    // Their own folder: a full resynchronisation writes an RDB file into the working directory otherwise.
    const master = await RedisServerProcess.start({ extraArgs: ['--dir', directory] });
    const replica = await RedisServerProcess.start({ extraArgs: ['--dir', directory, '--replicaof', '127.0.0.1', String(master.port)] });
    const configFile = join(directory, 'sentinel.conf');
    // Quorum 1 and short timeouts: one sentinel decides, and a failover takes a few seconds.
    writeFileSync(
      configFile,
      [
        `sentinel monitor ${LocalRedisSentinel.MASTER_NAME} 127.0.0.1 ${master.port} 1`,
        `sentinel down-after-milliseconds ${LocalRedisSentinel.MASTER_NAME} 1000`,
        `sentinel failover-timeout ${LocalRedisSentinel.MASTER_NAME} 5000`,
        '',
      ].join('\n'),
    );
    const sentinel = await RedisServerProcess.start({ configFile, extraArgs: ['--sentinel', '--dir', directory] });
    return new LocalRedisSentinel(master, replica, sentinel, directory);
  }

  /** The port of the master the sentinel names now. */
  async currentMasterPort(): Promise<number> {
    const connection = new Redis({ host: '127.0.0.1', port: this.sentinel.port, lazyConnect: true, maxRetriesPerRequest: 1 });
    try {
      await connection.connect();
      const [, port] = (await connection.call('SENTINEL', 'get-master-addr-by-name', LocalRedisSentinel.MASTER_NAME)) as [string, string];
      return Number(port);
    } finally {
      connection.disconnect();
    }
  }

  async stop(): Promise<void> {
    await Promise.all([this.master.stop(), this.replica.stop(), this.sentinel.stop()]);
    rmSync(this.directory, { recursive: true, force: true });
  }
}
