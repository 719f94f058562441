/**
 * The compact form of JSON answers ({"compact":true} in a query): the same
 * host and conn records, each object written as an array of its values in
 * a fixed order, and labels that are only name + flavor left out. A client
 * parses arrays of plain values about twice as fast as keyed objects (and
 * builds the keyed ones in a few fixed shapes), which matters to a web
 * server that asks once per new connection.
 * Pure; unpacking never throws: it gives undefined for anything malformed.
 *
 * Every position has a name, the keyed form's (p0f's api.h names for the
 * host's: first_seen, total_conn, os_match_q, bad_sw, last_nat, ...): the
 * `*Pos` tables below say where each value sits, and the Packed* tuple
 * types label each element. Any record may be null where the keyed form
 * has null.
 */
import type { JsonConn, JsonHost, JsonHostTls, JsonSide, JsonTlsClient, JsonTlsHello, JsonTlsServer } from './json-types.js';

// ------------------------------------------------------------- the layout

/** A packed host record: [addr, ip_version, first_seen, ..., last_chg]. */
export const HostPos = {
  addr: 0,
  ip_version: 1,
  first_seen: 2,
  last_seen: 3,
  total_conn: 4,
  os: 5,
  os_match_q: 6,
  http: 7,
  bad_sw: 8,
  language: 9,
  distance: 10,
  link: 11,
  mtu: 12,
  uptime: 13,
  last_nat: 14,
  last_chg: 15,
  tls: 16,
} as const;
/** The host's os [name, flavor, class, fuzzy, generic] (its label is name + flavor). */
export const HostOsPos = { name: 0, flavor: 1, class: 2, fuzzy: 3, generic: 4 } as const;
/** The host's http [name, flavor]. */
export const HostHttpPos = { name: 0, flavor: 1 } as const;
/** The host's uptime [minutes, modulo_days]. */
export const HostUptimePos = { minutes: 0, modulo_days: 1 } as const;
/** The host's last TLS client [ja4, client, transport, sni, time]. */
export const HostTlsPos = { ja4: 0, client: 1, transport: 2, sni: 3, time: 4 } as const;
/** A TLS client label [family, name]. */
export const TlsClientPos = { family: 0, name: 1 } as const;

/** A packed conn record: the 4-tuple flattened, then the two sides. */
export const ConnPos = {
  ip_version: 0,
  cli_addr: 1,
  cli_port: 2,
  srv_addr: 3,
  srv_port: 4,
  first_seen: 5,
  last_seen: 6,
  encap: 7,
  sendsyn: 8,
  client: 9,
  server: 10,
} as const;
/** One side of a connection: [tcp, mtu, uptime, http, nat, tls]. */
export const SidePos = { tcp: 0, mtu: 1, uptime: 2, http: 3, nat: 4, tls: 5 } as const;
export const TcpPos = { label: 0, match: 1, dist: 2, dist_upper_bound: 3, quality: 4, params: 5, raw_sig: 6 } as const;
export const TcpMatchPos = { name: 0, flavor: 1, class: 2, userland: 3, generic: 4, fuzzy: 5 } as const;
export const MtuPos = { mtu: 0, link: 1 } as const;
export const SideUptimePos = { minutes: 0, modulo_days: 1, freq_hz: 2 } as const;
export const HttpPos = { label: 0, app: 1, language: 2, bad_sw: 3, params: 4, raw_sig: 5 } as const;
export const HttpAppPos = { name: 0, flavor: 1, generic: 2 } as const;
export const NatPos = { kind: 0, reasons: 1, time: 2 } as const;
/** The client side's tls (its ClientHello), eight values; the server side's (its ServerHello's choices), five. */
export const TlsHelloPos = { transport: 0, version: 1, ja4: 2, ja3: 3, sni: 4, alpn: 5, client: 6, after_retry: 7 } as const;
export const TlsServerPos = { transport: 0, version: 1, cipher: 2, alpn: 3, hello_retry_request: 4 } as const;

type Tcp = NonNullable<JsonSide['tcp']>;
type Http = NonNullable<JsonSide['http']>;
type Nat = NonNullable<JsonSide['nat']>;

export type PackedHost = [
  addr: string,
  ip_version: 4 | 6,
  first_seen: number,
  last_seen: number,
  total_conn: number,
  os: [name: string, flavor: string | null, cls: string | null, fuzzy: boolean, generic: boolean] | null,
  os_match_q: number,
  http: [name: string, flavor: string | null] | null,
  bad_sw: number,
  language: string | null,
  distance: number | null,
  link: string | null,
  mtu: number | null,
  uptime: [minutes: number, modulo_days: number] | null,
  last_nat: number | null,
  last_chg: number | null,
  tls: PackedHostTls | null,
];

