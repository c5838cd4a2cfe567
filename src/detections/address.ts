/**
 * IP addresses and CIDR ranges, IPv4 and IPv6, for the allowed-source rule. Written here rather
 * than with `net.BlockList` because the hot path needs a cheap, cached yes/no per log line, and
 * because access logs carry forms BlockList does not take: IPv4-mapped IPv6 (`::ffff:10.0.0.1`,
 * how a dual-stack listener logs an IPv4 client), zone ids (`fe80::1%eth0`) and brackets.
 */

/** A parsed address: 4 bytes (IPv4, IPv4-mapped IPv6 included) or 16 bytes (IPv6). */
export type IpBytes = Uint8Array;

/** One CIDR range. */
export interface Cidr {
  bytes: IpBytes;
  prefix: number;
  /** The range as written after normalisation, e.g. `10.0.0.0/8`. */
  text: string;
}

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;
const HEX_GROUP = /^[0-9a-fA-F]{1,4}$/;

/** Parses dotted-quad IPv4; undefined when it is not one. */
function parseV4(s: string): IpBytes | undefined {
  const m = IPV4.exec(s);
  if (!m) return undefined;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const part = m[i + 1] as string;
    // Leading zeros are ambiguous (octal in some parsers): refuse them, as Go's net.ParseIP does.
    if (part.length > 1 && part.startsWith('0')) return undefined;
    const n = Number(part);
    if (n > 255) return undefined;
    out[i] = n;
  }
  return out;
}

/** The 16-bit groups of one side of `::`, with an embedded IPv4 tail expanded; undefined when invalid. */
function groups(side: string, allowV4Tail: boolean): number[] | undefined {
  if (side === '') return [];
  const parts = side.split(':');
  const out: number[] = [];
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i] as string;
    if (allowV4Tail && i === parts.length - 1 && p.includes('.')) {
      const v4 = parseV4(p);
      if (!v4) return undefined;
      out.push(((v4[0] as number) << 8) | (v4[1] as number), ((v4[2] as number) << 8) | (v4[3] as number));
    } else if (HEX_GROUP.test(p)) {
      out.push(Number.parseInt(p, 16));
    } else {
      return undefined;
    }
  }
  return out;
}

/** Parses IPv6 (with `::`, an IPv4 tail, and no zone); undefined when it is not one. */
function parseV6(s: string): IpBytes | undefined {
  const gap = s.indexOf('::');
  if (gap !== s.lastIndexOf('::')) return undefined;
  let words: number[] | undefined;
  if (gap < 0) {
    words = groups(s, true);
    if (words?.length !== 8) return undefined;
  } else {
    const head = groups(s.slice(0, gap), false);
    const tail = groups(s.slice(gap + 2), true);
    if (!head || !tail || head.length + tail.length > 7) return undefined;
    words = [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
  }
  const out = new Uint8Array(16);
  words.forEach((w, i) => {
    out[2 * i] = w >> 8;
    out[2 * i + 1] = w & 0xff;
  });
  return out;
}

/** True for `::ffff:a.b.c.d` (bytes 0–9 zero, 10–11 0xff). */
function isV4Mapped(b: IpBytes): boolean {
  for (let i = 0; i < 10; i++) if (b[i] !== 0) return false;
  return b[10] === 0xff && b[11] === 0xff;
}

/**
 * Parses an address as access logs write it: IPv4, IPv6, `[v6]`, `v6%zone`. IPv4-mapped IPv6 comes
 * back as the 4-byte IPv4 address, so `10.0.0.0/8` covers `::ffff:10.1.2.3`.
 */
export function parseIp(raw: string): IpBytes | undefined {
  let s = raw.trim();
  if (s.startsWith('[') && s.endsWith(']')) s = s.slice(1, -1);
  const zone = s.indexOf('%');
  if (zone >= 0) s = s.slice(0, zone);
  if (s.includes(':')) {
    const v6 = parseV6(s);
    return v6 && isV4Mapped(v6) ? v6.slice(12) : v6;
  }
  return parseV4(s);
}

/** Parses `a.b.c.d/n`, `x::/n`, or a bare address (a /32 or /128); undefined when invalid. */
export function parseCidr(raw: string): Cidr | undefined {
  const s = raw.trim();
  const slash = s.indexOf('/');
  const addr = slash < 0 ? s : s.slice(0, slash);
  // The mapped form is an IPv6 range; keep it as written rather than folding it to IPv4.
  const bytes = addr.includes(':') ? parseV6(addr) : parseV4(addr);
  if (!bytes) return undefined;
  const bits = bytes.length * 8;
  let prefix = bits;
  if (slash >= 0) {
    const p = s.slice(slash + 1);
    if (!/^\d{1,3}$/.test(p) || Number(p) > bits) return undefined;
    prefix = Number(p);
  }
  return { bytes: masked(bytes, prefix), prefix, text: `${addr}/${prefix}` };
}

/** The address with every bit after `prefix` cleared (the network address of the range). */
function masked(b: IpBytes, prefix: number): IpBytes {
  const out = b.slice();
  for (let i = 0; i < out.length; i++) {
    const keep = Math.max(0, Math.min(8, prefix - 8 * i));
    out[i] = (out[i] as number) & (0xff << (8 - keep)) & 0xff;
  }
  return out;
}

/** True when the address lies in the range (an IPv4 address never lies in an IPv6 range, and back). */
export function cidrContains(range: Cidr, addr: IpBytes): boolean {
  const b = range.bytes;
  if (b.length !== addr.length) {
    // An IPv4 address matches an IPv4-mapped IPv6 range (::ffff:0:0/96 and narrower).
    return b.length === 16 && addr.length === 4 && range.prefix >= 96 && isV4Mapped(b)
      ? cidrContains({ bytes: b.slice(12), prefix: range.prefix - 96, text: range.text }, addr)
      : false;
  }
  let bits = range.prefix;
  for (let i = 0; bits > 0; i++, bits -= 8) {
    const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    if (((addr[i] as number) & mask) !== b[i]) return false;
  }
  return true;
}

/** Whether an address may be recorded: allowed, outside the ranges, or not an address at all. */
export type SourceVerdict = 'allowed' | 'disallowed' | 'invalid';

/** Most verdicts remembered per allow-list before the memo starts over (bounded memory). */
const MEMO_LIMIT = 20_000;

/**
 * An allow-list of CIDR ranges with a bounded memo: log lines repeat the same few addresses, so
 * most lines cost one Map lookup.
 */
export class AllowList {
  readonly ranges: readonly Cidr[];
  readonly #memo = new Map<string, SourceVerdict>();

  constructor(ranges: readonly Cidr[]) {
    this.ranges = ranges;
  }

  /** The verdict for an address as logged. */
  check(address: string): SourceVerdict {
    const known = this.#memo.get(address);
    if (known !== undefined) return known;
    const ip = parseIp(address);
    const verdict: SourceVerdict =
      ip === undefined ? 'invalid' : this.ranges.some((r) => cidrContains(r, ip)) ? 'allowed' : 'disallowed';
    if (this.#memo.size >= MEMO_LIMIT) this.#memo.clear();
    this.#memo.set(address, verdict);
    return verdict;
  }
}

/** `203.0.113.7` → `203.0.113.7/32`, `2001:db8::1` → `2001:db8::1/128` (for allow/deny annotations). */
export function hostRange(address: string): string {
  return address.includes(':') ? `${address}/128` : `${address}/32`;
}
