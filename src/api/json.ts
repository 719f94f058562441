/**
 * JSON lines query protocol: one JSON object per line in, one per line out,
 * answered in order. Pure: parsing and shaping only. See README.md beside
 * this file for the documented shapes and examples.
 */
import { canonicalAddress } from '../net/addr.js';
import { ConnPos, packConn, packHost, type PackedSide } from './compact.js';
import type { ConnVerdict, HostTlsVerdict, SideVerdict, TcpVerdict, TlsHelloVerdict, TlsServerVerdict } from '../state/conn-verdicts.js';
import {
  isWatchUntil,
  type JsonAnswerObject,
  type JsonConn,
  type JsonHost,
  type JsonHostTls,
  type JsonSide,
  type JsonTlsHello,
  type JsonTlsServer,
  type WatchUntil,
  type WithId,
} from './json-types.js';
import type { HostView, PofLookup } from './types.js';

/** Longest id string echoed back. */
export const MAX_JSON_ID = 256;

export type JsonQuery =
  | { op: 'host'; id?: string | number; addr: string; ver: 4 | 6; compact?: boolean }
  | { op: 'conn'; id?: string | number; cli: string; cliPort: number; srv: string; srvPort: number; ver: 4 | 6; compact?: boolean }
  | { op: 'status'; id?: string | number }
  | { op: 'watch'; id?: string | number; srvPort: number; until?: WatchUntil };

export type JsonQueryResult = { ok: true; query: JsonQuery } | { ok: false; error: string; id?: string | number };

const KNOWN = new Set(['id', 'op', 'addr', 'cli', 'cli_port', 'srv', 'srv_port', 'compact', 'until']);

/** Server ports one client may watch. */
export const MAX_WATCHED_PORTS = 64;

function canonical(v: unknown, name: string): { addr: string; ver: 4 | 6 } | string {
  if (typeof v !== 'string') return `"${name}" must be a string`;
  return (v.length <= 64 && canonicalAddress(v)) || `"${name}" is not an IP address`;
}

function port(v: unknown, name: string): number | string {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 65535) return `"${name}" must be an integer 0..65535`;
  return v;
}

/** Parses one line. Never throws. */
export function parseJsonQuery(line: string): JsonQueryResult {
  let o: unknown;
  try {
    o = JSON.parse(line);
  } catch {
    return { ok: false, error: 'not valid JSON' };
  }
  if (typeof o !== 'object' || o === null || Array.isArray(o)) return { ok: false, error: 'a query is a JSON object' };
  const q = o as Record<string, unknown>;
  const has = (k: string): boolean => Object.prototype.hasOwnProperty.call(q, k);
  let id: string | number | undefined;
  if (has('id')) {
    const v = q.id;
    if ((typeof v === 'string' && v.length <= MAX_JSON_ID) || (typeof v === 'number' && Number.isFinite(v))) id = v;
    else return { ok: false, error: `"id" must be a number or a string of at most ${MAX_JSON_ID} characters` };
  }
  const bad = (error: string): JsonQueryResult => (id === undefined ? { ok: false, error } : { ok: false, error, id });
  for (const k of Object.keys(q)) if (!KNOWN.has(k)) return bad(`unknown field "${k.slice(0, 64)}"`);
  if (has('compact') && typeof q.compact !== 'boolean') return bad('"compact" must be true or false');
  if (has('until') && q.op !== 'watch') return bad('"until" goes with "op":"watch" only');
  // Only when asked for, so that answers to other queries keep their shape.
  const compact = q.compact === true ? { compact: true } : {};
  let op = q.op;
  if (op === undefined) op = has('addr') ? 'host' : has('cli') ? 'conn' : undefined;
  const withId = <T extends JsonQuery>(x: T): JsonQueryResult => ({ ok: true, query: id === undefined ? x : { ...x, id } });
  switch (op) {
    case 'host': {
      if (has('cli') || has('srv') || has('cli_port') || has('srv_port')) return bad('give either "addr" or "cli"/"srv", not both');
      const a = canonical(q.addr, 'addr');
      if (typeof a === 'string') return bad(a);
      return withId({ op: 'host', addr: a.addr, ver: a.ver, ...compact });
    }
    case 'conn': {
      if (has('addr')) return bad('give either "addr" or "cli"/"srv", not both');
      const c = canonical(q.cli, 'cli');
      if (typeof c === 'string') return bad(c);
      const s = canonical(q.srv, 'srv');
      if (typeof s === 'string') return bad(s);
      if (c.ver !== s.ver) return bad('"cli" and "srv" must be of the same IP version');
      const cp = port(q.cli_port, 'cli_port');
      if (typeof cp === 'string') return bad(cp);
      const sp = port(q.srv_port, 'srv_port');
      if (typeof sp === 'string') return bad(sp);
      return withId({ op: 'conn', cli: c.addr, cliPort: cp, srv: s.addr, srvPort: sp, ver: c.ver, ...compact });
    }
    case 'status':
      if (Object.keys(q).some((k) => k !== 'op' && k !== 'id')) return bad('"status" takes no other fields');
      return withId({ op: 'status' });
    case 'watch': {
      if (Object.keys(q).some((k) => k !== 'op' && k !== 'id' && k !== 'srv_port' && k !== 'until')) return bad('"watch" takes only "srv_port" and "until"');
      const sp = port(q.srv_port, 'srv_port');
      if (typeof sp === 'string') return bad(sp);
      if (!has('until')) return withId({ op: 'watch', srvPort: sp });
      if (!isWatchUntil(q.until)) return bad('"until" must be "syn" or "http"');
      return withId({ op: 'watch', srvPort: sp, until: q.until });
    }
    case undefined:
      return bad('give "addr", or "cli", "cli_port", "srv", "srv_port", or "op":"status"');
    default:
      return bad('"op" must be "host", "conn", "status" or "watch"');
  }
}

