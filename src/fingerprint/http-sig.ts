/**
 * HTTP signatures as p0f 3.09b matches them: the header lists it treats
 * specially, the compiled [http:request] / [http:response] sets, and the
 * matcher (file order, first specific match wins, else the first generic).
 *
 * Header names are compared byte for byte, case included, as p0f does:
 * "content-type" in traffic is not the "Content-Type" of a signature.
 */
import type { HttpSignature, Label, SignatureDb } from '../db/types.js';

/** Headers p0f marks optional ('?') in the signatures it prints, requests. */
export const REQ_OPTIONAL: readonly string[] = [
  'Cookie',
  'Referer',
  'Origin',
  'Range',
  'If-Modified-Since',
  'If-None-Match',
  'Via',
  'X-Forwarded-For',
  'Authorization',
  'Proxy-Authorization',
  'Cache-Control',
];

/** Same, responses. */
export const RESP_OPTIONAL: readonly string[] = [
  'Set-Cookie',
  'Last-Modified',
  'ETag',
  'Content-Length',
  'Content-Disposition',
  'Cache-Control',
  'Expires',
  'Pragma',
  'Location',
  'Refresh',
  'Content-Range',
  'Vary',
];

/** Headers whose absence p0f lists (the habsent part of raw_sig), in its order, requests. */
export const REQ_COMMON: readonly string[] = [
  'Host',
  'User-Agent',
  'Connection',
  'Accept',
  'Accept-Encoding',
  'Accept-Language',
  'Accept-Charset',
  'Keep-Alive',
];

/** Same, responses. */
export const RESP_COMMON: readonly string[] = ['Content-Type', 'Connection', 'Keep-Alive', 'Accept-Ranges', 'Date'];

/** Headers printed without their value (on top of the optional ones), requests. */
export const REQ_SKIPVAL: readonly string[] = ['Host', 'User-Agent'];

/** Same, responses. */
export const RESP_SKIPVAL: readonly string[] = ['Date', 'Content-Type', 'Server'];

/**
 * Header names p0f knows before reading any signature. It numbers them in
 * this order; the numbering matters once (see DATE_HEADER in http.ts).
 */
export const BUILTIN_HEADERS: readonly string[] = ['User-Agent', 'Server', 'Accept-Language', 'Via', 'X-Forwarded-For', 'Date'];

/** One header of a compiled signature; `value` is in bytes-as-latin1. */
export interface CompiledHeader {
  name: string;
  optional: boolean;
  value: string | null;
}

export interface CompiledHttpSig {
  sig: HttpSignature;
  label: Label;
  /** -1 for '*'. */
  ver: 0 | 1 | -1;
  hdr: CompiledHeader[];
  /** Names that must not appear. */
  miss: string[];
  /** Expected User-Agent / Server substring; null when the signature has none. */
  sw: string | null;
}

export interface HttpSigIndex {
  request: CompiledHttpSig[];
  response: CompiledHttpSig[];
  /**
   * Every header name p0f has an id for: the built-in ones, the lists
   * above and every name in any HTTP signature (either direction). It
   * prints a known header's value a little differently from an unknown
   * one's (see dumpHttpSig).
   */
  known: ReadonlySet<string>;
  /** ua_os entries in file order: OS name and the User-Agent substring. */
  uaOs: ReadonlyArray<{ name: string; substr: string }>;
  /**
   * p0f's name ids (order of first appearance of a name), for the one
   * place where p0f compares a name id with a label id.
   */
  nameIds: ReadonlyMap<string, number>;
}

/** The bytes p0f would hold for a signature string, one char per byte. */
function bytes(s: string): string {
  return /^[\x00-\x7f]*$/.test(s) ? s : Buffer.from(s, 'utf8').toString('latin1');
}

function compile(s: HttpSignature): CompiledHttpSig {
  return {
    sig: s,
    label: s.label,
    ver: s.ver === 'any' ? -1 : s.ver,
    hdr: s.horder.map((h) => ({ name: h.name, optional: h.optional, value: h.value === null ? null : bytes(h.value) })),
    miss: [...s.habsentNames],
    sw: s.expsw === '' ? null : bytes(s.expsw),
  };
}