type PackedTlsClient = [family: string, name: string];
export type PackedHostTls = [ja4: string, client: PackedTlsClient | null, transport: 'tcp' | 'quic', sni: string | null, time: number];
export type PackedTlsHello = [
  transport: 'tcp' | 'quic',
  version: string,
  ja4: string,
  ja3: string,
  sni: string | null,
  alpn: string[] | null,
  client: PackedTlsClient | null,
  after_retry: boolean,
];
export type PackedTlsServer = [transport: 'tcp' | 'quic', version: string, cipher: number, alpn: string | null, hello_retry_request: boolean];

export type PackedSide = [
  tcp:
    | [
        label: string | null,
        match: [name: string, flavor: string | null, cls: string | null, userland: boolean, generic: boolean, fuzzy: boolean] | null,
        dist: number,
        dist_upper_bound: boolean,
        quality: number,
        params: string | null,
        raw_sig: string | null,
      ]
    | null,
  mtu: [mtu: number, link: string | null] | null,
  uptime: [minutes: number, modulo_days: number, freq_hz: number] | null,
  http:
    | [
        label: string | null,
        app: [name: string, flavor: string | null, generic: boolean] | null,
        language: string | null,
        bad_sw: number,
        params: string | null,
        raw_sig: string | null,
      ]
    | null,
  nat: [kind: Nat['kind'], reasons: string[], time: number] | null,
  tls: PackedTlsHello | PackedTlsServer | null,
];

export type PackedConn = [
  ip_version: 4 | 6,
  cli_addr: string,
  cli_port: number,
  srv_addr: string,
  srv_port: number,
  first_seen: number,
  last_seen: number,
  encap: boolean,
  sendsyn: boolean,
  client: PackedSide,
  server: PackedSide,
];

// ---------------------------------------------------------------- packing

const label = (name: string, flavor: string | null): string => (flavor ? `${name} ${flavor}` : name);

// Array literals in the order of the *Pos tables (test/api/compact.test.ts
// checks each name's position): the fastest way to build them.
export function packHost(h: JsonHost): PackedHost {
  const os = h.os;
  return [
    h.addr,
    h.ip_version,
    h.first_seen,
    h.last_seen,
    h.total_conn,
    os ? [os.name, os.flavor, os.class, os.fuzzy, os.generic] : null,
    h.os_match_q,
    h.http ? [h.http.name, h.http.flavor] : null,
    h.bad_sw,
    h.language,
    h.distance,
    h.link,
    h.mtu,
    h.uptime ? [h.uptime.minutes, h.uptime.modulo_days] : null,
    h.last_nat,
    h.last_chg,
    h.tls ? [h.tls.ja4, packClient(h.tls.client), h.tls.transport, h.tls.sni, h.tls.time] : null,
  ];
}

function packClient(c: JsonTlsClient | null): PackedTlsClient | null {
  return c ? [c.family, c.name] : null;
}

function packTls(t: JsonTlsHello | JsonTlsServer | null | undefined): PackedTlsHello | PackedTlsServer | null {
  if (!t) return null;
  if ('ja4' in t) return [t.transport, t.version, t.ja4, t.ja3, t.sni, t.alpn, packClient(t.client), t.after_retry];
  return [t.transport, t.version, t.cipher, t.alpn, t.hello_retry_request];
}

export function packSide(s: JsonSide): PackedSide {
  const t = s.tcp;
  const m = t?.match;
  const w = s.http;
  const a = w?.app;
  return [
    t ? [t.label, m ? [m.name, m.flavor, m.class, m.userland, m.generic, m.fuzzy] : null, t.dist, t.dist_upper_bound, t.quality, t.params, t.raw_sig] : null,
    s.mtu ? [s.mtu.mtu, s.mtu.link] : null,
    s.uptime ? [s.uptime.minutes, s.uptime.modulo_days, s.uptime.freq_hz] : null,
    w ? [w.label, a ? [a.name, a.flavor, a.generic] : null, w.language, w.bad_sw, w.params, w.raw_sig] : null,
    s.nat ? [s.nat.kind, s.nat.reasons, s.nat.time] : null,
    packTls(s.tls),
  ];
}

export function packConn(c: JsonConn): PackedConn {
  return [c.ip_version, c.cli.addr, c.cli.port, c.srv.addr, c.srv.port, c.first_seen, c.last_seen, c.encap, c.sendsyn, packSide(c.client), packSide(c.server)];
}