const nz = (n: number): number | null => (n ? n : null);

/** A host's last TLS client in the answers' shape. */
export function hostTlsToJson(t: HostTlsVerdict | undefined): JsonHostTls | null {
  if (t === undefined) return null;
  return { ja4: t.ja4, client: t.client ? { family: t.client.family, name: t.client.name } : null, transport: t.transport, sni: t.sni, time: t.tsSec };
}

/** A side's TLS verdict in the answers' shape. */
export function tlsToJson(t: TlsHelloVerdict | TlsServerVerdict | null | undefined): JsonTlsHello | JsonTlsServer | null {
  if (!t) return null;
  if ('ja4' in t) {
    const c = t.client;
    return { transport: t.transport, version: t.version, ja4: t.ja4, ja3: t.ja3, sni: t.sni, alpn: t.alpn, client: c ? { family: c.family, name: c.name } : null, after_retry: t.afterRetry };
  }
  return { transport: t.transport, version: t.version, cipher: t.cipher, alpn: t.alpn, hello_retry_request: t.helloRetryRequest };
}

/** `tls`: the host's last TLS client, when the lookup knows it. */
export function hostToJson(h: HostView, tls?: HostTlsVerdict): JsonHost {
  const os = h.lastOs;
  return {
    addr: h.addr,
    ip_version: h.ipVer,
    first_seen: h.firstSeen,
    last_seen: h.lastSeen,
    total_conn: h.totalConn,
    os: os
      ? {
          name: os.name,
          flavor: os.flavor,
          class: os.cls || null,
          label: os.flavor ? `${os.name} ${os.flavor}` : os.name,
          fuzzy: (h.lastQuality & 1) !== 0,
          generic: (h.lastQuality & 2) !== 0,
        }
      : null,
    os_match_q: h.lastQuality,
    http: h.httpName !== null ? { name: h.httpName, flavor: h.httpFlavor, label: h.httpFlavor ? `${h.httpName} ${h.httpFlavor}` : h.httpName } : null,
    bad_sw: h.badSw,
    language: h.language,
    distance: h.distance === -1 ? null : h.distance,
    link: h.linkType,
    mtu: h.mtu ? h.mtu : null,
    uptime: h.lastUpMin === -1 ? null : { minutes: h.lastUpMin, modulo_days: h.upModDays },
    last_nat: nz(h.lastNat),
    last_chg: nz(h.lastChg),
    tls: hostTlsToJson(tls),
  };
}

/** A TCP verdict in the answers' shape (a connection side's "tcp"). */
export function tcpToJson(t: TcpVerdict): NonNullable<JsonSide['tcp']> {
  return {
    label: t.label,
    match: t.match
      ? {
          name: t.match.name,
          flavor: t.match.flavor,
          class: t.match.cls,
          userland: t.match.userland,
          generic: t.match.generic,
          fuzzy: t.match.fuzzy,
        }
      : null,
    dist: t.dist,
    dist_upper_bound: t.distUpperBound,
    quality: t.quality,
    params: t.params,
    raw_sig: t.rawSig,
  };
}

