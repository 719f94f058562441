/**
 * Lists of address ranges (CIDR), as `--trusted-proxy 127.0.0.1/32,10.0.0.0/8,::1`
 * gives them: parsed and checked once at start-up, then matched against a
 * peer's address on every connection.
 *
 * - A bare address is a range of one (/32 or /128).
 * - IPv4-mapped IPv6 (::ffff:a.b.c.d), in a list or as a peer's address
 *   (a dual-stack listener reports IPv4 peers so), is taken as IPv4; a
 *   mapped range ::ffff:a.b.c.d/N (N >= 96) is the IPv4 range /N-96, and
 *   an IPv6 range that holds all of ::ffff:0:0/96 (::/0) holds IPv4 too.
 * - A range with bits set below its prefix (10.0.0.1/8) is refused: in a
 *   list that says whom to trust, a typo must not widen or shift it.
 * - A zone (fe80::1%eth0) is ignored when matching.
 *
 * Pure: no I/O, imports nothing of pof.
 */
import net from 'node:net';

export interface CidrRange {
  ver: 4 | 6;
  /** The network address, 4 or 16 bytes. */
  bytes: Uint8Array;
  prefix: number;
  /** As given back to users: `10.0.0.0/8`, `::1/128`. */
  text: string;
}

export type CidrListResult = { ok: true; list: CidrList } | { ok: false; error: string };

/** Longest list text accepted (a flag or an option). */
export const MAX_CIDR_LIST_TEXT = 64 * 1024;
/** Most ranges in one list. */
export const MAX_CIDR_RANGES = 1024;

/** 4 or 16 bytes of an address, IPv4-mapped IPv6 as IPv4; null when not an address. */
export function addressBytes(text: string): { ver: 4 | 6; bytes: Uint8Array } | null {
  let t = text;
  const pct = t.indexOf('%');
  if (pct !== -1) t = t.slice(0, pct);
  const kind = net.isIP(t);
  if (kind === 4) {
    const p = t.split('.');
    return { ver: 4, bytes: Uint8Array.from(p, Number) };
  }
  if (kind !== 6) return null;
  const b = v6Bytes(t);
  if (b.subarray(0, 10).every((x) => x === 0) && b[10] === 0xff && b[11] === 0xff) return { ver: 4, bytes: b.slice(12) };
  return { ver: 6, bytes: b };
}

/** The 16 bytes of an address net.isIPv6() accepts. */
function v6Bytes(t: string): Uint8Array {
  const b = new Uint8Array(16);
  let head = t;
  let tail4: number[] | null = null;
  const last = t.lastIndexOf(':');
  if (t.indexOf('.', last) !== -1) {
    tail4 = t.slice(last + 1).split('.').map(Number);
    head = t.slice(0, last + 1) + '0:0';
  }
  const halves = head.split('::');
  const left = halves[0] ? halves[0].split(':') : [];
  const right = halves.length === 2 && halves[1] ? halves[1].split(':') : [];
  const groups = [...left, ...new Array<string>(8 - left.length - right.length).fill('0'), ...right];
  for (let i = 0; i < 8; i++) {
    const n = parseInt(groups[i]!, 16);
    b[i * 2] = n >> 8;
    b[i * 2 + 1] = n & 0xff;
  }
  if (tail4) b.set(tail4, 12);
  return b;
}

function rangeText(ver: 4 | 6, bytes: Uint8Array, prefix: number): string {
  if (ver === 4) return `${bytes.join('.')}/${prefix}`;
  const g: string[] = [];
  for (let i = 0; i < 16; i += 2) g.push(((bytes[i]! << 8) | bytes[i + 1]!).toString(16));
  // Shortest form, for messages only.
  return `${g.join(':').replace(/(^|:)0(:0)+(:|$)/, '::')}/${prefix}`;
}

