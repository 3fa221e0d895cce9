import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';

/**
 * This process among all processes of the deployment: host and pid, plus a random part because a
 * container restarted in place comes back with the same host name and pid 1. A worker's heartbeat
 * and the leases its send attempts hold carry it, so a dead worker's leases can be told apart.
 */
export const PROCESS_ID = `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
