/**
 * What a finished HTTP header block says, the way p0f 3.09b prints it:
 * raw_sig (version, header order, absent headers, software), params and
 * lang. Pure.
 */
import type { HttpMessage } from './http-headers.js';
import { languageOf } from './languages.js';
import { REQ_COMMON, REQ_OPTIONAL, REQ_SKIPVAL, RESP_COMMON, RESP_OPTIONAL, RESP_SKIPVAL, labelText, type HttpMatch } from './http-sig.js';

/** Most characters of a value shown in raw_sig (p0f HTTP_MAX_SHOW). */
export const HTTP_MAX_SHOW = 200;

/** Up to HTTP_MAX_SHOW printable ASCII chars, stopping at ']' (and '|' when asked). */
function shownValue(v: string, stopAtBar: boolean): string {
  let n = 0;
  while (n < v.length && n < HTTP_MAX_SHOW) {
    const c = v.charCodeAt(n);
    if (c < 0x20 || c >= 0x80 || c === 0x5d || (stopAtBar && c === 0x7c)) break;
    n++;
  }
  return v.slice(0, n);
}

/**
 * The raw_sig p0f prints: `ver:horder:habsent:sw`. Headers p0f expects
 * to come and go are marked '?', values are shown only for headers whose
 * value says something about the software (not Host, Date, ...), and the
 * habsent part lists the usual headers this message lacks.
 */
export function dumpHttpSig(toSrv: boolean, msg: HttpMessage, known: ReadonlySet<string>): string {
  const optional = toSrv ? REQ_OPTIONAL : RESP_OPTIONAL;
  const skipval = toSrv ? REQ_SKIPVAL : RESP_SKIPVAL;
  const common = toSrv ? REQ_COMMON : RESP_COMMON;
  const parts: string[] = [];
  for (const h of msg.hdrs) {
    if (known.has(h.name)) {
      const opt = optional.includes(h.name);
      let s = opt ? '?' + h.name : h.name;
      if (h.value !== null && !opt && !skipval.includes(h.name)) {
        const v = shownValue(h.value, true);
        if (v) s += `=[${v}]`;
      }
      parts.push(s);
    } else {
      let s = h.name;
      if (h.value !== null) {
        const v = shownValue(h.value, false);
        if (v) s += `=[${v}]`;
      }
      parts.push(s);
    }
  }
  const absent = common.filter((c) => !msg.hdrs.some((h) => h.name === c));
  const sw = msg.sw === null ? '' : shownValue(msg.sw, false);
  return `${msg.ver}:${parts.join(',')}:${absent.join(',')}:${sw}`;
}

/** params=: dishonest, anonymous (no software header), generic; or "none". */
export function httpParams(msg: HttpMessage, m: HttpMatch | null): string {
  const p: string[] = [];
  if (m?.dishonest) p.push('dishonest');
  if (msg.sw === null) p.push('anonymous');
  if (m?.rec.label.generic) p.push('generic');
  return p.length ? p.join(' ') : 'none';
}

/** The fields of an "http request" / "http response" record, in p0f's order. */
export interface HttpRecord {
  /** 'os' for a signature with an OS class, else 'app'. */
  key: 'app' | 'os';
  app: string | null;
  /** lang= text: a language name, null for an unknown code ("???"), or "none". */
  lang: string | null;
  /** The language name when known (what the host record keeps). */
  language: string | null;
  params: string;
  rawSig: string;
}

export function describeHttp(toSrv: boolean, msg: HttpMessage, m: HttpMatch | null, known: ReadonlySet<string>): HttpRecord {
  const l = languageOf(msg.lang);
  return {
    key: m && m.rec.label.cls !== null ? 'os' : 'app',
    app: m ? labelText(m.rec.label) : null,
    lang: l.kind === 'known' ? l.name : l.kind === 'none' ? 'none' : null,
    language: l.kind === 'known' ? l.name : null,
    params: httpParams(msg, m),
    rawSig: dumpHttpSig(toSrv, msg, known),
  };
}
