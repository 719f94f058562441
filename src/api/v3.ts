/**
 * p0f 3 API codec (p0f 3.09b README section 4, api.h), pure and without I/O.
 *
 * Query, 21 bytes:
 *
 *   off size field
 *     0    4 magic        0x50304601, native endian (little-endian here)
 *     4    1 addr_type    4 = IPv4, 6 = IPv6
 *     5   16 addr         network order; IPv4 in the first 4 bytes
 *
 * Response, 232 bytes (no padding: every field is naturally aligned):
 *
 *   off size field
 *     0    4 magic        0x50304602, native endian
 *     4    4 status       0x00 bad query, 0x10 OK, 0x20 no match
 *     8    4 first_seen   unix time
 *    12    4 last_seen
 *    16    4 total_conn
 *    20    4 uptime_min   0 when unknown
 *    24    4 up_mod_days
 *    28    4 last_nat     0 = never
 *    32    4 last_chg     0 = never
 *    36    2 distance     signed; -1 when unknown
 *    38    1 bad_sw       0, 1 OS mismatch, 2 fake User-Agent
 *    39    1 os_match_q   bits: 1 fuzzy, 2 generic
 *    40   32 os_name      NUL-terminated strings ...
 *    72   32 os_flavor
 *   104   32 http_name
 *   136   32 http_flavor
 *   168   32 link_type
 *   200   32 language
 *
 * As p0f 3.09b does: every answer carries the response magic (bad magic
 * too), all fields are zero unless the status is OK, and the host fields
 * are filled from the host record (uptime 0 when unknown, distance as is).
 * pof extensions: an IPv4-mapped IPv6 query (::ffff:a.b.c.d) is answered as
 * the IPv4 host; strings are always NUL-terminated (p0f's strncpy leaves a
 * 32-byte name unterminated).
 */
import { addrToString } from '../net/addr.js';
import { clamp, readCString, writeCString } from './cstr.js';
import type { HostView } from './types.js';

export const V3_QUERY_MAGIC = 0x50304601;
export const V3_RESP_MAGIC = 0x50304602;
export const V3_QUERY_SIZE = 21;
export const V3_RESP_SIZE = 232;
export const V3_STR_SIZE = 32;

export const V3Status = { BAD_QUERY: 0x00, OK: 0x10, NO_MATCH: 0x20 } as const;
export type V3StatusCode = (typeof V3Status)[keyof typeof V3Status];

export const V3_ADDR_IPV4 = 4;
export const V3_ADDR_IPV6 = 6;
export const V3_MATCH_FUZZY = 1;
export const V3_MATCH_GENERIC = 2;

/** Byte offsets of the response fields. */
export const V3Off = {
  magic: 0,
  status: 4,
  firstSeen: 8,
  lastSeen: 12,
  totalConn: 16,
  uptimeMin: 20,
  upModDays: 24,
  lastNat: 28,
  lastChg: 32,
  distance: 36,
  badSw: 38,
  osMatchQ: 39,
  osName: 40,
  osFlavor: 72,
  httpName: 104,
  httpFlavor: 136,
  linkType: 168,
  language: 200,
} as const;

export type V3QueryResult =
  | { ok: true; ver: 4 | 6; /** pof's canonical text (IPv4-mapped IPv6 becomes IPv4). */ addr: string }
  | { ok: false; reason: 'short' | 'magic' | 'addr-type' };

/** Decodes one query at buf[off]. Never throws. */
export function decodeV3Query(buf: Uint8Array, off = 0): V3QueryResult {
  if (buf.length - off < V3_QUERY_SIZE) return { ok: false, reason: 'short' };
  const magic = (buf[off]! | (buf[off + 1]! << 8) | (buf[off + 2]! << 16) | (buf[off + 3]! << 24)) >>> 0;
  if (magic !== V3_QUERY_MAGIC) return { ok: false, reason: 'magic' };
  const type = buf[off + 4];
  const a = off + 5;
  if (type === V3_ADDR_IPV4) return { ok: true, ver: 4, addr: addrToString(buf, a, 4) };
  if (type !== V3_ADDR_IPV6) return { ok: false, reason: 'addr-type' };
  let mapped = buf[a + 10] === 0xff && buf[a + 11] === 0xff;
  for (let i = 0; mapped && i < 10; i++) if (buf[a + i] !== 0) mapped = false;
  if (mapped) return { ok: true, ver: 4, addr: addrToString(buf, a + 12, 4) };
  return { ok: true, ver: 6, addr: addrToString(buf, a, 6) };
}

