/**
 * HTTP `sig =` values (ver:horder:habsent:expsw) read as p0f 3.09b's
 * http_register_sig reads them, and p0f's rule for refusing a signature an
 * earlier one already covers.
 *
 * p0f compares header names byte for byte (case matters) when it checks
 * signatures against each other; so does the duplicate check here.
 */
import { HTTP_MAX_HDRS, isHeaderChar, shown } from './chars.js';
import type { FieldProblem } from './tcp-sig.js';
import type { HttpHeaderSpec, HttpSignature } from './types.js';

export type HttpSigBody = Omit<HttpSignature, 'line' | 'label' | 'text'>;

export type HttpSigParse = { ok: true; sig: HttpSigBody } | { ok: false; problem: FieldProblem };

function problem(field: string, message: string): HttpSigParse {
  return { ok: false, problem: { field, message } };
}

/**
 * Reads `Name=[value]` starting at `i` (just after the name) if there is
 * one: returns the value and the index after ']', null when no '=', or an
 * error message.
 */
export function readBracketValue(s: string, i: number): { value: string; next: number } | null | string {
  if (s.charAt(i) !== '=') return null;
  if (s.charAt(i + 1) !== '[') return "expected '[' after '='";
  const start = i + 2;
  const end = s.indexOf(']', start);
  if (end < 0) return "'[' without a closing ']'";
  if (end === start) return "empty '[]' value";
  return { value: s.slice(start, end), next: end + 1 };
}

/** Parses the value of an HTTP `sig =` line. Never throws. */
export function parseHttpSigBody(s: string): HttpSigParse {
  const ch = (k: number): string => s.charAt(k);
  // p0f checks the ':' before it looks at the version character.
  if (ch(1) !== ':') return problem('ver', `HTTP version must be 0, 1 or *, then ':', not ${shown(s.split(':')[0] ?? '')}`);
  let ver: HttpSigBody['ver'];
  switch (ch(0)) {
    case '0':
      ver = 0;
      break;
    case '1':
      ver = 1;
      break;
    case '*':
      ver = 'any';
      break;
    default:
      return problem('ver', `HTTP version must be 0, 1 or *, not ${shown(ch(0))}`);
  }
  let i = 2;

  const horder: HttpHeaderSpec[] = [];
  while (ch(i) !== ':') {
    if (horder.length >= HTTP_MAX_HDRS) return problem('horder', `more than ${HTTP_MAX_HDRS} headers`);
    let optional = false;
    if (ch(i) === '?') {
      optional = true;
      i++;
    }
    let j = i;
    while (isHeaderChar(ch(j))) j++;
    if (j === i) {
      return problem('horder', ch(j) === '' ? 'the signature ends inside the header list' : `expected a header name, found ${shown(ch(j))}`);
    }
    const name = s.slice(i, j);
    i = j;
    const v = readBracketValue(s, i);
    if (typeof v === 'string') return problem('horder', `${name}: ${v}`);
    let value: string | null = null;
    if (v) {
      value = v.value;
      i = v.next;
    }
    horder.push({ name, lname: name.toLowerCase(), optional, value });
    if (ch(i) === ',') i++;
    else if (ch(i) !== ':') {
      return problem('horder', ch(i) === '' ? 'the signature ends inside the header list' : `expected ',' or ':' after ${name}, found ${shown(ch(i))}`);
    }
  }
  i++;

  const habsentNames: string[] = [];
  while (ch(i) !== ':') {
    if (habsentNames.length >= HTTP_MAX_HDRS) return problem('habsent', `more than ${HTTP_MAX_HDRS} headers`);
    let j = i;
    while (isHeaderChar(ch(j))) j++;
    if (j === i) {
      return problem('habsent', ch(j) === '' ? 'the signature ends inside the absent-header list' : `expected a header name, found ${shown(ch(j))}`);
    }
    const name = s.slice(i, j);
    habsentNames.push(name);
    i = j;
    if (ch(i) === ',') i++;
    else if (ch(i) !== ':') {
      return problem('habsent', ch(i) === '' ? 'the signature ends inside the absent-header list' : `expected ',' or ':' after ${name}, found ${shown(ch(i))}`);
    }
  }
  i++;

  const expsw = s.slice(i);
  if (expsw.includes(':')) return problem('expsw', `expected software must not contain ':' (${shown(expsw)})`);

  return {
    ok: true,
    sig: { ver, horder, habsent: habsentNames.map((n) => n.toLowerCase()), habsentNames, expsw },
  };
}

/**
 * The earlier signature (same direction, file order) that p0f would say
 * already covers `sig`, or null: p0f's http_find_match in duplicate
 * detection mode, comparing `sig` as if it were traffic whose headers are
 * its horder list:
 * - earlier version '*' or equal;
 * - every required header of the earlier one is a required header of the
 *   new one (p0f's Bloom-filter test, taken without false positives: p0f
 *   seeds that hash at random, so its rare false positives are not
 *   reproducible);
 * - the earlier horder is found in order; a missing optional header must
 *   not appear anywhere; an earlier `=[value]` must be a substring of the
 *   new one's value;
 * - no header the earlier one forbids is a required header of the new one
 *   (same Bloom-filter reading);
 * - the earlier habsent list is no longer than the new one and all its
 *   names are in it;
 * - the earlier signature's label is not generic.
 */
export function httpCoveredBy(earlier: readonly HttpSignature[], sig: HttpSignature): HttpSignature | null {
  const required = new Set(sig.horder.filter((h) => !h.optional).map((h) => h.name));
  next: for (const ref of earlier) {
    if (ref.ver !== 'any' && ref.ver !== sig.ver) continue;
    for (const h of ref.horder) if (!h.optional && !required.has(h.name)) continue next;

    let t = 0;
    for (const rh of ref.horder) {
      const from = t;
      while (t < sig.horder.length && sig.horder[t]!.name !== rh.name) t++;
      if (t === sig.horder.length) {
        if (!rh.optional) continue next;
        if (sig.horder.some((h) => h.name === rh.name)) continue next;
        t = from;
        continue;
      }
      const have = sig.horder[t]!.value;
      if (rh.value !== null && (have === null || !have.includes(rh.value))) continue next;
      t++;
    }

    for (const m of ref.habsentNames) if (required.has(m)) continue next;
    if (ref.habsentNames.length > sig.habsentNames.length) continue;
    for (const m of ref.habsentNames) if (!sig.habsentNames.includes(m)) continue next;

    if (ref.label.generic) continue;
    return ref;
  }
  return null;
}
