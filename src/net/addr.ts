/**
 * Addresses as pof keeps and prints them. Text follows p0f: dotted quad for
 * IPv4, eight uncompressed lower-case hex groups for IPv6 (p0f does not use
 * "::" shortening, and its log lines are compared field for field).
 */

export function addrToString(buf: Buffer | Uint8Array, off: number, ver: 4 | 6): string {
  if (ver === 4) {
    return `${buf[off]}.${buf[off + 1]}.${buf[off + 2]}.${buf[off + 3]}`;
  }
  let s = '';
  for (let i = 0; i < 16; i += 2) {
    if (i) s += ':';
    s += ((buf[off + i]! << 8) | buf[off + i + 1]!).toString(16);
  }
  return s;
}

/** Parse an address as users and APIs give it (IPv4-mapped IPv6 becomes IPv4). */
export function parseAddress(text: string): { ver: 4 | 6; bytes: Uint8Array } | null {
  const t = text.trim();
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(t);
  if (v4) {
    const b = new Uint8Array(4);
    for (let i = 0; i < 4; i++) {
      const n = Number(v4[i + 1]);
      if (n > 255) return null;
      b[i] = n;
    }
    return { ver: 4, bytes: b };
  }
  const mapped = /^::ffff:(\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3})$/i.exec(t);
  if (mapped) return parseAddress(mapped[1]!);
  if (!/^[0-9a-fA-F:.]+$/.test(t) || !t.includes(':')) return null;
  let head = t;
  let tailV4: Uint8Array | null = null;
  const lastColon = t.lastIndexOf(':');
  if (t.indexOf('.', lastColon) !== -1) {
    const p = parseAddress(t.slice(lastColon + 1));
    if (!p || p.ver !== 4) return null;
    tailV4 = p.bytes;
    head = t.slice(0, lastColon + 1) + '0:0';
  }
  const dbl = head.split('::');
  if (dbl.length > 2) return null;
  const left = dbl[0] ? dbl[0].split(':') : [];
  const right = dbl.length === 2 && dbl[1] ? dbl[1].split(':') : [];
  const groups = dbl.length === 2 ? 8 - left.length - right.length : 0;
  if (dbl.length === 1 && left.length !== 8) return null;
  if (groups < 0 || (dbl.length === 2 && groups < 1)) return null;
  const all = [...left, ...new Array<string>(groups).fill('0'), ...right];
  if (all.length !== 8) return null;
  const b = new Uint8Array(16);
  for (let i = 0; i < 8; i++) {
    const g = all[i]!;
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return null;
    const n = parseInt(g, 16);
    b[i * 2] = n >> 8;
    b[i * 2 + 1] = n & 0xff;
  }
  if (tailV4) b.set(tailV4, 12);
  // ::ffff:a.b.c.d written in hex groups is still an IPv4-mapped address.
  if (b.subarray(0, 10).every((x) => x === 0) && b[10] === 0xff && b[11] === 0xff) {
    return { ver: 4, bytes: b.slice(12) };
  }
  return { ver: 6, bytes: b };
}

/** Plain dotted quads, already in p0f's form. */
const DOTTED_QUAD = /^(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;

/**
 * An address in the form p0f prints (IPv4-mapped IPv6 as IPv4), with its
 * version; null when the text is not an address.
 */
export function canonicalAddress(text: string): { addr: string; ver: 4 | 6 } | null {
  // The common case, a plain IPv4 address, needs no parsing.
  if (DOTTED_QUAD.test(text)) return { addr: text, ver: 4 };
  const p = parseAddress(text);
  return p ? { addr: addrToString(p.bytes, 0, p.ver), ver: p.ver } : null;
}
