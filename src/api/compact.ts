/**
 * The compact form of JSON answers ({"compact":true} in a query): the same
 * host and conn records, each object written as an array of its values in
 * a fixed order, and labels that are only name + flavor left out. A client
 * parses arrays of plain values about twice as fast as keyed objects (and
 * builds the keyed ones in a few fixed shapes), which matters to a web
 * server that asks once per new connection.
 * Pure; unpacking never throws: it gives undefined for anything malformed.
 *
 *   host  [addr, ip_version, first_seen, last_seen, total_conn, os,
 *          os_match_q, http, bad_sw, language, distance, link, mtu, uptime,
 *          last_nat, last_chg]
 *         os [name, flavor, class, fuzzy, generic]   http [name, flavor]
 *         uptime [minutes, modulo_days]
 *   conn  [ip_version, cli addr, cli port, srv addr, srv port, first_seen,
 *          last_seen, encap, sendsyn, client side, server side]
 *   side  [tcp, mtu, uptime, http, nat]
 *         tcp [label, match, dist, dist_upper_bound, quality, params, raw_sig]
 *         match [name, flavor, class, userland, generic, fuzzy]
 *         mtu [mtu, link]   uptime [minutes, modulo_days, freq_hz]
 *         http [label, app, language, bad_sw, params, raw_sig]
 *         app [name, flavor, generic]   nat [kind, reasons, time]
 *
 * Any record may be null where the keyed form has null.
 */
import type { JsonConn, JsonHost, JsonSide } from './json-types.js';

const label = (name: string, flavor: string | null): string => (flavor ? `${name} ${flavor}` : name);

export function packHost(h: JsonHost): unknown[] {
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

function packSide(s: JsonSide): unknown[] {
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

export function packConn(c: JsonConn): unknown[] {
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

function host(v: unknown): JsonHost {
  const a = arr(v, 16);
  let os: JsonHost['os'] = null;
  if (a[5] !== null) {
    const o = arr(a[5], 5);
    const name = str(o[0]);
    const flavor = strN(o[1]);
    os = { name, flavor, class: strN(o[2]), label: label(name, flavor), fuzzy: bool(o[3]), generic: bool(o[4]) };
  }
  let http: JsonHost['http'] = null;
  if (a[7] !== null) {
    const o = arr(a[7], 2);
    const name = str(o[0]);
    const flavor = strN(o[1]);
    http = { name, flavor, label: label(name, flavor) };
  }
  let uptime: JsonHost['uptime'] = null;
  if (a[13] !== null) {
    const o = arr(a[13], 2);
    uptime = { minutes: num(o[0]), modulo_days: num(o[1]) };
  }
  return {
    addr: str(a[0]),
    ip_version: ver(a[1]),
    first_seen: num(a[2]),
    last_seen: num(a[3]),
    total_conn: num(a[4]),
    os,
    os_match_q: num(a[6]),
    http,
    bad_sw: num(a[8]),
    language: strN(a[9]),
    distance: numN(a[10]),
    link: strN(a[11]),
    mtu: numN(a[12]),
    uptime,
    last_nat: numN(a[14]),
    last_chg: numN(a[15]),
  };
}

function side(v: unknown): JsonSide {
  const a = arr(v, 5);
  let tcp: JsonSide['tcp'] = null;
  if (a[0] !== null) {
    const t = arr(a[0], 7);
    let match: NonNullable<JsonSide['tcp']>['match'] = null;
    if (t[1] !== null) {
      const m = arr(t[1], 6);
      match = { name: str(m[0]), flavor: strN(m[1]), class: strN(m[2]), userland: bool(m[3]), generic: bool(m[4]), fuzzy: bool(m[5]) };
    }
    tcp = { label: strN(t[0]), match, dist: num(t[2]), dist_upper_bound: bool(t[3]), quality: num(t[4]), params: strN(t[5]), raw_sig: strN(t[6]) };
  }
  let mtu: JsonSide['mtu'] = null;
  if (a[1] !== null) {
    const m = arr(a[1], 2);
    mtu = { mtu: num(m[0]), link: strN(m[1]) };
  }
  let uptime: JsonSide['uptime'] = null;
  if (a[2] !== null) {
    const u = arr(a[2], 3);
    uptime = { minutes: num(u[0]), modulo_days: num(u[1]), freq_hz: num(u[2]) };
  }
  let http: JsonSide['http'] = null;
  if (a[3] !== null) {
    const w = arr(a[3], 6);
    let app: NonNullable<JsonSide['http']>['app'] = null;
    if (w[1] !== null) {
      const p = arr(w[1], 3);
      app = { name: str(p[0]), flavor: strN(p[1]), generic: bool(p[2]) };
    }
    http = { label: strN(w[0]), app, language: strN(w[2]), bad_sw: num(w[3]), params: strN(w[4]), raw_sig: strN(w[5]) };
  }
  let nat: JsonSide['nat'] = null;
  if (a[4] !== null) {
    const n = arr(a[4], 3);
    const kind = n[0];
    if (kind !== 'ip sharing' && kind !== 'host change') throw MALFORMED;
    if (!Array.isArray(n[1])) throw MALFORMED;
    nat = { kind, reasons: n[1].map(str), time: num(n[2]) };
  }
  return { tcp, mtu, uptime, http, nat };
}

function conn(v: unknown): JsonConn {
  const a = arr(v, 11);
  return {
    ip_version: ver(a[0]),
    cli: { addr: str(a[1]), port: num(a[2]) },
    srv: { addr: str(a[3]), port: num(a[4]) },
    first_seen: num(a[5]),
    last_seen: num(a[6]),
    encap: bool(a[7]),
    sendsyn: bool(a[8]),
    client: side(a[9]),
    server: side(a[10]),
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