// ------------------------------------------------------------- unpacking

/** Thrown inside unpacking only, caught at its entry points. */
class Malformed {}
const MALFORMED = new Malformed();

function arr(v: unknown, n: number): unknown[] {
  if (!Array.isArray(v) || v.length !== n) throw MALFORMED;
  return v;
}
function str(v: unknown): string {
  if (typeof v !== 'string') throw MALFORMED;
  return v;
}
function strN(v: unknown): string | null {
  return v === null ? null : str(v);
}
function num(v: unknown): number {
  if (typeof v !== 'number') throw MALFORMED;
  return v;
}
function numN(v: unknown): number | null {
  return v === null ? null : num(v);
}
function bool(v: unknown): boolean {
  if (typeof v !== 'boolean') throw MALFORMED;
  return v;
}
function ver(v: unknown): 4 | 6 {
  if (v !== 4 && v !== 6) throw MALFORMED;
  return v;
}

const HOST_LEN = 17;
const CONN_LEN = 11;
const SIDE_LEN = 6;

/** An array of `n` values, or of `n - 1` (a pof from before the last one, TLS, was added). */
function arrOld(v: unknown, n: number): unknown[] {
  if (!Array.isArray(v) || (v.length !== n && v.length !== n - 1)) throw MALFORMED;
  return v;
}
function transport(v: unknown): 'tcp' | 'quic' {
  if (v !== 'tcp' && v !== 'quic') throw MALFORMED;
  return v;
}
function tlsClient(v: unknown): JsonTlsClient | null {
  if (v === null) return null;
  const c = arr(v, 2);
  return { family: str(c[TlsClientPos.family]), name: str(c[TlsClientPos.name]) };
}
function strList(v: unknown): string[] | null {
  if (v === null) return null;
  if (!Array.isArray(v)) throw MALFORMED;
  return v.map(str);
}
function hostTls(v: unknown): JsonHostTls | null {
  if (v === null || v === undefined) return null;
  const t = arr(v, 5);
  const P = HostTlsPos;
  return { ja4: str(t[P.ja4]), client: tlsClient(t[P.client]), transport: transport(t[P.transport]), sni: strN(t[P.sni]), time: num(t[P.time]) };
}
function sideTls(v: unknown): JsonTlsHello | JsonTlsServer | null {
  if (v === null || v === undefined) return null;
  if (Array.isArray(v) && v.length === 5) {
    const P = TlsServerPos;
    return { transport: transport(v[P.transport]), version: str(v[P.version]), cipher: num(v[P.cipher]), alpn: strN(v[P.alpn]), hello_retry_request: bool(v[P.hello_retry_request]) };
  }
  const t = arr(v, 8);
  const P = TlsHelloPos;
  return {
    transport: transport(t[P.transport]),
    version: str(t[P.version]),
    ja4: str(t[P.ja4]),
    ja3: str(t[P.ja3]),
    sni: strN(t[P.sni]),
    alpn: strList(t[P.alpn]),
    client: tlsClient(t[P.client]),
    after_retry: bool(t[P.after_retry]),
  };
}

function host(v: unknown): JsonHost {
  const a = arrOld(v, HOST_LEN);
  const P = HostPos;
  let os: JsonHost['os'] = null;
  if (a[P.os] !== null) {
    const o = arr(a[P.os], 5);
    const name = str(o[HostOsPos.name]);
    const flavor = strN(o[HostOsPos.flavor]);
    os = { name, flavor, class: strN(o[HostOsPos.class]), label: label(name, flavor), fuzzy: bool(o[HostOsPos.fuzzy]), generic: bool(o[HostOsPos.generic]) };
  }
  let http: JsonHost['http'] = null;
  if (a[P.http] !== null) {
    const o = arr(a[P.http], 2);
    const name = str(o[HostHttpPos.name]);
    const flavor = strN(o[HostHttpPos.flavor]);
    http = { name, flavor, label: label(name, flavor) };
  }
  let uptime: JsonHost['uptime'] = null;
  if (a[P.uptime] !== null) {
    const o = arr(a[P.uptime], 2);
    uptime = { minutes: num(o[HostUptimePos.minutes]), modulo_days: num(o[HostUptimePos.modulo_days]) };
  }
  return {
    addr: str(a[P.addr]),
    ip_version: ver(a[P.ip_version]),
    first_seen: num(a[P.first_seen]),
    last_seen: num(a[P.last_seen]),
    total_conn: num(a[P.total_conn]),
    os,
    os_match_q: num(a[P.os_match_q]),
    http,
    bad_sw: num(a[P.bad_sw]),
    language: strN(a[P.language]),
    distance: numN(a[P.distance]),
    link: strN(a[P.link]),
    mtu: numN(a[P.mtu]),
    uptime,
    last_nat: numN(a[P.last_nat]),
    last_chg: numN(a[P.last_chg]),
    tls: hostTls(a[P.tls]),
  };
}

