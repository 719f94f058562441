/**
 * What the web side tells an application about one client connection: the
 * variables mod_pof set for Apache (pof_genre, pof_details, ...) and pof's
 * richer fields, built from a connection verdict and a host record in the
 * query API's JSON shapes (whichever source they came from). Pure.
 *
 * Connection facts win over host facts: the SYN of this very connection
 * says more than the last SYN seen from its address (NAT, several clients
 * behind one address).
 */
import type { JsonConn, JsonHost, JsonSide } from '../api/json-types.js';
import type { PofH2, PofTls } from './tls-facts.js';

/** The connection, as the server socket saw it; addresses in pof's canonical text. */
export interface ConnTuple {
  ipVer: 4 | 6;
  cli: string;
  cliPort: number;
  srv: string;
  srvPort: number;
}

/** mod_pof's environment variables, in its order. */
export const POF_VAR_NAMES = [
  'pof_type',
  'pof_genre',
  'pof_details',
  'pof_distance',
  'pof_link',
  'pof_tos',
  'pof_uptime',
  'pof_score',
  'pof_mflags',
  'pof_fw',
  'pof_nat',
  'pof_err',
] as const;

export type PofVarName = (typeof POF_VAR_NAMES)[number];

/**
 * mod_pof's variables as strings ('' = nothing known):
 *   pof_type     '0' found, '2' no match, '' when pof could not be asked
 *   pof_genre    OS (or userland tool) name, e.g. 'Linux'
 *   pof_details  its flavor, e.g. '3.11 and newer'
 *   pof_distance hops
 *   pof_link     link type from the MTU, e.g. 'Ethernet or modem'
 *   pof_uptime   hours
 *   pof_nat      '1' when IP sharing was seen for the client
 *   pof_tos, pof_score, pof_mflags, pof_fw   p0f 2 fields pof does not
 *                produce: always ''
 *   pof_err      why there is no (complete) answer, '' when all went well
 */
export type PofVars = Record<PofVarName, string>;

/** Where the facts came from. */
export type PofVia = 'saved-syn' | 'daemon' | 'engine' | 'store';

export interface PofOs {
  name: string;
  flavor: string | null;
  /** 'Linux 3.11 and newer'. */
  label: string;
  /** 'unix', 'win', ...; null for userland tools. */
  class: string | null;
  fuzzy: boolean;
  generic: boolean;
  /** A userland tool (nmap, ...) rather than an OS matched the SYN. */
  userland: boolean;
}

export interface PofResult {
  /** Something is known about the connection or its client. */
  found: boolean;
  /** Why nothing (or only part) is known; null when all went well. */
  err: string | null;
  conn: ConnTuple | null;
  via: PofVia[];
  os: PofOs | null;
  /** p0f's os_match_q: 0 exact, 1 fuzzy, 2 generic, 3 both. */
  matchQuality: number;
  distance: number | null;
  /** The distance is an upper bound (random-TTL tools). */
  distanceUpperBound: boolean;
  mtu: number | null;
  link: string | null;
  uptime: { minutes: number; moduloDays: number } | null;
  /**
   * HTTP client software from the request headers: on a connection pof
   * decrypts (pofTls), its own first request's; else what pof saw in clear.
   */
  http: { name: string; flavor: string | null; label: string } | null;
  /** The decrypted first request's signature in p0f's raw_sig syntax (`2:` for HTTP/2); null when pof did not decrypt it. */
  httpSig: string | null;
  /** The ClientHello's fingerprints, on a connection pof decrypts (pofTls); else null. */
  tls: PofTls | null;
  /** The HTTP/2 fingerprint, on an HTTP/2 connection pof decrypts; else null. */
  h2: PofH2 | null;
  /** p0f's bad_sw: 0 fine, 1 the OS differs from the User-Agent's, 2 the User-Agent is fake. */
  badSw: number;
  uaMismatch: boolean;
  language: string | null;
  /** IP sharing (NAT, proxy) was seen for the client address. */
  nat: boolean;
  /** Unix seconds (packet time) of the last IP sharing / OS change seen; null = never. */
  lastNat: number | null;
  lastChg: number | null;
  firstSeen: number | null;
  lastSeen: number | null;
  totalConn: number | null;
  /** The SYN's signature in p0f syntax, and p0f's params. */
  rawSig: string | null;
  params: string | null;
  vars: PofVars;
}

/** What a source answers about one connection (the JSON API's shapes). */
export interface PofAnswer {
  host: JsonHost | null;
  conn: JsonConn | null;
}

const EMPTY_VARS: PofVars = Object.freeze({
  pof_type: '',
  pof_genre: '',
  pof_details: '',
  pof_distance: '',
  pof_link: '',
  pof_tos: '',
  pof_uptime: '',
  pof_score: '',
  pof_mflags: '',
  pof_fw: '',
  pof_nat: '',
  pof_err: '',
}) as PofVars;

