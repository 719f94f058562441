/**
 * p0f 2 query codec (p0f 2.0.8 p0f-query.h; the protocol of the old PHP and
 * mod_pof guides), laid out as p0f 2's C structs compile on x86-64 (natural
 * alignment, little-endian), pure and without I/O.
 *
 * Query (struct p0f_query), 24 bytes; PHP: pack("LLLNNSS", ...):
 *
 *   off size field
 *     0    4 magic      0x0defaced
 *     4    1 type       1 = fingerprint (by connection), 2 = status
 *     5    3 (padding)
 *     8    4 id         copied into the answer
 *    12    4 src_ad     client address, network order
 *    16    4 dst_ad     server (local) address, network order
 *    20    2 src_port   native order
 *    22    2 dst_port   native order
 *
 * Response (struct p0f_response), 144 bytes:
 *
 *     0    4 magic      0x0defaced
 *     4    4 id
 *     8    1 type       0 OK, 1 bad query, 2 no match
 *     9   20 genre      OS name ("Linux"), empty if unknown
 *    29   40 detail     OS flavor ("2.2.x-3.x")
 *    69    1 dist       signed; -1 if unknown
 *    70   30 link       link type from the MTU, empty if unknown
 *   100   30 tos        type of service text (pof: always empty)
 *   130    1 fw         p0f 2 "firewall" flag (pof: always 0)
 *   131    1 nat        1 when pof saw IP sharing for this client
 *   132    1 real       1 when an OS (not a userland tool) matched
 *   133    1 (padding)
 *   134    2 score      masquerade score, -100 = none (p0f 2 without -M)
 *   136    2 mflags     masquerade flags (0)
 *   138    2 (padding)
 *   140    4 uptime     hours, -1 if unknown
 *
 * Status (struct p0f_status, type 255), 56 bytes:
 *
 *     0    4 magic, 4 4 id, 8 1 type = 255, 9 16 version, 25 1 mode ('S'),
 *    26    2 (padding), 28 4 fp_cksum, 32 4 cache, 36 4 packets,
 *    40    4 matched, 44 4 queries, 48 4 cmisses, 52 4 uptime (seconds)
 *
 * Strings are NUL-terminated, cut to size - 1 bytes as p0f 2 does. A bad
 * magic or type gets a "bad query" answer with the id copied; padding is 0.
 */
import { clamp, readCString, writeCString } from './cstr.js';
import type { ConnVerdict } from '../state/conn-verdicts.js';

export const V2_MAGIC = 0x0defaced;
export const V2_QUERY_SIZE = 24;
export const V2_RESP_SIZE = 144;
export const V2_STATUS_SIZE = 56;
export const V2_NO_SCORE = -100;

export const V2QType = { FINGERPRINT: 1, STATUS: 2 } as const;
export const V2Resp = { OK: 0, BAD_QUERY: 1, NO_MATCH: 2, STATUS: 255 } as const;
export type V2RespCode = (typeof V2Resp)[keyof typeof V2Resp];

export const V2Off = {
  magic: 0,
  id: 4,
  type: 8,
  genre: 9,
  detail: 29,
  dist: 69,
  link: 70,
  tos: 100,
  fw: 130,
  nat: 131,
  real: 132,
  score: 134,
  mflags: 136,
  uptime: 140,
} as const;

export const V2Size = { genre: 20, detail: 40, link: 30, tos: 30, version: 16 } as const;

export const V2StatusOff = {
  magic: 0,
  id: 4,
  type: 8,
  version: 9,
  mode: 25,
  fpCksum: 28,
  cache: 32,
  packets: 36,
  matched: 40,
  queries: 44,
  cmisses: 48,
  uptime: 52,
} as const;

export interface V2Query {
  type: 'fingerprint' | 'status';
  id: number;
  /** Client ("source") address and port. */
  src: string;
  srcPort: number;
  /** Server ("destination", local) address and port. */
  dst: string;
  dstPort: number;
}

export type V2QueryResult = ({ ok: true } & V2Query) | { ok: false; reason: 'short' | 'magic' | 'type'; id: number };

const ip4 = (b: Uint8Array, o: number): string => `${b[o]}.${b[o + 1]}.${b[o + 2]}.${b[o + 3]}`;
const le32 = (b: Uint8Array, o: number): number => (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24)) >>> 0;
const le16 = (b: Uint8Array, o: number): number => b[o]! | (b[o + 1]! << 8);

