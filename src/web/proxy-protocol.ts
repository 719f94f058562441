/**
 * The PROXY protocol (HAProxy's, versions 1 and 2): the header a load
 * balancer puts before a connection's first byte to say whose connection it
 * relays. Pure: bytes in, a result out; never throws.
 *
 * Version 1 is one text line, at most 107 bytes with its CRLF:
 *
 *   PROXY TCP4 198.51.100.7 203.0.113.80 45012 443\r\n
 *   PROXY TCP6 2001:db8::7 2001:db8::80 45012 443\r\n
 *   PROXY UNKNOWN[ anything]\r\n                  (the real endpoints apply)
 *
 * Version 2 is binary: a 12-byte signature, version and command (LOCAL or
 * PROXY), address family and transport, a 16-bit length, the addresses
 * (IPv4 12 bytes, IPv6 36, UNIX 216), then TLVs:
 *
 *   0x01 ALPN        0x02 authority (SNI)  0x03 CRC-32C (checked)
 *   0x04 NOOP        0x05 unique ID        0x20 SSL (with sub-TLVs 0x21
 *   version, 0x22 client certificate CN, 0x23 cipher, 0x24 signature
 *   algorithm, 0x25 key algorithm)       0x30 network namespace
 *
 * Others are kept as they are. A LOCAL header (a health check of the load
 * balancer's own) and an unspecified family or UNKNOWN line mean "use the
 * connection's real endpoints": `addr` is null.
 *
 * parseProxyHeader(buf) says whether buf starts with a complete header
 * ('header', with its length), a beginning of one ('incomplete'), no header
 * at all ('none': buf does not start like one, so it is the application's
 * first bytes), or a broken one ('invalid').
 */
import { crc32c } from '../net/crc32c.js';
import { addrToString, parseAddress } from '../net/addr.js';

/** The v2 signature. */
export const V2_SIGNATURE = Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a]);
const V1_PREFIX = Buffer.from('PROXY ', 'latin1');
/** Longest v1 line, CRLF included (the spec's). */
export const V1_MAX_LENGTH = 107;
/** v2: signature, version/command, family/transport, length. */
export const V2_FIXED_LENGTH = 16;
/** Largest v2 header a 16-bit length allows. */
export const V2_MAX_LENGTH = V2_FIXED_LENGTH + 0xffff;
/** Default cap on a v2 header (addresses and TLVs: UNIX addresses, SSL names and a unique ID fit well). */
export const DEFAULT_V2_MAX_LENGTH = 4096;
/** Longest unique ID TLV (the spec's). */
export const MAX_UNIQUE_ID = 128;

export const PP2_TYPE = {
  ALPN: 0x01,
  AUTHORITY: 0x02,
  CRC32C: 0x03,
  NOOP: 0x04,
  UNIQUE_ID: 0x05,
  SSL: 0x20,
  SSL_VERSION: 0x21,
  SSL_CN: 0x22,
  SSL_CIPHER: 0x23,
  SSL_SIG_ALG: 0x24,
  SSL_KEY_ALG: 0x25,
  NETNS: 0x30,
} as const;

/** pp2_tlv_ssl client bits. */
export const PP2_CLIENT_SSL = 0x01;
export const PP2_CLIENT_CERT_CONN = 0x02;
export const PP2_CLIENT_CERT_SESS = 0x04;

export type ProxyTransport = 'stream' | 'dgram' | 'unspec';

/** Whose connection it is; addresses in pof's text (IPv4-mapped IPv6 as IPv4). */
export type ProxyAddress =
  | { family: 'inet' | 'inet6'; transport: ProxyTransport; src: string; srcPort: number; dst: string; dstPort: number }
  | { family: 'unix'; transport: ProxyTransport; src: string; dst: string };

