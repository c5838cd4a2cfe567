/**
 * The client address behind `X-Forwarded-For`, for detections with `clientAddress: ForwardedFor`.
 *
 * Every proxy appends the address it received the request from; everything to the left of what a
 * proxy you run wrote was written by the client and proves nothing. So the list is read from the
 * right: the connecting peer (`remote_addr`, the load balancer) is trusted, then every address in
 * `--traffic-trusted-proxies`; the first address that is not a trusted proxy is the client. With no
 * trusted proxies configured that is the rightmost entry. When trusted proxies are configured and
 * the peer is not one of them, the header came from the client itself and the peer is the client.
 */
import { type Cidr, cidrContains, parseIp } from '../detections/address.js';

/** Characters of the header read, from its right end (proxies append there). */
export const MAX_FORWARDED_CHARS = 1024;
/** Longest address accepted from the header (an IPv6 address with a zone fits). */
const MAX_ADDRESS_CHARS = 64;

/** The client address, and whether the header was unusable and the peer taken instead. */
export interface ForwardedClient {
  address: string;
  /** The entry at the client's place was not an address (or was cut off): the peer was taken. */
  fellBack: boolean;
}

const inRanges = (ranges: readonly Cidr[], address: string): boolean => {
  const ip = parseIp(address);
  return ip !== undefined && ranges.some((r) => cidrContains(r, ip));
};

/** The entries to read, rightmost last; `cut` when the header was longer than the bound. */
function entries(header: string): { list: string[]; cut: boolean } {
  const cut = header.length > MAX_FORWARDED_CHARS;
  const list = (cut ? header.slice(-MAX_FORWARDED_CHARS) : header).split(',').map((e) => e.trim());
  // The leftmost entry of a cut header is a fragment.
  if (cut) list.shift();
  return { list, cut };
}

/**
 * The client of one request: `header` is the logged `X-Forwarded-For` (undefined when absent),
 * `peer` the connecting address, `trusted` the proxies whose entries are skipped.
 */
export function forwardedClient(
  header: string | undefined,
  peer: string,
  trusted: readonly Cidr[],
): ForwardedClient {
  if (header === undefined || header.trim() === '') return { address: peer, fellBack: false };
  if (trusted.length > 0 && !inRanges(trusted, peer)) return { address: peer, fellBack: false };
  const { list, cut } = entries(header);
  // `$proxy_add_x_forwarded_for` already ends with the peer's own address.
  if (list.at(-1) === peer) list.pop();
  for (let i = list.length - 1; i >= 0; i--) {
    const e = list[i] as string;
    if (e.length > MAX_ADDRESS_CHARS || parseIp(e) === undefined) return { address: peer, fellBack: true };
    if (i > 0 && inRanges(trusted, e)) continue;
    // Every entry was a trusted proxy: the leftmost is where the chain starts, unless it was cut off.
    if (i === 0 && cut && inRanges(trusted, e)) return { address: peer, fellBack: true };
    return { address: e, fellBack: false };
  }
  return { address: peer, fellBack: cut };
}