function base(conn: ConnTuple | null, err: string | null, via: PofVia[]): PofResult {
  return {
    found: false,
    err,
    conn,
    via,
    os: null,
    matchQuality: 0,
    distance: null,
    distanceUpperBound: false,
    mtu: null,
    link: null,
    uptime: null,
    http: null,
    httpSig: null,
    tls: null,
    h2: null,
    badSw: 0,
    uaMismatch: false,
    language: null,
    nat: false,
    lastNat: null,
    lastChg: null,
    firstSeen: null,
    lastSeen: null,
    totalConn: null,
    rawSig: null,
    params: null,
    vars: { ...EMPTY_VARS, pof_err: err ?? '' },
  };
}

/** A result that says only why nothing is known (pof could not be asked). */
export function errorResult(conn: ConnTuple | null, err: string, via: PofVia[] = []): PofResult {
  return base(conn, err, via);
}

function clientSide(c: JsonConn | null): JsonSide | null {
  return c ? c.client : null;
}

/**
 * Merges what is known into one result. `answer` null (or empty) means no
 * match; `err` says why the answer may be missing or incomplete.
 */
export function buildResult(conn: ConnTuple | null, answer: PofAnswer | null, via: PofVia[], err: string | null = null): PofResult {
  const h = answer?.host ?? null;
  const side = clientSide(answer?.conn ?? null);
  if (!h && !side) {
    const r = base(conn, err ?? 'no match', via);
    if (!err) r.vars.pof_type = '2';
    return r;
  }
  const r = base(conn, err, via);
  r.found = true;
  const tcp = side?.tcp ?? null;
  if (tcp && tcp.match) {
    const m = tcp.match;
    r.os = {
      name: m.name,
      flavor: m.flavor,
      label: m.flavor ? `${m.name} ${m.flavor}` : m.name,
      class: m.class,
      fuzzy: m.fuzzy,
      generic: m.generic,
      userland: m.userland,
    };
    r.matchQuality = tcp.quality;
  } else if (h?.os) {
    r.os = { ...h.os, userland: false };
    r.matchQuality = h.os_match_q;
  }
  if (tcp) {
    r.distance = tcp.dist;
    r.distanceUpperBound = tcp.dist_upper_bound;
    r.rawSig = tcp.raw_sig;
    r.params = tcp.params;
  } else if (h && h.distance !== null) {
    r.distance = h.distance;
  }
  if (side?.mtu) {
    r.mtu = side.mtu.mtu;
    r.link = side.mtu.link;
  } else if (h) {
    r.mtu = h.mtu;
    r.link = h.link;
  }
  if (side?.uptime) r.uptime = { minutes: side.uptime.minutes, moduloDays: side.uptime.modulo_days };
  else if (h?.uptime) r.uptime = { minutes: h.uptime.minutes, moduloDays: h.uptime.modulo_days };
  const http = side?.http ?? null;
  if (http?.app) {
    const a = http.app;
    r.http = { name: a.name, flavor: a.flavor, label: a.flavor ? `${a.name} ${a.flavor}` : a.name };
  } else if (h?.http) {
    r.http = { ...h.http };
  }
  r.badSw = http ? http.bad_sw : (h?.bad_sw ?? 0);
  r.uaMismatch = r.badSw > 0;
  r.language = http?.language ?? h?.language ?? null;
  if (h) {
    r.lastNat = h.last_nat;
    r.lastChg = h.last_chg;
    r.firstSeen = h.first_seen;
    r.lastSeen = h.last_seen;
    r.totalConn = h.total_conn;
  } else if (answer?.conn) {
    r.firstSeen = answer.conn.first_seen;
    r.lastSeen = answer.conn.last_seen;
  }
  r.nat = side?.nat?.kind === 'ip sharing' || r.lastNat !== null;

  const v = r.vars;
  v.pof_type = '0';
  if (r.os) {
    v.pof_genre = r.os.name;
    v.pof_details = r.os.flavor ?? '';
  }
  if (r.distance !== null) v.pof_distance = r.distanceUpperBound ? `<=${r.distance}` : String(r.distance);
  v.pof_link = r.link ?? '';
  if (r.uptime) v.pof_uptime = String(Math.floor(r.uptime.minutes / 60));
  v.pof_nat = r.nat ? '1' : '';
  return r;
}

const kShape = Symbol('pof result shape');
type Shaped = PofResult & { [kShape]?: PofResult };

/**
 * `r` for another connection whose answer is the same (on the saved-SYN +
 * host route, a client address's connections alike in their SYN): with
 * its own conn, vars and via, the rest shared, as a connection's
 * keep-alive requests already share one result.
 */
