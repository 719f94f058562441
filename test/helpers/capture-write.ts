/**
 * Capture file writers for building test fixtures in memory.
 *
 *   writePcap(packets, opts?) -> Buffer
 *     A classic pcap file. packets: { data, tsSec?, tsUsec?, tsNsec?, wirelen? }
 *     (times default to 0, wirelen to data.length; tsNsec, when given, is the
 *     fraction written to a nanosecond file instead of tsUsec * 1000).
 *     opts: { linkType = 1 (Ethernet), nanos = false, bigEndian = false,
 *     snaplen = 65535, linkTypeHigh = 0 (bits OR-ed above the link type,
 *     e.g. FCS info), modified = false (libpcap's modified format: magic
 *     0xa1b2cd34, microseconds, 24-byte record headers whose extra fields
 *     are the packet's ifindex, protocol and pktType, default 0) }.
 *
 *   writePcapng(spec | spec[]) -> Buffer
 *     A pcapng file; an array writes one section per element. spec:
 *     { interfaces: { linkType, snaplen = 65535, tsresol?, tsoffset? }[],
 *       packets: { iface, data, tsSec?, tsUsec?, ts?, wirelen? }[],
 *       bigEndian = false, useSpb = false }.
 *     tsresol is the raw if_tsresol byte (6 = microseconds, 9 = ns,
 *     0x80 | n = 2^-n); omitted, no option is written (default 10^-6).
 *     A packet's time is written as tsSec/tsUsec converted to the
 *     interface's unit, or as the raw 64-bit count `ts` when given.
 *     useSpb writes Simple Packet Blocks (no time, interface 0).
 *
 *   Block builders for hand-made files (all take bigEndian, default false):
 *     pcapngBlock(type, body), shbBlock(opts?), idbBlock(iface),
 *     epbBlock(ifid, tsRaw, data, wirelen?, options?), spbBlock(data, wirelen?),
 *     pbBlock(ifid, tsRaw, data, wirelen?).
 *   tsUnits(tsSec, tsUsec, tsresol) gives the raw count for a time.
 */

export interface PcapPacket {
  data: Buffer;
  tsSec?: number;
  tsUsec?: number;
  tsNsec?: number;
  wirelen?: number;
  /** Modified format only: the record's interface index, protocol and packet type. */
  ifindex?: number;
  protocol?: number;
  pktType?: number;
}

export interface PcapOptions {
  linkType?: number;
  nanos?: boolean;
  bigEndian?: boolean;
  snaplen?: number;
  linkTypeHigh?: number;
  modified?: boolean;
}

export function writePcap(packets: PcapPacket[], opts: PcapOptions = {}): Buffer {
  const be = opts.bigEndian ?? false;
  const modified = opts.modified ?? false;
  if (modified && opts.nanos) throw new Error('the modified pcap format has no nanosecond variant');
  const nanos = opts.nanos ?? false;
  const parts: Buffer[] = [];
  const hdr = Buffer.alloc(24);
  w32(hdr, 0, modified ? 0xa1b2cd34 : nanos ? 0xa1b23c4d : 0xa1b2c3d4, be);
  w16(hdr, 4, 2, be);
  w16(hdr, 6, 4, be);
  w32(hdr, 16, opts.snaplen ?? 65535, be);
  w32(hdr, 20, ((opts.linkTypeHigh ?? 0) | (opts.linkType ?? 1)) >>> 0, be);
  parts.push(hdr);
  for (const p of packets) {
    const rh = Buffer.alloc(modified ? 24 : 16);
    const usec = p.tsUsec ?? 0;
    w32(rh, 0, p.tsSec ?? 0, be);
    w32(rh, 4, nanos ? (p.tsNsec ?? usec * 1000) : usec, be);
    w32(rh, 8, p.data.length, be);
    w32(rh, 12, p.wirelen ?? p.data.length, be);
    if (modified) {
      w32(rh, 16, p.ifindex ?? 0, be);
      w16(rh, 20, p.protocol ?? 0, be);
      rh[22] = p.pktType ?? 0;
    }
    parts.push(rh, p.data);
  }
  return Buffer.concat(parts);
}

export interface PcapngInterface {
  linkType: number;
  snaplen?: number;
  tsresol?: number;
  /** if_tsoffset, seconds. */
  tsoffset?: number;
}

export interface PcapngPacket {
  iface: number;
  data: Buffer;
  tsSec?: number;
  tsUsec?: number;
  /** Raw 64-bit timestamp count; overrides tsSec/tsUsec. */
  ts?: bigint;
  wirelen?: number;
}

export interface PcapngSpec {
  interfaces: PcapngInterface[];
  packets: PcapngPacket[];
  bigEndian?: boolean;
  useSpb?: boolean;
}

export function writePcapng(spec: PcapngSpec | PcapngSpec[]): Buffer {
  const sections = Array.isArray(spec) ? spec : [spec];
  const parts: Buffer[] = [];
  for (const s of sections) {
    const be = s.bigEndian ?? false;
    parts.push(shbBlock({ bigEndian: be }));
    for (const i of s.interfaces) parts.push(idbBlock(i, be));
    for (const p of s.packets) {
      if (s.useSpb) {
        parts.push(spbBlock(p.data, p.wirelen, be));
        continue;
      }
      const iface = s.interfaces[p.iface];
      const res = iface?.tsresol ?? 6;
      const raw = p.ts ?? tsUnits(p.tsSec ?? 0, p.tsUsec ?? 0, res) - tsUnits(iface?.tsoffset ?? 0, 0, res);
      parts.push(epbBlock(p.iface, raw, p.data, p.wirelen, undefined, be));
    }
  }
  return Buffer.concat(parts);
}