function side(v: unknown): JsonSide {
  const a = arrOld(v, SIDE_LEN);
  let tcp: JsonSide['tcp'] = null;
  if (a[SidePos.tcp] !== null) {
    const t = arr(a[SidePos.tcp], 7);
    let match: Tcp['match'] = null;
    if (t[TcpPos.match] !== null) {
      const m = arr(t[TcpPos.match], 6);
      const M = TcpMatchPos;
      match = { name: str(m[M.name]), flavor: strN(m[M.flavor]), class: strN(m[M.class]), userland: bool(m[M.userland]), generic: bool(m[M.generic]), fuzzy: bool(m[M.fuzzy]) };
    }
    const T = TcpPos;
    tcp = { label: strN(t[T.label]), match, dist: num(t[T.dist]), dist_upper_bound: bool(t[T.dist_upper_bound]), quality: num(t[T.quality]), params: strN(t[T.params]), raw_sig: strN(t[T.raw_sig]) };
  }
  let mtu: JsonSide['mtu'] = null;
  if (a[SidePos.mtu] !== null) {
    const m = arr(a[SidePos.mtu], 2);
    mtu = { mtu: num(m[MtuPos.mtu]), link: strN(m[MtuPos.link]) };
  }
  let uptime: JsonSide['uptime'] = null;
  if (a[SidePos.uptime] !== null) {
    const u = arr(a[SidePos.uptime], 3);
    const U = SideUptimePos;
    uptime = { minutes: num(u[U.minutes]), modulo_days: num(u[U.modulo_days]), freq_hz: num(u[U.freq_hz]) };
  }
  let http: JsonSide['http'] = null;
  if (a[SidePos.http] !== null) {
    const w = arr(a[SidePos.http], 6);
    let app: Http['app'] = null;
    if (w[HttpPos.app] !== null) {
      const p = arr(w[HttpPos.app], 3);
      app = { name: str(p[HttpAppPos.name]), flavor: strN(p[HttpAppPos.flavor]), generic: bool(p[HttpAppPos.generic]) };
    }
    const H = HttpPos;
    http = { label: strN(w[H.label]), app, language: strN(w[H.language]), bad_sw: num(w[H.bad_sw]), params: strN(w[H.params]), raw_sig: strN(w[H.raw_sig]) };
  }
  let nat: JsonSide['nat'] = null;
  if (a[SidePos.nat] !== null) {
    const n = arr(a[SidePos.nat], 3);
    const kind = n[NatPos.kind];
    if (kind !== 'ip sharing' && kind !== 'host change') throw MALFORMED;
    const reasons = n[NatPos.reasons];
    if (!Array.isArray(reasons)) throw MALFORMED;
    nat = { kind, reasons: reasons.map(str), time: num(n[NatPos.time]) };
  }
  return { tcp, mtu, uptime, http, nat, tls: sideTls(a[SidePos.tls]) };
}

function conn(v: unknown): JsonConn {
  const a = arr(v, CONN_LEN);
  const P = ConnPos;
  return {
    ip_version: ver(a[P.ip_version]),
    cli: { addr: str(a[P.cli_addr]), port: num(a[P.cli_port]) },
    srv: { addr: str(a[P.srv_addr]), port: num(a[P.srv_port]) },
    first_seen: num(a[P.first_seen]),
    last_seen: num(a[P.last_seen]),
    encap: bool(a[P.encap]),
    sendsyn: bool(a[P.sendsyn]),
    client: side(a[P.client]),
    server: side(a[P.server]),
  };
}

function unpack<T>(v: unknown, f: (v: unknown) => T): T | null | undefined {
  if (v === null) return null;
  try {
    return f(v);
  } catch (e) {
    if (e === MALFORMED) return undefined;
    throw e;
  }
}

/** A packed host record (or null) as the keyed form; undefined when malformed. */
export function unpackHost(v: unknown): JsonHost | null | undefined {
  return unpack(v, host);
}

/** A packed conn record (or null) as the keyed form; undefined when malformed. */
export function unpackConn(v: unknown): JsonConn | null | undefined {
  return unpack(v, conn);
}
