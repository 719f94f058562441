/**
 * What the TLS and QUIC gatherers report: a ClientHello as a 'tls'
 * observation (JA4 and its variants, JA3, SNI, ALPN, the TLS client label)
 * and a ServerHello's choices as a 'tls server' one.
 *
 * Values from the wire (SNI, ALPN) are latin1 strings that may hold any
 * byte: in `fields`, which p0f's line formats print between '|', they are
 * escaped (\xHH for anything but printable ASCII, and for '|', '\' and, in
 * an ALPN value, ','), so that no hello can break a log line or forge a
 * field. `detail` keeps them as sent.
 */
import { parseServerHello, type ClientHello } from '../fingerprint/tls/hello.js';
import { ja3 } from '../fingerprint/tls/ja3.js';
import { ja4, ja4Version } from '../fingerprint/tls/ja4.js';
import { labelTls, type TlsIndex } from '../fingerprint/tls/label.js';
import { addrToString } from '../net/addr.js';
import type { Observation, ObservationField, TlsClientInfo } from '../observation.js';

export type TlsTransport = 'tcp' | 'quic';

/** Where a hello was seen: the packet's addresses, and which end is the client. */
export interface HelloPlace {
  ipVer: 4 | 6;
  buf: Buffer;
  cliOff: number;
  srvOff: number;
  cliPort: number;
  srvPort: number;
  encap: boolean;
  tsSec: number;
  tsUsec: number;
}

/** Characters a field value keeps as they are: printable ASCII but '|' and '\'. */
const PLAIN = /^[\x20-\x5b\x5d-\x7b\x7d\x7e]*$/;
const PLAIN_ALPN = /^[\x20-\x2b\x2d-\x5b\x5d-\x7b\x7d\x7e]*$/;

function escapeWith(s: string, plain: RegExp, comma: boolean): string {
  if (plain.test(s)) return s;
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x20 && c <= 0x7e && c !== 0x7c && c !== 0x5c && !(comma && c === 0x2c)) out += s[i];
    else out += '\\x' + (c & 0xff).toString(16).padStart(2, '0');
  }
  return out;
}

/** A wire string (latin1) as a field value: printable ASCII kept, the rest as \xHH. */
export function escapeField(s: string): string {
  return escapeWith(s, PLAIN, false);
}

/** An ALPN list as one field value: each value escaped (',' too), joined by ','. */
export function alpnField(list: readonly string[] | null): string | null {
  if (list === null) return null;
  let out = '';
  for (let i = 0; i < list.length; i++) out += (i > 0 ? ',' : '') + escapeWith(list[i]!, PLAIN_ALPN, true);
  return out;
}

/** A protocol version as people name it: 'TLS 1.3', 'SSL 3.0', 'DTLS 1.2', else 0x and four hex digits. */
export function versionText(v: number): string {
  switch (v) {
    case 0x0304:
      return 'TLS 1.3';
    case 0x0303:
      return 'TLS 1.2';
    case 0x0302:
      return 'TLS 1.1';
    case 0x0301:
      return 'TLS 1.0';
    case 0x0300:
      return 'SSL 3.0';
    case 0xfeff:
      return 'DTLS 1.0';
    case 0xfefd:
      return 'DTLS 1.2';
    case 0xfefc:
      return 'DTLS 1.3';
    default:
      if (v >> 8 === 0x7f) return `TLS 1.3 draft ${v & 0xff}`;
      return '0x' + v.toString(16).padStart(4, '0');
  }
}

function hex4(v: number): string {
  return '0x' + v.toString(16).padStart(4, '0');
}

/** Fields p0f's text formats show of a hello; JA4's variants follow, for JSON only. */
const HELLO_TEXT_FIELDS = 4;

/** The 'tls' observation of one ClientHello. `details`: build the typed detail too. */
export function helloObservation(
  hello: ClientHello,
  transport: TlsTransport,
  at: HelloPlace,
  labels: TlsIndex | null,
  afterRetry: boolean,
  details: boolean,
): Observation {
  // JA4's variants are for JSON, which has details on: without them only JA4 is made.
  const j4 = ja4(hello, transport, details);
  const j3 = ja3(hello);
  const sni = hello.sni === null ? null : escapeField(hello.sni);
  const fields: ObservationField[] = [
    ['ja4', j4.ja4],
    ['ja3', j3.ja3],
    ['sni', sni],
    ['alpn', alpnField(hello.alpn)],
  ];
  if (details) fields.push(['ja4_r', j4.ja4_r], ['ja4_o', j4.ja4_o], ['ja4_ro', j4.ja4_ro]);
  let client: TlsClientInfo | null = null;
  if (details && labels !== null) {
    const l = labelTls(labels, j4.ja4);
    if (l.kind === 'known') client = { family: l.family, name: l.name, line: l.line };
  }
  const o = base('tls', at, 'cli', fields);
  o.textFields = HELLO_TEXT_FIELDS;
  if (details) {
    o.detail = {
      kind: 'tls',
      transport,
      version: versionText(ja4Version(hello)),
      legacy_version: hello.version,
      sni: hello.sni,
      alpn: hello.alpn,
      supported_versions: hello.supportedVersions,
      after_retry: afterRetry,
      ja3_string: j3.ja3_full,
      client,
    };
  }
  return o;
}