/** Builds a query for an address given as bytes (4 or 16). */
export function encodeV3Query(bytes: Uint8Array, magic = V3_QUERY_MAGIC): Buffer {
  if (bytes.length !== 4 && bytes.length !== 16) throw new RangeError('address must be 4 or 16 bytes');
  const b = Buffer.alloc(V3_QUERY_SIZE);
  b.writeUInt32LE(magic >>> 0, 0);
  b[4] = bytes.length === 4 ? V3_ADDR_IPV4 : V3_ADDR_IPV6;
  b.set(bytes, 5);
  return b;
}

/** Host fields as the wire carries them (p0f's sentinels kept: uptime 0, distance -1). */
export interface V3HostInfo {
  firstSeen: number;
  lastSeen: number;
  totalConn: number;
  /** Minutes; 0 when unknown. */
  uptimeMin: number;
  upModDays: number;
  /** Unix time; 0 = never. */
  lastNat: number;
  lastChg: number;
  /** -1 when unknown. */
  distance: number;
  badSw: number;
  /** Bits V3_MATCH_FUZZY, V3_MATCH_GENERIC. */
  osMatchQ: number;
  osName: string;
  osFlavor: string;
  httpName: string;
  httpFlavor: string;
  linkType: string;
  language: string;
}

const u32 = (n: number): number => clamp(n, 0, 0xffffffff, 0);
const u8 = (n: number): number => clamp(n, 0, 0xff, 0);
const s16 = (n: number): number => clamp(n, -0x8000, 0x7fff, -1);

/** Maps a host record to the response fields the way p0f's handle_query does. */
export function hostToV3(h: HostView): V3HostInfo {
  const os = h.lastOs;
  return {
    firstSeen: h.firstSeen,
    lastSeen: h.lastSeen,
    totalConn: h.totalConn,
    uptimeMin: h.lastUpMin === -1 ? 0 : h.lastUpMin,
    upModDays: h.upModDays,
    lastNat: h.lastNat,
    lastChg: h.lastChg,
    distance: h.distance,
    badSw: h.badSw,
    osMatchQ: h.lastQuality,
    osName: os ? os.name : '',
    osFlavor: os ? (os.flavor ?? '') : '',
    httpName: h.httpName ?? '',
    httpFlavor: h.httpName !== null ? (h.httpFlavor ?? '') : '',
    linkType: h.linkType ?? '',
    language: h.language ?? '',
  };
}

/**
 * Encodes a response. `info` is used only with status OK. Numbers are
 * clamped to their field's range; strings are cut to 31 bytes.
 */
export function encodeV3Response(status: V3StatusCode, info?: V3HostInfo | null): Buffer {
  const b = Buffer.alloc(V3_RESP_SIZE);
  encodeV3ResponseAt(b, 0, status, info);
  return b;
}

/**
 * Encodes a response into b[at, at + V3_RESP_SIZE), which must be zero
 * (several answers can share one buffer, and one write).
 */
export function encodeV3ResponseAt(b: Buffer, at: number, status: V3StatusCode, info?: V3HostInfo | null): void {
  b.writeUInt32LE(V3_RESP_MAGIC, at + V3Off.magic);
  b.writeUInt32LE(status, at + V3Off.status);
  if (status !== V3Status.OK || !info) return;
  b.writeUInt32LE(u32(info.firstSeen), at + V3Off.firstSeen);
  b.writeUInt32LE(u32(info.lastSeen), at + V3Off.lastSeen);
  b.writeUInt32LE(u32(info.totalConn), at + V3Off.totalConn);
  b.writeUInt32LE(u32(info.uptimeMin), at + V3Off.uptimeMin);
  b.writeUInt32LE(u32(info.upModDays), at + V3Off.upModDays);
  b.writeUInt32LE(u32(info.lastNat), at + V3Off.lastNat);
  b.writeUInt32LE(u32(info.lastChg), at + V3Off.lastChg);
  b.writeInt16LE(s16(info.distance), at + V3Off.distance);
  b[at + V3Off.badSw] = u8(info.badSw);
  b[at + V3Off.osMatchQ] = u8(info.osMatchQ);
  writeCString(b, at + V3Off.osName, V3_STR_SIZE, info.osName);
  writeCString(b, at + V3Off.osFlavor, V3_STR_SIZE, info.osFlavor);
  writeCString(b, at + V3Off.httpName, V3_STR_SIZE, info.httpName);
  writeCString(b, at + V3Off.httpFlavor, V3_STR_SIZE, info.httpFlavor);
  writeCString(b, at + V3Off.linkType, V3_STR_SIZE, info.linkType);
  writeCString(b, at + V3Off.language, V3_STR_SIZE, info.language);
}