export interface ProxySsl {
  /** The client bits: PP2_CLIENT_SSL, _CERT_CONN, _CERT_SESS. */
  client: number;
  /** The connection used TLS (PP2_CLIENT_SSL). */
  tls: boolean;
  /** A client certificate was presented on this connection / this session. */
  certConn: boolean;
  certSess: boolean;
  /** The client certificate was verified (verify field 0). */
  verified: boolean;
  version: string | null;
  cn: string | null;
  cipher: string | null;
  sigAlg: string | null;
  keyAlg: string | null;
}

export interface ProxyTlvs {
  /** The ALPN protocol the client chose ('h2', 'http/1.1'). */
  alpn: string | null;
  /** The host name the client asked for (TLS SNI, or another authority). */
  authority: string | null;
  /** A CRC-32C TLV was present (and matched: a mismatch is 'invalid'). */
  crc32c: boolean;
  uniqueId: Buffer | null;
  ssl: ProxySsl | null;
  netns: string | null;
  /** TLVs of other types, in order (values copied). */
  other: Array<{ type: number; value: Buffer }>;
}

export interface ProxyHeader {
  version: 1 | 2;
  /** 'local': the balancer's own connection (health check): use the real endpoints. */
  command: 'proxy' | 'local';
  /** Bytes the header takes at the start of the stream. */
  length: number;
  /** Null: use the connection's real endpoints (LOCAL, UNKNOWN, unspecified family). */
  addr: ProxyAddress | null;
  tlvs: ProxyTlvs;
}

export type ProxyParseResult =
  | { kind: 'header'; header: ProxyHeader }
  /** The bytes so far begin a header (or may): read more. */
  | { kind: 'incomplete'; version: 1 | 2 | null }
  /** The bytes do not start with a PROXY header. */
  | { kind: 'none' }
  | { kind: 'invalid'; version: 1 | 2; reason: string };

export interface ProxyParseOptions {
  /** Largest v2 header accepted, bytes (16..65551, default 4096). */
  v2MaxLength?: number;
}

const emptyTlvs = (): ProxyTlvs => ({ alpn: null, authority: null, crc32c: false, uniqueId: null, ssl: null, netns: null, other: [] });

/** How far `b` agrees with `sig`: 'all', 'prefix' (b is shorter and agrees), or 'no'. */
function against(b: Uint8Array, sig: Uint8Array): 'all' | 'prefix' | 'no' {
  const n = Math.min(b.length, sig.length);
  for (let i = 0; i < n; i++) if (b[i] !== sig[i]) return 'no';
  return b.length >= sig.length ? 'all' : 'prefix';
}

/** Parses the header at the start of `b`. Never throws. */
export function parseProxyHeader(b: Uint8Array, opts: ProxyParseOptions = {}): ProxyParseResult {
  const max = opts.v2MaxLength ?? DEFAULT_V2_MAX_LENGTH;
  if (b.length === 0) return { kind: 'incomplete', version: null };
  const v2 = against(b, V2_SIGNATURE);
  if (v2 === 'all') return parseV2(b, max);
  const v1 = against(b, V1_PREFIX);
  if (v1 === 'all') return parseV1(b);
  if (v2 === 'prefix' || v1 === 'prefix') return { kind: 'incomplete', version: v2 === 'prefix' ? 2 : 1 };
  return { kind: 'none' };
}

/** True when `b` starts with a v1 or v2 signature, or could (fewer bytes than one). */
export function mayStartProxyHeader(b: Uint8Array): boolean {
  return b.length === 0 || against(b, V2_SIGNATURE) !== 'no' || against(b, V1_PREFIX) !== 'no';
}

// ---------------------------------------------------------------- v1