/** The 64-bit count for a time in the unit of an if_tsresol byte (rounded up). */
export function tsUnits(tsSec: number, tsUsec: number, tsresol: number): bigint {
  const n = BigInt(tsresol & 0x7f);
  const usec = BigInt(tsSec) * 1000000n + BigInt(tsUsec);
  const per = tsresol & 0x80 ? 1n << n : 10n ** n; // units per second
  // ceil(usec * per / 1e6): reading back truncates to the same microsecond
  // whenever the unit is at most a microsecond.
  return (usec * per + 999999n) / 1000000n;
}

export function pcapngBlock(type: number, body: Buffer, bigEndian = false): Buffer {
  const padded = (body.length + 3) & ~3;
  const len = 12 + padded;
  const b = Buffer.alloc(len);
  w32(b, 0, type, bigEndian);
  w32(b, 4, len, bigEndian);
  body.copy(b, 8);
  w32(b, len - 4, len, bigEndian);
  return b;
}

export function shbBlock(opts: { bigEndian?: boolean; major?: number; minor?: number } = {}): Buffer {
  const be = opts.bigEndian ?? false;
  const body = Buffer.alloc(16);
  w32(body, 0, 0x1a2b3c4d, be);
  w16(body, 4, opts.major ?? 1, be);
  w16(body, 6, opts.minor ?? 0, be);
  body.fill(0xff, 8, 16); // section length unknown (-1)
  return pcapngBlock(0x0a0d0d0a, body, be);
}

export function idbBlock(iface: PcapngInterface, bigEndian = false): Buffer {
  const opts: Buffer[] = [];
  if (iface.tsresol !== undefined) opts.push(option(9, Buffer.from([iface.tsresol]), bigEndian));
  if (iface.tsoffset !== undefined) {
    const v = Buffer.alloc(8);
    if (bigEndian) v.writeBigInt64BE(BigInt(iface.tsoffset));
    else v.writeBigInt64LE(BigInt(iface.tsoffset));
    opts.push(option(14, v, bigEndian));
  }
  if (opts.length > 0) opts.push(Buffer.alloc(4)); // opt_endofopt
  const fixed = Buffer.alloc(8);
  w16(fixed, 0, iface.linkType, bigEndian);
  w32(fixed, 4, iface.snaplen ?? 65535, bigEndian);
  return pcapngBlock(1, Buffer.concat([fixed, ...opts]), bigEndian);
}

export function epbBlock(
  ifid: number,
  tsRaw: bigint,
  data: Buffer,
  wirelen = data.length,
  options: Buffer = Buffer.alloc(0),
  bigEndian = false,
): Buffer {
  const fixed = Buffer.alloc(20);
  w32(fixed, 0, ifid, bigEndian);
  w32(fixed, 4, Number(tsRaw >> 32n), bigEndian);
  w32(fixed, 8, Number(tsRaw & 0xffffffffn), bigEndian);
  w32(fixed, 12, data.length, bigEndian);
  w32(fixed, 16, wirelen, bigEndian);
  return pcapngBlock(6, Buffer.concat([fixed, pad4(data), options]), bigEndian);
}

export function pbBlock(
  ifid: number,
  tsRaw: bigint,
  data: Buffer,
  wirelen = data.length,
  bigEndian = false,
): Buffer {
  const fixed = Buffer.alloc(20);
  w16(fixed, 0, ifid, bigEndian);
  w16(fixed, 2, 0, bigEndian); // drops count
  w32(fixed, 4, Number(tsRaw >> 32n), bigEndian);
  w32(fixed, 8, Number(tsRaw & 0xffffffffn), bigEndian);
  w32(fixed, 12, data.length, bigEndian);
  w32(fixed, 16, wirelen, bigEndian);
  return pcapngBlock(2, Buffer.concat([fixed, pad4(data)]), bigEndian);
}

export function spbBlock(data: Buffer, wirelen = data.length, bigEndian = false): Buffer {
  const fixed = Buffer.alloc(4);
  w32(fixed, 0, wirelen, bigEndian);
  return pcapngBlock(3, Buffer.concat([fixed, pad4(data)]), bigEndian);
}

function option(code: number, value: Buffer, be: boolean): Buffer {
  const head = Buffer.alloc(4);
  w16(head, 0, code, be);
  w16(head, 2, value.length, be);
  return Buffer.concat([head, pad4(value)]);
}

function pad4(b: Buffer): Buffer {
  const n = (b.length + 3) & ~3;
  return n === b.length ? b : Buffer.concat([b, Buffer.alloc(n - b.length)]);
}

function w32(b: Buffer, o: number, v: number, be: boolean): void {
  if (be) b.writeUInt32BE(v >>> 0, o);
  else b.writeUInt32LE(v >>> 0, o);
}

function w16(b: Buffer, o: number, v: number, be: boolean): void {
  if (be) b.writeUInt16BE(v, o);
  else b.writeUInt16LE(v, o);
}