/** Decodes one query at buf[off]. Never throws. */
export function decodeV2Query(buf: Uint8Array, off = 0): V2QueryResult {
  if (buf.length - off < V2_QUERY_SIZE) return { ok: false, reason: 'short', id: 0 };
  const id = le32(buf, off + 8);
  if (le32(buf, off) !== V2_MAGIC) return { ok: false, reason: 'magic', id };
  const t = buf[off + 4];
  if (t !== V2QType.FINGERPRINT && t !== V2QType.STATUS) return { ok: false, reason: 'type', id };
  return {
    ok: true,
    type: t === V2QType.STATUS ? 'status' : 'fingerprint',
    id,
    src: ip4(buf, off + 12),
    dst: ip4(buf, off + 16),
    srcPort: le16(buf, off + 20),
    dstPort: le16(buf, off + 22),
  };
}

function ip4Bytes(text: string): Uint8Array {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (!m) throw new RangeError(`not an IPv4 address: ${text}`);
  const b = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const n = Number(m[i + 1]);
    if (n > 255) throw new RangeError(`not an IPv4 address: ${text}`);
    b[i] = n;
  }
  return b;
}

/** Builds a query (as p0fq.c or the PHP guide would). */
export function encodeV2Query(q: V2Query, magic = V2_MAGIC): Buffer {
  const b = Buffer.alloc(V2_QUERY_SIZE);
  b.writeUInt32LE(magic >>> 0, 0);
  b[4] = q.type === 'status' ? V2QType.STATUS : V2QType.FINGERPRINT;
  b.writeUInt32LE(q.id >>> 0, 8);
  b.set(ip4Bytes(q.src), 12);
  b.set(ip4Bytes(q.dst), 16);
  b.writeUInt16LE(q.srcPort & 0xffff, 20);
  b.writeUInt16LE(q.dstPort & 0xffff, 22);
  return b;
}

/** The fields of an OK answer. */
export interface V2Info {
  genre: string;
  detail: string;
  /** -1 if unknown. */
  dist: number;
  link: string;
  tos: string;
  fw: number;
  nat: number;
  real: number;
  /** V2_NO_SCORE when none. */
  score: number;
  mflags: number;
  /** Hours; -1 if unknown. */
  uptime: number;
}

/** Maps a connection's client-side verdicts to p0f 2's answer. */
export function verdictToV2(v: ConnVerdict): V2Info {
  const c = v.client;
  const m = c.tcp?.match ?? null;
  return {
    genre: m ? m.name : '',
    detail: m ? (m.flavor ?? '') : '',
    dist: c.tcp && !c.tcp.distUpperBound ? c.tcp.dist : -1,
    link: c.mtu?.link ?? '',
    tos: '',
    fw: 0,
    nat: c.nat?.kind === 'ip sharing' ? 1 : 0,
    real: m && !m.userland ? 1 : 0,
    score: V2_NO_SCORE,
    mflags: 0,
    uptime: c.uptime ? Math.floor(c.uptime.minutes / 60) : -1,
  };
}


/** Encodes an answer; `info` is used only with type OK. */
export function encodeV2Response(type: 0 | 1 | 2, id: number, info?: V2Info | null): Buffer {
  const b = Buffer.alloc(V2_RESP_SIZE);
  b.writeUInt32LE(V2_MAGIC, V2Off.magic);
  b.writeUInt32LE(id >>> 0, V2Off.id);
  b[V2Off.type] = type;
  if (type === V2Resp.NO_MATCH) b.writeInt8(-1, V2Off.dist);
  if (type !== V2Resp.OK || !info) return b;
  writeCString(b, V2Off.genre, V2Size.genre, info.genre);
  writeCString(b, V2Off.detail, V2Size.detail, info.detail);
  b.writeInt8(clamp(info.dist, -128, 127, -1), V2Off.dist);
  writeCString(b, V2Off.link, V2Size.link, info.link);
  writeCString(b, V2Off.tos, V2Size.tos, info.tos);
  b[V2Off.fw] = clamp(info.fw, 0, 255, 0);
  b[V2Off.nat] = clamp(info.nat, 0, 255, 0);
  b[V2Off.real] = clamp(info.real, 0, 255, 0);
  b.writeInt16LE(clamp(info.score, -0x8000, 0x7fff, V2_NO_SCORE), V2Off.score);
  b.writeUInt16LE(clamp(info.mflags, 0, 0xffff, 0), V2Off.mflags);
  b.writeInt32LE(clamp(info.uptime, -0x80000000, 0x7fffffff, -1), V2Off.uptime);
  return b;
}

export type V2Response =
  | { ok: true; type: 'ok'; id: number; info: V2Info }
  | { ok: true; type: 'bad query' | 'no match'; id: number }
  | { ok: false; reason: 'short' | 'magic' | 'type' };