export type V3Response =
  | { ok: true; status: 'ok'; host: V3HostInfo }
  | { ok: true; status: 'no match' | 'bad query' }
  | { ok: false; reason: 'short' | 'magic' | 'status'; value?: number };

/** Decodes a response at buf[off] (for clients and tests). Never throws. */
export function decodeV3Response(buf: Buffer, off = 0): V3Response {
  if (buf.length - off < V3_RESP_SIZE) return { ok: false, reason: 'short' };
  const magic = buf.readUInt32LE(off);
  if (magic !== V3_RESP_MAGIC) return { ok: false, reason: 'magic', value: magic };
  const status = buf.readUInt32LE(off + V3Off.status);
  if (status === V3Status.BAD_QUERY) return { ok: true, status: 'bad query' };
  if (status === V3Status.NO_MATCH) return { ok: true, status: 'no match' };
  if (status !== V3Status.OK) return { ok: false, reason: 'status', value: status };
  const s = (o: number): string => readCString(buf, off + o, V3_STR_SIZE);
  return {
    ok: true,
    status: 'ok',
    host: {
      firstSeen: buf.readUInt32LE(off + V3Off.firstSeen),
      lastSeen: buf.readUInt32LE(off + V3Off.lastSeen),
      totalConn: buf.readUInt32LE(off + V3Off.totalConn),
      uptimeMin: buf.readUInt32LE(off + V3Off.uptimeMin),
      upModDays: buf.readUInt32LE(off + V3Off.upModDays),
      lastNat: buf.readUInt32LE(off + V3Off.lastNat),
      lastChg: buf.readUInt32LE(off + V3Off.lastChg),
      distance: buf.readInt16LE(off + V3Off.distance),
      badSw: buf[off + V3Off.badSw]!,
      osMatchQ: buf[off + V3Off.osMatchQ]!,
      osName: s(V3Off.osName),
      osFlavor: s(V3Off.osFlavor),
      httpName: s(V3Off.httpName),
      httpFlavor: s(V3Off.httpFlavor),
      linkType: s(V3Off.linkType),
      language: s(V3Off.language),
    },
  };
}

/** Answers one 21-byte query against a host lookup. */
export function answerV3(
  query: Uint8Array,
  off: number,
  host: (addr: string) => HostView | undefined,
  hostAt?: (buf: Uint8Array, off: number, ver: 4 | 6) => HostView | undefined,
): Buffer {
  const b = Buffer.alloc(V3_RESP_SIZE);
  answerV3At(query, off, b, 0, host, hostAt);
  return b;
}

/** answerV3, written into out[at, at + V3_RESP_SIZE), which must be zero. Returns the status. */
export function answerV3At(
  query: Uint8Array,
  off: number,
  out: Buffer,
  at: number,
  host: (addr: string) => HostView | undefined,
  hostAt?: (buf: Uint8Array, off: number, ver: 4 | 6) => HostView | undefined,
): V3StatusCode {
  let h: HostView | undefined;
  let status: V3StatusCode = V3Status.BAD_QUERY;
  if (hostAt) {
    // The same checks as decodeV3Query, without building the address text.
    const magic = query.length - off < V3_QUERY_SIZE ? 0 : (query[off]! | (query[off + 1]! << 8) | (query[off + 2]! << 16) | (query[off + 3]! << 24)) >>> 0;
    const type = query[off + 4];
    if (magic === V3_QUERY_MAGIC && (type === V3_ADDR_IPV4 || type === V3_ADDR_IPV6)) {
      const a = off + 5;
      if (type === V3_ADDR_IPV4) h = hostAt(query, a, 4);
      else {
        let mapped = query[a + 10] === 0xff && query[a + 11] === 0xff;
        for (let i = 0; mapped && i < 10; i++) if (query[a + i] !== 0) mapped = false;
        h = mapped ? hostAt(query, a + 12, 4) : hostAt(query, a, 6);
      }
      status = h ? V3Status.OK : V3Status.NO_MATCH;
    }
  } else {
    const q = decodeV3Query(query, off);
    if (q.ok) {
      h = host(q.addr);
      status = h ? V3Status.OK : V3Status.NO_MATCH;
    }
  }
  encodeV3ResponseAt(out, at, status, h ? hostToV3(h) : null);
  return status;
}
