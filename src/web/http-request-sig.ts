/**
 * p0f's [http:request] signature of a request the web side decrypted:
 * built from Node's rawHeaders (names in the order and case sent) and
 * matched against a signature database as the engine matches cleartext
 * requests (fingerprint/http-sig.ts), with p0f's limits: only GET and
 * HEAD requests for a path, at most 32 headers of p0f's name characters,
 * values of at most 1024 bytes. Pure.
 *
 * HTTP/1.x gives p0f's signature as the wire had it. HTTP/2 is only
 * partly comparable, and is read so:
 *   - names arrive lower-cased (HPACK): a name the database knows is given
 *     back the database's spelling ('user-agent' -> 'User-Agent'), the
 *     others stay as sent;
 *   - :authority stands where it was sent, as Host; the other
 *     pseudo-headers (:method, :scheme, :path) are left out (they are the
 *     HTTP/2 fingerprint's, see fingerprint/h2.ts);
 *   - HTTP/2 forbids Connection, Keep-Alive, Proxy-Connection,
 *     Transfer-Encoding and Upgrade, so a signature's entries for them are
 *     passed over when matching (an HTTP/1.1 browser signature that wants
 *     Connection=[keep-alive] can still match its HTTP/2 requests), and the
 *     raw signature's version field reads 2;
 *   - the dishonest flag is never raised: a header layout matched with
 *     these allowances is weaker evidence than p0f's, so a match whose
 *     software check fails (the User-Agent does not say what the
 *     signature expects) gives no application at all rather than a
 *     liar's flag.
 */
import { languageOf } from '../fingerprint/languages.js';
import { dumpHttpSig } from '../fingerprint/http-describe.js';
import { HTTP_MAX_HDR_NAME, HTTP_MAX_HDR_VAL, HTTP_MAX_HDRS, newHttpMessage, type HttpMessage } from '../fingerprint/http-headers.js';
import { labelText, matchHttp, uaOsOf, type CompiledHttpSig, type HttpSigIndex } from '../fingerprint/http-sig.js';

/** What the request's signature says. */
export interface RequestSig {
  /** The signature in p0f's raw_sig syntax (`2:` for HTTP/2). */
  rawSig: string;
  /** The application a signature names ('curl'), or null. */
  app: { name: string; flavor: string | null; label: string } | null;
  /** The header layout is the application's, but the User-Agent does not say so (p0f's dishonest; HTTP/1 only). */
  dishonest: boolean;
  /** The language of Accept-Language, when pof knows its code. */
  language: string | null;
  /** The OS the User-Agent names (the database's ua_os), or null. */
  uaOs: string | null;
  /** Read from an HTTP/2 request (see the file comment). */
  h2: boolean;
}

/** Why a request has no signature. */
export type RequestSigSkip = 'method' | 'headers';

export type RequestSigResult = { ok: true; sig: RequestSig } | { ok: false; reason: RequestSigSkip };

/** Headers HTTP/2 forbids (RFC 9113 8.2.2): passed over in signatures matched against HTTP/2 requests. */
const H2_ABSENT: ReadonlySet<string> = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade']);

interface H2View {
  /** Lower-case name -> the database's spelling. */
  spelling: ReadonlyMap<string, string>;
  /** The request signatures without their HTTP/2-forbidden entries. */
  request: readonly CompiledHttpSig[];
}
const h2Views = new WeakMap<HttpSigIndex, H2View>();

function h2View(idx: HttpSigIndex): H2View {
  let v = h2Views.get(idx);
  if (!v) {
    const spelling = new Map<string, string>();
    for (const n of idx.known) {
      const k = n.toLowerCase();
      if (!spelling.has(k)) spelling.set(k, n);
    }
    const request = idx.request.map((s) => ({ ...s, hdr: s.hdr.filter((h) => !H2_ABSENT.has(h.name.toLowerCase())) }));
    v = { spelling, request };
    h2Views.set(idx, v);
  }
  return v;
}

function nameOk(n: string): boolean {
  if (n.length === 0 || n.length > HTTP_MAX_HDR_NAME) return false;
  for (let i = 0; i < n.length; i++) {
    const c = n.charCodeAt(i);
    const ok = (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x2d || c === 0x5f;
    if (!ok) return false;
  }
  return true;
}

/** A value as p0f holds it: bytes as latin1 chars, cut at a NUL; null when empty. */
function valueOf(v: string): string | null {
  // Node hands header values over as latin1 strings already (one char per byte).
  const z = v.indexOf('\0');
  const s = z >= 0 ? v.slice(0, z) : v;
  return s.length ? s : null;
}

/**
 * The signature of one request: `method` and `url` as Node gives them
 * (req.method, req.url), `httpVersion` '1.0', '1.1' or '2.0', `raw`
 * req.rawHeaders. Never throws.
 */
export function requestSig(idx: HttpSigIndex, method: string | undefined, url: string | undefined, httpVersion: string, raw: readonly string[]): RequestSigResult {
  if ((method !== 'GET' && method !== 'HEAD') || typeof url !== 'string' || url.charCodeAt(0) !== 0x2f) return { ok: false, reason: 'method' };
  const h2 = httpVersion === '2.0';
  const view = h2 ? h2View(idx) : null;
  const msg: HttpMessage = newHttpMessage();
  msg.ver = httpVersion === '1.0' ? 0 : 1;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    let name = raw[i]!;
    const rawValue = raw[i + 1]!;
    if (view) {
      if (name.charCodeAt(0) === 0x3a) {
        if (name !== ':authority') continue;
        name = 'Host';
      } else name = view.spelling.get(name) ?? name;
    }
    if (msg.hdrs.length >= HTTP_MAX_HDRS || !nameOk(name) || rawValue.length > HTTP_MAX_HDR_VAL) return { ok: false, reason: 'headers' };
    const value = valueOf(rawValue);
    if (value !== null) {
      if (name === 'User-Agent') msg.sw = value;
      else if (name === 'Accept-Language') msg.lang = value;
      else if (name === 'Via' || name === 'X-Forwarded-For') msg.via = value;
    }
    msg.hdrs.push({ name, value });
  }
  const m = matchHttp(view ? view.request : idx.request, msg);
  // HTTP/2: a layout matched with its allowances whose software check
  // fails names nothing. (A signature with an OS class names no application.)
  const rec = m && !(h2 && m.dishonest) && m.rec.label.cls === null ? m.rec : null;
  const l = languageOf(msg.lang);
  const ua = msg.sw !== null && rec && !m!.dishonest ? uaOsOf(idx, msg.sw) : null;
  let rawSig = dumpHttpSig(true, msg, idx.known);
  if (h2) rawSig = '2' + rawSig.slice(1);
  return {
    ok: true,
    sig: {
      rawSig,
      app: rec ? { name: rec.label.name, flavor: rec.label.flavor, label: labelText(rec.label) } : null,
      dishonest: rec !== null && m!.dishonest,
      language: l.kind === 'known' ? l.name : null,
      uaOs: ua ? ua.name : null,
      h2,
    },
  };
}