/** Decodes a 144-byte answer (for clients and tests). Never throws. */
export function decodeV2Response(buf: Buffer, off = 0): V2Response {
  if (buf.length - off < V2_RESP_SIZE) return { ok: false, reason: 'short' };
  if (buf.readUInt32LE(off) !== V2_MAGIC) return { ok: false, reason: 'magic' };
  const id = buf.readUInt32LE(off + V2Off.id);
  const t = buf[off + V2Off.type];
  if (t === V2Resp.BAD_QUERY) return { ok: true, type: 'bad query', id };
  if (t === V2Resp.NO_MATCH) return { ok: true, type: 'no match', id };
  if (t !== V2Resp.OK) return { ok: false, reason: 'type' };
  const s = (o: number, n: number): string => readCString(buf, off + o, n);
  return {
    ok: true,
    type: 'ok',
    id,
    info: {
      genre: s(V2Off.genre, V2Size.genre),
      detail: s(V2Off.detail, V2Size.detail),
      dist: buf.readInt8(off + V2Off.dist),
      link: s(V2Off.link, V2Size.link),
      tos: s(V2Off.tos, V2Size.tos),
      fw: buf[off + V2Off.fw]!,
      nat: buf[off + V2Off.nat]!,
      real: buf[off + V2Off.real]!,
      score: buf.readInt16LE(off + V2Off.score),
      mflags: buf.readUInt16LE(off + V2Off.mflags),
      uptime: buf.readInt32LE(off + V2Off.uptime),
    },
  };
}

/** Fields of the status answer. */
export interface V2StatusInfo {
  version: string;
  /** 'S' (SYN mode: what pof's engine fingerprints first). */
  mode: string;
  fpCksum: number;
  /** Size of the connection cache. */
  cache: number;
  packets: number;
  matched: number;
  /** Fingerprint queries answered, and those that found nothing. */
  queries: number;
  cmisses: number;
  /** Seconds since the server started. */
  uptime: number;
}

export function encodeV2Status(id: number, s: V2StatusInfo): Buffer {
  const b = Buffer.alloc(V2_STATUS_SIZE);
  const u32 = (n: number): number => clamp(n, 0, 0xffffffff, 0);
  b.writeUInt32LE(V2_MAGIC, V2StatusOff.magic);
  b.writeUInt32LE(id >>> 0, V2StatusOff.id);
  b[V2StatusOff.type] = V2Resp.STATUS;
  writeCString(b, V2StatusOff.version, V2Size.version, s.version);
  b[V2StatusOff.mode] = s.mode.charCodeAt(0) & 0xff;
  b.writeUInt32LE(u32(s.fpCksum), V2StatusOff.fpCksum);
  b.writeUInt32LE(u32(s.cache), V2StatusOff.cache);
  b.writeUInt32LE(u32(s.packets), V2StatusOff.packets);
  b.writeUInt32LE(u32(s.matched), V2StatusOff.matched);
  b.writeUInt32LE(u32(s.queries), V2StatusOff.queries);
  b.writeUInt32LE(u32(s.cmisses), V2StatusOff.cmisses);
  b.writeUInt32LE(u32(s.uptime), V2StatusOff.uptime);
  return b;
}

export function decodeV2Status(buf: Buffer, off = 0): ({ ok: true; id: number } & V2StatusInfo) | { ok: false } {
  if (buf.length - off < V2_STATUS_SIZE || buf.readUInt32LE(off) !== V2_MAGIC || buf[off + 8] !== V2Resp.STATUS) {
    return { ok: false };
  }
  return {
    ok: true,
    id: buf.readUInt32LE(off + V2StatusOff.id),
    version: readCString(buf, off + V2StatusOff.version, V2Size.version),
    mode: String.fromCharCode(buf[off + V2StatusOff.mode]!),
    fpCksum: buf.readUInt32LE(off + V2StatusOff.fpCksum),
    cache: buf.readUInt32LE(off + V2StatusOff.cache),
    packets: buf.readUInt32LE(off + V2StatusOff.packets),
    matched: buf.readUInt32LE(off + V2StatusOff.matched),
    queries: buf.readUInt32LE(off + V2StatusOff.queries),
    cmisses: buf.readUInt32LE(off + V2StatusOff.cmisses),
    uptime: buf.readUInt32LE(off + V2StatusOff.uptime),
  };
}

export interface V2Context {
  connection(cli: string, cliPort: number, srv: string, srvPort: number): ConnVerdict | undefined;
  status(): V2StatusInfo;
  /** Called for each fingerprint query, with whether it found the connection. */
  counted?(found: boolean): void;
}

/** Answers one 24-byte query: 144 bytes, or 56 for a status query. */
export function answerV2(query: Uint8Array, off: number, ctx: V2Context): Buffer {
  const q = decodeV2Query(query, off);
  if (!q.ok) return encodeV2Response(V2Resp.BAD_QUERY, q.id);
  if (q.type === 'status') return encodeV2Status(q.id, ctx.status());
  const v = ctx.connection(q.src, q.srcPort, q.dst, q.dstPort);
  ctx.counted?.(v !== undefined);
  if (!v) return encodeV2Response(V2Resp.NO_MATCH, q.id);
  return encodeV2Response(V2Resp.OK, q.id, verdictToV2(v));
}
