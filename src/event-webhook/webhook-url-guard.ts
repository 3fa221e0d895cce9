import type { LookupAddress } from 'node:dns';
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
 * an endpoint is saved; every delivery checks the address it connects to again
 * (`deliveryTarget`), so that a name re-pointed at a private address later gets nothing.
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

/** The address a delivery connects to, checked; or why none may be. */
export type DeliveryTarget = { address: string; family: 4 | 6 } | { refused: string };

/** Error code of an attempt refused by the guard, so that the delivery's error names the reason. */
export const ADDRESS_NOT_PUBLIC = 'EADDRNOTPUBLIC';

/**
 * The address one delivery will connect to, decided before connecting: an IP-literal host is
 * taken as it is (Node never asks a custom `lookup` about one), a name is resolved, and the
 * address is checked with the rules of save time whatever the stored URL holds (it may predate
 * them, or have been written around the API). WHATWG URL parsing has already turned decimal,
 * octal and hex IPv4 spellings into dotted form, and ipaddr.js reads IPv4-mapped IPv6 as IPv4.
 */
export async function deliveryTarget(text: string, allowPrivate: boolean): Promise<DeliveryTarget> {
  const host = new URL(text).hostname.replace(/^\[|\]$/g, '');
  let addresses: LookupAddress[];
  try {
    addresses = ipaddr.isValid(host) ? [{ address: host, family: host.includes(':') ? 6 : 4 }] : await lookupAll(host, { all: true });
  } catch (error) {
    return { refused: `${(error as NodeJS.ErrnoException).code ?? 'ENOTFOUND'}: ${host} does not resolve` };
  }
  const usable = allowPrivate ? addresses : addresses.filter(({ address }) => isPublicAddress(address));
  if (usable.length === 0) {
    const first = addresses[0]?.address ?? host;
    return {
      refused: `${ADDRESS_NOT_PUBLIC}: not delivered: ${host} is or resolves to ${first}, a loopback, private or link-local address; event webhooks go to public addresses only`,
    };
  }
  const [chosen] = usable;
  return { address: chosen.address, family: chosen.family === 6 ? 6 : 4 };
}
