import type { LookupAddress, LookupOptions } from 'node:dns';
import { lookup } from 'node:dns';
import { promisify } from 'node:util';
import ipaddr from 'ipaddr.js';

/** The longest endpoint URL accepted. */
export const MAX_WEBHOOK_URL_LENGTH = 2048;

/**
 * Whether an address may receive event deliveries: only public unicast addresses, unless
 * private ones are allowed (WEBHOOK_ALLOW_PRIVATE_URLS). Loopback, private (10/8, 172.16/12,
 * 192.168/16, fc00::/7), link-local (169.254/16 with cloud metadata, fe80::/10), CGNAT,
 * multicast, unspecified and reserved ranges are refused, as are IPv4 addresses mapped
 * into IPv6.
 */
export function isPublicAddress(address: string): boolean {
  if (!ipaddr.isValid(address)) return false;
  return ipaddr.process(address).range() === 'unicast';
}

const lookupAll = promisify(lookup);

/**
 * Why the URL cannot be an endpoint, or null when it can: http(s), no credentials in it,
 * and a host whose every address is public (or private addresses allowed). Checked when
 * an endpoint is saved; every delivery checks the addresses it connects to again
 * (`guardedLookup`), so that a name re-pointed at a private address later gets nothing.
 */
export async function webhookUrlProblem(text: string, allowPrivate: boolean): Promise<string | null> {
  if (text.length > MAX_WEBHOOK_URL_LENGTH) return `url must be at most ${MAX_WEBHOOK_URL_LENGTH} characters`;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return 'url must be an absolute http:// or https:// URL';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'url must be an http:// or https:// URL';
  if (url.username || url.password) return 'url must not contain credentials (user:password@)';
  if (allowPrivate) return null;
  const host = url.hostname.replace(/^\[|\]$/g, '');
  let addresses: LookupAddress[];
  try {
    addresses = ipaddr.isValid(host) ? [{ address: host, family: host.includes(':') ? 6 : 4 }] : await lookupAll(host, { all: true });
  } catch {
    return `url host ${host} does not resolve`;
  }
  const refused = addresses.find(({ address }) => !isPublicAddress(address));
  if (refused) {
    return `url host ${host} resolves to ${refused.address}, a loopback, private or link-local address; event webhooks go to public addresses only (WEBHOOK_ALLOW_PRIVATE_URLS=true allows others, for development)`;
  }
  return null;
}

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/** A `lookup` for http.request that refuses non-public addresses at connection time (DNS rebinding). */
export function guardedLookup(allowPrivate: boolean) {
  return (hostname: string, options: LookupOptions, callback: LookupCallback): void => {
    lookup(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) return callback(error, '');
      const allowed = allowPrivate ? addresses : addresses.filter(({ address }) => isPublicAddress(address));
      if (allowed.length === 0) {
        const refused = Object.assign(new Error(`${hostname} resolves only to loopback, private or link-local addresses`), { code: 'EADDRNOTPUBLIC' });
        return callback(refused, '');
      }
      if (options.all) return callback(null, allowed);
      return callback(null, allowed[0].address, allowed[0].family);
    });
  };
}