export function resultFor(r: PofResult, conn: ConnTuple): PofResult {
  const copy: Shaped = { ...r, conn, vars: { ...r.vars }, via: [...r.via] };
  // Out of sight (console.log, deepEqual, spreads) as pof's business.
  Object.defineProperty(copy, kShape, { value: resultShape(r) });
  return copy;
}

/**
 * What results made by resultFor() were copied from (else the result
 * itself): anything derived from a result but for its conn (the proxy's
 * X-Pof-* header list) can be made once per shape.
 */
export function resultShape(r: PofResult): PofResult {
  return (r as Shaped)[kShape] ?? r;
}

/**
 * pof's own variables beside mod_pof's, usable wherever the mod_pof ones
 * are (%{pof_os}e in a LogFormat, X-Pof-Os from the proxy, morgan, pino):
 *   pof_os          'Linux 3.11 and newer'
 *   pof_quality     p0f's os_match_q: 0 exact, 1 fuzzy, 2 generic, 3 both
 *   pof_app         HTTP client software, 'Firefox 10.x or newer'
 *   pof_ua_mismatch '1' the OS differs from the User-Agent's, '2' the User-Agent is fake
 *   pof_language    from Accept-Language
 *   pof_mtu         MTU from the SYN's MSS
 *   pof_first_seen, pof_last_seen  unix seconds
 *   pof_raw_sig     the SYN's signature in p0f syntax
 *   pof_via         where the facts came from: 'saved-syn', 'daemon', 'engine', 'store' (joined by '+')
 * and, on a connection pof decrypts (pofTls: the middleware on an https or
 * http2 server, `pof proxy --tls-cert`):
 *   pof_ja4         JA4 of the ClientHello, 't13d3112h2_e8f1e7e78f70_b26ce05bbdd6'
 *   pof_ja4_r       JA4_r, the same lists unhashed
 *   pof_ja3         JA3, 32 hex digits
 *   pof_tls_client  the TLS client (signatures/tls.fp), 'curl 7.x or 8.x (OpenSSL 1.1.1 or 3.x)'
 *   pof_h2          the HTTP/2 fingerprint, '3:100;4:33554432;2:0|33488897|0|m,p,s,a'
 */
export const POF_EXTRA_NAMES = [
  'pof_os',
  'pof_quality',
  'pof_app',
  'pof_ua_mismatch',
  'pof_language',
  'pof_mtu',
  'pof_first_seen',
  'pof_last_seen',
  'pof_raw_sig',
  'pof_via',
  'pof_ja4',
  'pof_ja4_r',
  'pof_ja3',
  'pof_tls_client',
  'pof_h2',
] as const;

export type PofExtraName = (typeof POF_EXTRA_NAMES)[number];
export type PofValueName = PofVarName | PofExtraName;

const VAR_SET: ReadonlySet<string> = new Set(POF_VAR_NAMES);
const EXTRA_SET: ReadonlySet<string> = new Set(POF_EXTRA_NAMES);

/** True for the names pofValue() knows. */
export function isPofValueName(name: string): name is PofValueName {
  return VAR_SET.has(name) || EXTRA_SET.has(name);
}

/** One variable as text ('' = unknown, or a mod_pof variable left out by `fields`). */
export function pofValue(r: PofResult | undefined | null, name: PofValueName): string {
  if (!r) return '';
  if (VAR_SET.has(name)) return r.vars[name as PofVarName] ?? '';
  switch (name as PofExtraName) {
    case 'pof_os':
      return r.os?.label ?? '';
    case 'pof_quality':
      return r.found && r.os ? String(r.matchQuality) : '';
    case 'pof_app':
      return r.http?.label ?? '';
    case 'pof_ua_mismatch':
      return r.badSw ? String(r.badSw) : '';
    case 'pof_language':
      return r.language ?? '';
    case 'pof_mtu':
      return r.mtu ? String(r.mtu) : '';
    case 'pof_first_seen':
      return r.firstSeen !== null ? String(r.firstSeen) : '';
    case 'pof_last_seen':
      return r.lastSeen !== null ? String(r.lastSeen) : '';
    case 'pof_raw_sig':
      return r.rawSig ?? '';
    case 'pof_via':
      return r.via.join('+');
    case 'pof_ja4':
      return r.tls?.ja4 ?? '';
    case 'pof_ja4_r':
      return r.tls?.ja4_r ?? '';
    case 'pof_ja3':
      return r.tls?.ja3 ?? '';
    case 'pof_tls_client':
      return r.tls?.client ?? '';
    case 'pof_h2':
      return r.h2?.fingerprint ?? '';
    default:
      return '';
  }
}