/** One range; a string is the problem with it. */
export function parseCidr(item: string): CidrRange | string {
  const t = item.trim();
  if (!t) return 'empty range';
  const slash = t.indexOf('/');
  const addrText = slash === -1 ? t : t.slice(0, slash);
  if (addrText.includes('%')) return `${t}: a range takes no zone (%)`;
  const a = addressBytes(addrText);
  if (!a) return `${t}: not an IP address`;
  const mapped = a.ver === 4 && net.isIP(addrText) === 6;
  const max = a.ver === 4 && !mapped ? 32 : 128;
  let prefix = max;
  if (slash !== -1) {
    const p = t.slice(slash + 1);
    if (!/^\d{1,3}$/.test(p) || Number(p) > max) return `${t}: the prefix length must be 0..${max}`;
    prefix = Number(p);
  }
  if (mapped) {
    if (prefix < 96) return `${t}: an IPv4-mapped range needs a prefix of 96 or more`;
    prefix -= 96;
  }
  const bits = a.ver === 4 ? 32 : 128;
  for (let i = prefix; i < bits; i++) {
    if (a.bytes[i >> 3]! & (0x80 >> (i & 7))) {
      const net0 = a.bytes.slice();
      for (let j = prefix; j < bits; j++) net0[j >> 3]! &= ~(0x80 >> (j & 7));
      return `${t}: bits are set below the prefix (the range would be ${rangeText(a.ver, net0, prefix)})`;
    }
  }
  return { ver: a.ver, bytes: a.bytes, prefix, text: rangeText(a.ver, a.bytes, prefix) };
}

/** A checked list of ranges; match() takes any address text a socket reports. */
export class CidrList {
  readonly ranges: readonly CidrRange[];
  /** IPv4 ranges as (network, mask) pairs of unsigned 32-bit ints. */
  private readonly v4: Uint32Array;
  private readonly v6: CidrRange[];
  /** An IPv6 range holds ::ffff:0:0/96, so every IPv4 address (::/0, ::/80, ...). */
  private readonly allV4: boolean;

  constructor(ranges: readonly CidrRange[]) {
    this.ranges = ranges;
    const v4 = ranges.filter((r) => r.ver === 4);
    this.v4 = new Uint32Array(v4.length * 2);
    v4.forEach((r, i) => {
      const mask = r.prefix === 0 ? 0 : (0xffffffff << (32 - r.prefix)) >>> 0;
      this.v4[i * 2] = ((r.bytes[0]! << 24) | (r.bytes[1]! << 16) | (r.bytes[2]! << 8) | r.bytes[3]!) >>> 0;
      this.v4[i * 2 + 1] = mask;
    });
    this.v6 = ranges.filter((r) => r.ver === 6);
    const mapped = new Uint8Array(16);
    mapped[10] = mapped[11] = 0xff;
    this.allV4 = this.v6.some((r) => r.prefix <= 96 && this.inRange(r, mapped));
  }

  get size(): number {
    return this.ranges.length;
  }

  /** True when `addr` (an IPv4 or IPv6 address as text, zone and mapping allowed) is in a range. */
  match(addr: string | undefined | null): boolean {
    if (!addr) return false;
    const a = addressBytes(addr);
    return a !== null && this.matchBytes(a.ver, a.bytes);
  }

  matchBytes(ver: 4 | 6, b: Uint8Array): boolean {
    if (ver === 4) {
      const n = ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0;
      const v = this.v4;
      for (let i = 0; i < v.length; i += 2) if ((n & v[i + 1]!) >>> 0 === v[i]) return true;
      return this.allV4;
    }
    for (const r of this.v6) if (this.inRange(r, b)) return true;
    return false;
  }

  private inRange(r: CidrRange, b: Uint8Array): boolean {
    const full = r.prefix >> 3;
    for (let i = 0; i < full; i++) if (b[i] !== r.bytes[i]) return false;
    const rest = r.prefix & 7;
    if (!rest) return true;
    const m = (0xff << (8 - rest)) & 0xff;
    return (b[full]! & m) === r.bytes[full];
  }

  toString(): string {
    return this.ranges.map((r) => r.text).join(',');
  }
}

/**
 * Parses `127.0.0.1/32,10.0.0.0/8, ::1` (commas, blanks between); an empty
 * list is an error. Never throws.
 */
export function parseCidrList(text: string): CidrListResult {
  if (typeof text !== 'string') return { ok: false, error: 'a list of address ranges must be a string' };
  if (text.length > MAX_CIDR_LIST_TEXT) return { ok: false, error: `the list of address ranges is longer than ${MAX_CIDR_LIST_TEXT} characters` };
  const items = text.split(',').map((s) => s.trim());
  if (items.length === 1 && !items[0]) return { ok: false, error: 'no address range given' };
  if (items.length > MAX_CIDR_RANGES) return { ok: false, error: `more than ${MAX_CIDR_RANGES} address ranges` };
  const out: CidrRange[] = [];
  for (const it of items) {
    const r = parseCidr(it);
    if (typeof r === 'string') return { ok: false, error: r };
    out.push(r);
  }
  return { ok: true, list: new CidrList(out) };
}