/** What a ServerHello said, or null when its body does not parse (the caller counts it). */
export interface ServerChoice {
  obs: Observation;
  helloRetryRequest: boolean;
}

/** The 'tls server' observation of a ServerHello body. */
export function serverObservation(body: Buffer, transport: TlsTransport, at: HelloPlace, details: boolean): ServerChoice | null {
  const r = parseServerHello(body);
  if (!r.ok) return null;
  const h = r.hello;
  const fields: ObservationField[] = [
    ['version', versionText(h.selectedVersion)],
    ['cipher', hex4(h.cipher)],
    ['alpn', h.alpn === null ? null : alpnField([h.alpn])],
    ['params', h.helloRetryRequest ? 'retry' : 'none'],
  ];
  const o = base('tls server', at, 'srv', fields);
  if (details) {
    o.detail = {
      kind: 'tls-server',
      transport,
      version: versionText(h.selectedVersion),
      cipher: h.cipher,
      alpn: h.alpn,
      hello_retry_request: h.helloRetryRequest,
    };
  }
  return { obs: o, helloRetryRequest: h.helloRetryRequest };
}

/** An observation with the properties of the engine's own, in their order (one shape for the outputs to read). */
function base(mod: 'tls' | 'tls server', at: HelloPlace, subj: 'cli' | 'srv', fields: ObservationField[]): Observation {
  const cli = addrToString(at.buf, at.cliOff, at.ipVer);
  const srv = addrToString(at.buf, at.srvOff, at.ipVer);
  return {
    mod,
    tsSec: at.tsSec,
    tsUsec: at.tsUsec,
    ipVer: at.ipVer,
    cli,
    cliPort: at.cliPort,
    srv,
    srvPort: at.srvPort,
    subj,
    conn: `cli=${cli}/${at.cliPort}|srv=${srv}/${at.srvPort}`,
    fields,
    sharedFields: false,
    encap: at.encap,
    detail: undefined,
    tcp: undefined,
    textFields: undefined,
  };
}

/** Why a hello (or a QUIC packet carrying one) was given up on. */
export type TlsDropReason =
  /** TCP: the connection closed, or the capture moved on, before the hello was whole. */
  | 'tcp-incomplete'
  /** TCP: the connection was still gathering when its entry aged out (-t c seconds). */
  | 'tcp-expired'
  /** TCP: the table was full and the oldest entry, still gathering, made room. */
  | 'tcp-evicted'
  /** TCP: the hello needs more than MAX_TLS_HELLO_BYTES. */
  | 'tcp-too-large'
  /** TCP: more separate out-of-order pieces than MAX_TLS_SEGMENT_RANGES. */
  | 'tcp-fragmented'
  /** TCP: the gatherer's bytes (TLS_GATHER_BUDGET) were all in use. */
  | 'tcp-budget'
  /** TCP: bytes that start like a TLS record are not one (the framer's reason). */
  | 'tcp-bad-record'
  /** A ClientHello that frames but does not parse. */
  | 'tcp-bad-hello'
  | 'quic-bad-hello'
  /** A ServerHello that frames but does not parse. */
  | 'tcp-bad-server-hello'
  | 'quic-bad-server-hello'
  /** QUIC: a client Initial that neither its connection's keys nor its own DCID's open. */
  | 'quic-decrypt-failed'
  /** QUIC: a server Initial that the server keys of its connection do not open. */
  | 'quic-server-decrypt-failed'
  /** QUIC: an Initial too short for header protection's sample or the tag. */
  | 'quic-too-short'
  /** QUIC: a long header that does not hold together (lengths past the datagram, CIDs over 20 bytes). */
  | 'quic-bad-header'
  /** QUIC: the frames of a decrypted Initial do not hold together. */
  | 'quic-bad-frames'
  /** QUIC: the CRYPTO stream went past MAX_QUIC_CRYPTO_BYTES or MAX_QUIC_CRYPTO_RANGES. */
  | 'quic-crypto-rejected'
  /** QUIC: the CRYPTO stream does not start with a ClientHello. */
  | 'quic-not-client-hello'
  /** QUIC: the gatherer's bytes (QUIC_GATHER_BUDGET) were all in use. */
  | 'quic-budget'
  /** QUIC: the table was full and the oldest connection, still gathering, made room. */
  | 'quic-evicted'
  /** QUIC: a connection still gathering aged out. */
  | 'quic-expired';

/** The TLS and QUIC gatherers' counters. */
export interface TlsStats {
  /** ClientHellos reported, by transport. */
  hellos: { tcp: number; quic: number };
  /** ServerHellos reported, by transport. */
  serverHellos: { tcp: number; quic: number };
  /** QUIC Initial packets read (client and server). */
  quicInitials: number;
  drops: Partial<Record<TlsDropReason, number>>;
}

export function newTlsStats(): TlsStats {
  return { hellos: { tcp: 0, quic: 0 }, serverHellos: { tcp: 0, quic: 0 }, quicInitials: 0, drops: {} };
}

export function countDrop(s: TlsStats, r: TlsDropReason): void {
  s.drops[r] = (s.drops[r] ?? 0) + 1;
}