function sideToJson(s: SideVerdict): JsonSide {
  const t = s.tcp;
  const w = s.http;
  return {
    tcp: t ? tcpToJson(t) : null,
    mtu: s.mtu ? { mtu: s.mtu.mtu, link: s.mtu.link } : null,
    uptime: s.uptime ? { minutes: s.uptime.minutes, modulo_days: s.uptime.moduloDays, freq_hz: s.uptime.freqHz } : null,
    http: w
      ? {
          label: w.label,
          app: w.app ? { name: w.app.name, flavor: w.app.flavor, generic: w.app.generic } : null,
          language: w.language,
          bad_sw: w.badSw,
          params: w.params,
          raw_sig: w.rawSig,
        }
      : null,
    nat: s.nat ? { kind: s.nat.kind, reasons: s.nat.reasons, time: s.nat.tsSec } : null,
    tls: tlsToJson(s.tls),
  };
}

export function connToJson(v: ConnVerdict): JsonConn {
  return {
    ip_version: v.ipVer,
    cli: { addr: v.cli, port: v.cliPort },
    srv: { addr: v.srv, port: v.srvPort },
    first_seen: v.firstSeen,
    last_seen: v.lastSeen,
    encap: v.encap,
    sendsyn: v.sendsyn,
    client: sideToJson(v.client),
    server: sideToJson(v.server),
  };
}

export interface JsonAnswer {
  /** The answer line, with its trailing newline. */
  text: string;
  status: 'ok' | 'no match' | 'bad query';
  /** A watch query: the server port to tell this client about (the server keeps the list), and until when. */
  watch?: number;
  until?: WatchUntil;
}

/** Answers one query line. Never throws on the line's content. */
export function answerJsonLine(line: string, lookup: PofLookup, status: () => object): JsonAnswer {
  const r = parseJsonQuery(line);
  // The compact form (compact.ts) keeps the keys of the answer; host and
  // conn records are arrays.
  let out: JsonAnswerObject | { status: 'ok'; host: unknown[] | null; conn?: unknown[] | null };
  if (!r.ok) {
    out = r.id === undefined ? { status: 'bad query', error: r.error } : { id: r.id, status: 'bad query', error: r.error };
  } else {
    const q = r.query;
    const head: WithId = q.id === undefined ? {} : { id: q.id };
    switch (q.op) {
      case 'host': {
        const h = lookup.host(q.addr);
        if (!h) out = { ...head, status: 'no match' };
        else {
          const j = hostToJson(h, lookup.hostTls?.(q.addr));
          out = q.compact ? { ...head, status: 'ok', host: packHost(j) } : { ...head, status: 'ok', host: j };
        }
        break;
      }
      case 'conn': {
        const v = lookup.connection(q.cli, q.cliPort, q.srv, q.srvPort);
        const h = lookup.host(q.cli);
        if (!v && !h) out = { ...head, status: 'no match' };
        else {
          const j = h ? hostToJson(h, lookup.hostTls?.(q.cli)) : null;
          if (q.compact) out = { ...head, status: 'ok', host: j ? packHost(j) : null, conn: v ? packConn(connToJson(v)) : null };
          else out = { ...head, status: 'ok', host: j, conn: v ? connToJson(v) : null };
        }
        break;
      }
      case 'status':
        out = { ...head, status: 'ok', server: status() };
        break;
      case 'watch':
        return { text: JSON.stringify({ ...head, status: 'ok' }) + '\n', status: 'ok', watch: q.srvPort, ...(q.until ? { until: q.until } : {}) };
      default: {
        const never: never = q;
        void never;
        out = { status: 'bad query', error: 'unknown query' };
      }
    }
  }
  return { text: JSON.stringify(out) + '\n', status: out.status };
}

/** A side with nothing known, packed. */
const EMPTY_SIDE: PackedSide = [null, null, null, null, null, null];

/**
 * The line a watching client gets when a connection to a watched port gets
 * (or changes) its verdict: {"event":"conn","host":[...]|null,"conn":[...]},
 * both in the compact form. `clientOnly` leaves the server's side empty:
 * a client that watches with "until" is the server (it waits for what its
 * clients' packets say) and has no use for its own SYN+ACK or response.
 */
export function connEventLine(host: HostView | undefined, conn: ConnVerdict, clientOnly = false): string {
  const packed = packConn(connToJson(conn));
  if (clientOnly) packed[ConnPos.server] = EMPTY_SIDE;
  return `{"event":"conn","host":${host ? JSON.stringify(packHost(hostToJson(host))) : 'null'},"conn":${JSON.stringify(packed)}}\n`;
}

/** Convenience for error answers the server produces itself (oversized lines). */
export function jsonError(error: string): string {
  return JSON.stringify({ status: 'bad query', error }) + '\n';
}