export function buildHttpIndex(db: SignatureDb): HttpSigIndex {
  const request = db.httpRequest.map(compile);
  const response = db.httpResponse.map(compile);
  const known = new Set<string>([
    ...BUILTIN_HEADERS,
    ...REQ_OPTIONAL,
    ...RESP_OPTIONAL,
    ...REQ_SKIPVAL,
    ...RESP_SKIPVAL,
    ...REQ_COMMON,
    ...RESP_COMMON,
  ]);
  for (const c of [...request, ...response]) {
    for (const h of c.hdr) known.add(h.name);
    for (const m of c.miss) known.add(m);
  }
  // Name ids: labels in file order, each followed by its sys names; ua_os
  // names go where the [http:request] section starts. Only an HTTP
  // signature with an OS class (none in p0f's own file) ever reads these.
  const nameIds = new Map<string, number>();
  const addName = (n: string): void => {
    if (!nameIds.has(n)) nameIds.set(n, nameIds.size);
  };
  const firstHttpLine = db.httpRequest.length ? db.httpRequest[0]!.label.line : Infinity;
  let uaAdded = false;
  const labels = [...db.labels].sort((a, b) => a.line - b.line);
  for (const l of labels) {
    if (!uaAdded && l.line >= firstHttpLine) {
      for (const u of db.uaOs) addName(u.name);
      uaAdded = true;
    }
    addName(l.name);
    for (const s of l.sys) if (s.kind === 'name') addName(s.name);
  }
  if (!uaAdded) for (const u of db.uaOs) addName(u.name);
  return {
    request,
    response,
    known,
    uaOs: db.uaOs.map((u) => ({ name: u.name, substr: bytes(u.substr || u.name) })),
    nameIds,
  };
}

/** What the matcher needs from an observed message. */
export interface HttpMatchInput {
  ver: 0 | 1;
  hdrs: ReadonlyArray<{ name: string; value: string | null }>;
  /** User-Agent (requests) or Server (responses) value; null when absent. */
  sw: string | null;
}

export interface HttpMatch {
  rec: CompiledHttpSig;
  /** The software header does not contain what the signature expects. */
  dishonest: boolean;
}

function fits(rs: CompiledHttpSig, ts: HttpMatchInput): boolean {
  if (rs.ver !== -1 && rs.ver !== ts.ver) return false;
  const th = ts.hdrs;
  let t = 0;
  for (const rh of rs.hdr) {
    const from = t;
    while (t < th.length && th[t]!.name !== rh.name) t++;
    if (t === th.length) {
      // Absent here: fine only for an optional header that appears nowhere.
      if (!rh.optional) return false;
      for (const h of th) if (h.name === rh.name) return false;
      t = from;
      continue;
    }
    if (rh.value !== null) {
      const v = th[t]!.value;
      if (v === null || !v.includes(rh.value)) return false;
    }
    t++;
  }
  for (const m of rs.miss) for (const h of th) if (h.name === m) return false;
  return true;
}

/** Finds the signature p0f would pick for a message, or null. */
export function matchHttp(sigs: readonly CompiledHttpSig[], ts: HttpMatchInput): HttpMatch | null {
  let generic: CompiledHttpSig | null = null;
  for (const rs of sigs) {
    if (!fits(rs, ts)) continue;
    if (!rs.label.generic) return { rec: rs, dishonest: isDishonest(rs, ts) };
    if (!generic) generic = rs;
  }
  return generic ? { rec: generic, dishonest: isDishonest(generic, ts) } : null;
}

function isDishonest(rs: CompiledHttpSig, ts: HttpMatchInput): boolean {
  return rs.sw !== null && ts.sw !== null && !ts.sw.includes(rs.sw);
}

/** The first ua_os entry whose substring the User-Agent contains, or null. */
export function uaOsOf(idx: HttpSigIndex, ua: string): { name: string; substr: string } | null {
  for (const u of idx.uaOs) if (ua.includes(u.substr)) return u;
  return null;
}

/** "name flavor" as p0f prints a label. */
export function labelText(l: Label): string {
  return l.flavor ? `${l.name} ${l.flavor}` : l.name;
}
