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
import type { JsonConn, JsonHost, JsonSide } from './json-types.js';

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
} as const;
/** The host's os [name, flavor, class, fuzzy, generic] (its label is name + flavor). */
export const HostOsPos = { name: 0, flavor: 1, class: 2, fuzzy: 3, generic: 4 } as const;
/** The host's http [name, flavor]. */
export const HostHttpPos = { name: 0, flavor: 1 } as const;
/** The host's uptime [minutes, modulo_days]. */
export const HostUptimePos = { minutes: 0, modulo_days: 1 } as const;

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
/** One side of a connection: [tcp, mtu, uptime, http, nat]. */
export const SidePos = { tcp: 0, mtu: 1, uptime: 2, http: 3, nat: 4 } as const;
export const TcpPos = { label: 0, match: 1, dist: 2, dist_upper_bound: 3, quality: 4, params: 5, raw_sig: 6 } as const;
export const TcpMatchPos = { name: 0, flavor: 1, class: 2, userland: 3, generic: 4, fuzzy: 5 } as const;
export const MtuPos = { mtu: 0, link: 1 } as const;
export const SideUptimePos = { minutes: 0, modulo_days: 1, freq_hz: 2 } as const;
export const HttpPos = { label: 0, app: 1, language: 2, bad_sw: 3, params: 4, raw_sig: 5 } as const;
export const HttpAppPos = { name: 0, flavor: 1, generic: 2 } as const;
export const NatPos = { kind: 0, reasons: 1, time: 2 } as const;

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
];

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
  ];
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

const HOST_LEN = 16;
const CONN_LEN = 11;
const SIDE_LEN = 5;

function host(v: unknown): JsonHost {
  const a = arr(v, HOST_LEN);
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
  };
}

function side(v: unknown): JsonSide {
  const a = arr(v, SIDE_LEN);
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
  return { tcp, mtu, uptime, http, nat };
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