const PORT = /^(?:0|[1-9]\d{0,4})$/;
const DOTTED_QUAD = /^(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;

function v1Invalid(reason: string): ProxyParseResult {
  return { kind: 'invalid', version: 1, reason };
}

function v1Addr(text: string, proto: 'TCP4' | 'TCP6'): string | null {
  if (proto === 'TCP4') return DOTTED_QUAD.test(text) ? text : null;
  if (!text.includes(':') || text.includes('%')) return null;
  const p = parseAddress(text);
  return p ? addrToString(p.bytes, 0, p.ver) : null;
}

function parseV1(b: Uint8Array): ProxyParseResult {
  // The CR may sit at most at byte 105: CR LF end the line by byte 107.
  const lim = Math.min(b.length, V1_MAX_LENGTH - 1);
  let cr = -1;
  for (let i = V1_PREFIX.length; i < lim; i++) {
    const c = b[i]!;
    if (c === 0x0d) {
      cr = i;
      break;
    }
    // Printable US-ASCII only: no NUL, no bare LF, no high bytes.
    if (c < 0x20 || c > 0x7e) return v1Invalid(`byte 0x${c.toString(16).padStart(2, '0')} in the PROXY line`);
  }
  if (cr === -1) return b.length >= V1_MAX_LENGTH - 1 ? v1Invalid(`no CRLF within ${V1_MAX_LENGTH} bytes`) : { kind: 'incomplete', version: 1 };
  if (cr + 1 >= b.length) return { kind: 'incomplete', version: 1 };
  if (b[cr + 1] !== 0x0a) return v1Invalid('CR not followed by LF');
  const length = cr + 2;
  const line = Buffer.from(b.buffer, b.byteOffset + V1_PREFIX.length, cr - V1_PREFIX.length).toString('latin1');
  const header = (addr: ProxyAddress | null): ProxyParseResult => ({ kind: 'header', header: { version: 1, command: 'proxy', length, addr, tlvs: emptyTlvs() } });
  if (line === 'UNKNOWN' || line.startsWith('UNKNOWN ')) return header(null);
  const f = line.split(' ');
  const proto = f[0];
  if (proto !== 'TCP4' && proto !== 'TCP6') return v1Invalid(`protocol "${(proto ?? '').slice(0, 16)}" (TCP4, TCP6 or UNKNOWN)`);
  if (f.length !== 5) return v1Invalid(`${f.length - 1} fields after ${proto} (want source, destination, and their ports)`);
  const src = v1Addr(f[1]!, proto);
  const dst = v1Addr(f[2]!, proto);
  if (src === null) return v1Invalid(`source "${f[1]!.slice(0, 48)}" is not an ${proto === 'TCP4' ? 'IPv4' : 'IPv6'} address`);
  if (dst === null) return v1Invalid(`destination "${f[2]!.slice(0, 48)}" is not an ${proto === 'TCP4' ? 'IPv4' : 'IPv6'} address`);
  const ports: number[] = [];
  for (const p of [f[3]!, f[4]!]) {
    if (!PORT.test(p) || Number(p) > 65535) return v1Invalid(`port "${p.slice(0, 8)}" (0..65535, no leading zeros)`);
    ports.push(Number(p));
  }
  return header({ family: proto === 'TCP4' ? 'inet' : 'inet6', transport: 'stream', src, srcPort: ports[0]!, dst, dstPort: ports[1]! });
}

// ---------------------------------------------------------------- v2

function v2Invalid(reason: string): ProxyParseResult {
  return { kind: 'invalid', version: 2, reason };
}

const UNIX_ADDR = 108;

/** A sun_path: up to its first NUL. */
function unixPath(b: Uint8Array, off: number): string {
  let end = off;
  while (end < off + UNIX_ADDR && b[end] !== 0) end++;
  return Buffer.from(b.buffer, b.byteOffset + off, end - off).toString('utf8');
}

/** An IPv6 address in pof's text; IPv4-mapped ones as IPv4. */
function ip6Text(b: Uint8Array, off: number): string {
  for (let i = 0; i < 10; i++) if (b[off + i] !== 0) return addrToString(b, off, 6);
  return b[off + 10] === 0xff && b[off + 11] === 0xff ? addrToString(b, off + 12, 4) : addrToString(b, off, 6);
}

const text = (b: Uint8Array, off: number, len: number, enc: BufferEncoding): string => Buffer.from(b.buffer, b.byteOffset + off, len).toString(enc);

function parseV2(b: Uint8Array, max: number): ProxyParseResult {
  if (b.length < V2_FIXED_LENGTH) return { kind: 'incomplete', version: 2 };
  const verCmd = b[12]!;
  if (verCmd >> 4 !== 2) return v2Invalid(`version ${verCmd >> 4} (want 2)`);
  const cmd = verCmd & 0x0f;
  if (cmd > 1) return v2Invalid(`command ${cmd} (0 LOCAL or 1 PROXY)`);
  const famByte = b[13]!;
  const fam = famByte >> 4;
  const tr = famByte & 0x0f;
  if (fam > 3) return v2Invalid(`address family ${fam} (0..3)`);
  if (tr > 2) return v2Invalid(`transport ${tr} (0..2)`);
  const len = (b[14]! << 8) | b[15]!;
  const length = V2_FIXED_LENGTH + len;
  if (length > max) return v2Invalid(`header of ${length} bytes (at most ${max})`);
  if (b.length < length) return { kind: 'incomplete', version: 2 };
  const tlvs = emptyTlvs();
  if (cmd === 0) return { kind: 'header', header: { version: 2, command: 'local', length, addr: null, tlvs } };
  const transport: ProxyTransport = tr === 1 ? 'stream' : tr === 2 ? 'dgram' : 'unspec';
  let addr: ProxyAddress | null = null;
  let off = V2_FIXED_LENGTH;
  switch (fam) {
    case 0:
      // Unspecified: real endpoints; what follows is not ours to read.
      return { kind: 'header', header: { version: 2, command: 'proxy', length, addr: null, tlvs } };
    case 1:
      if (len < 12) return v2Invalid(`IPv4 addresses need 12 bytes (length is ${len})`);
      addr = { family: 'inet', transport, src: addrToString(b, off, 4), dst: addrToString(b, off + 4, 4), srcPort: (b[off + 8]! << 8) | b[off + 9]!, dstPort: (b[off + 10]! << 8) | b[off + 11]! };
      off += 12;
      break;
    case 2:
      if (len < 36) return v2Invalid(`IPv6 addresses need 36 bytes (length is ${len})`);
      addr = { family: 'inet6', transport, src: ip6Text(b, off), dst: ip6Text(b, off + 16), srcPort: (b[off + 32]! << 8) | b[off + 33]!, dstPort: (b[off + 34]! << 8) | b[off + 35]! };
      off += 36;
      break;
    default:
      if (len < 2 * UNIX_ADDR) return v2Invalid(`UNIX addresses need ${2 * UNIX_ADDR} bytes (length is ${len})`);
      addr = { family: 'unix', transport, src: unixPath(b, off), dst: unixPath(b, off + UNIX_ADDR) };
      off += 2 * UNIX_ADDR;
  }
  const bad = readTlvs(b, off, length, tlvs, true);
  if (bad) return v2Invalid(bad);
  return { kind: 'header', header: { version: 2, command: 'proxy', length, addr, tlvs } };
}

/** Reads TLVs in b[off, end) into `t`; returns the problem, or null. `top`: the header's own (not SSL sub-TLVs). */
function readTlvs(b: Uint8Array, off: number, end: number, t: ProxyTlvs, top: boolean, ssl?: ProxySsl): string | null {
  while (off < end) {
    if (end - off < 3) return `${end - off} stray byte(s) after the last TLV`;
    const type = b[off]!;
    const vlen = (b[off + 1]! << 8) | b[off + 2]!;
    const v = off + 3;
    if (v + vlen > end) return `TLV 0x${type.toString(16).padStart(2, '0')} of ${vlen} bytes overruns the ${top ? 'header' : 'SSL TLV'}`;
    if (ssl) {
      switch (type) {
        case PP2_TYPE.SSL_VERSION:
          ssl.version = text(b, v, vlen, 'latin1');
          break;
        case PP2_TYPE.SSL_CN:
          ssl.cn = text(b, v, vlen, 'utf8');
          break;
        case PP2_TYPE.SSL_CIPHER:
          ssl.cipher = text(b, v, vlen, 'latin1');
          break;
        case PP2_TYPE.SSL_SIG_ALG:
          ssl.sigAlg = text(b, v, vlen, 'latin1');
          break;
        case PP2_TYPE.SSL_KEY_ALG:
          ssl.keyAlg = text(b, v, vlen, 'latin1');
          break;
        default:
        // Other sub-TLVs are not known to the spec: skipped.
      }
      off = v + vlen;
      continue;
    }
    switch (type) {
      case PP2_TYPE.ALPN:
        t.alpn = text(b, v, vlen, 'latin1');
        break;
      case PP2_TYPE.AUTHORITY:
        t.authority = text(b, v, vlen, 'utf8');
        break;
      case PP2_TYPE.CRC32C: {
        if (vlen !== 4) return `CRC-32C TLV of ${vlen} bytes (want 4)`;
        const want = ((b[v]! << 24) | (b[v + 1]! << 16) | (b[v + 2]! << 8) | b[v + 3]!) >>> 0;
        // Over the whole header with the checksum's own bytes as zeros.
        let c = crc32c(b, 0, v);
        c = crc32c(ZEROS, 0, 4, c);
        c = crc32c(b, v + 4, end, c);
        if (c !== want) return `CRC-32C mismatch (header says 0x${want.toString(16).padStart(8, '0')}, bytes give 0x${c.toString(16).padStart(8, '0')})`;
        t.crc32c = true;
        break;
      }
      case PP2_TYPE.NOOP:
        break;
      case PP2_TYPE.UNIQUE_ID:
        if (vlen > MAX_UNIQUE_ID) return `unique ID of ${vlen} bytes (at most ${MAX_UNIQUE_ID})`;
        t.uniqueId = Buffer.from(b.subarray(v, v + vlen));
        break;
      case PP2_TYPE.SSL: {
        if (vlen < 5) return `SSL TLV of ${vlen} bytes (at least 5)`;
        const client = b[v]!;
        const verify = ((b[v + 1]! << 24) | (b[v + 2]! << 16) | (b[v + 3]! << 8) | b[v + 4]!) >>> 0;
        const s: ProxySsl = {
          client,
          tls: (client & PP2_CLIENT_SSL) !== 0,
          certConn: (client & PP2_CLIENT_CERT_CONN) !== 0,
          certSess: (client & PP2_CLIENT_CERT_SESS) !== 0,
          verified: verify === 0,
          version: null,
          cn: null,
          cipher: null,
          sigAlg: null,
          keyAlg: null,
        };
        const bad = readTlvs(b, v + 5, v + vlen, t, false, s);
        if (bad) return bad;
        t.ssl = s;
        break;
      }
      case PP2_TYPE.NETNS:
        t.netns = text(b, v, vlen, 'latin1');
        break;
      default:
        t.other.push({ type, value: Buffer.from(b.subarray(v, v + vlen)) });
    }
    off = v + vlen;
  }
  return null;
}

const ZEROS = new Uint8Array(4);

/** The header's client and server as a connection 4-tuple; null when it names none (or mixes IP versions). */
export function headerTuple(h: ProxyHeader): { ipVer: 4 | 6; cli: string; cliPort: number; srv: string; srvPort: number } | null {
  const a = h.addr;
  if (!a || a.family === 'unix') return null;
  const v4s = !a.src.includes(':');
  const v4d = !a.dst.includes(':');
  if (v4s !== v4d) return null;
  return { ipVer: v4s ? 4 : 6, cli: a.src, cliPort: a.srcPort, srv: a.dst, srvPort: a.dstPort };
}
