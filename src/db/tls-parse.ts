/**
 * Reader of pof's TLS client database (signatures/tls.fp; the syntax is
 * in docs/tls.md):
 *
 *   ; a comment (blank lines too)
 *   tls = KEY | FAMILY | NAME | EVIDENCE
 *
 * KEY is JA4's three parts, `A_B_C`: A is `*` or JA4's 10-character "a"
 * part with `?` for any character; B and C are 12 lower-case hex digits
 * (the cipher hash and the extension hash). FAMILY is one of TLS_FAMILIES,
 * NAME is what users see, EVIDENCE what the entry rests on (required).
 *
 * Every problem is a Diagnostic `{file, line, field, message}` and the
 * reader goes on with the next line; a file with any is refused whole. Two
 * entries whose keys can match the same JA4 are an error, whether they
 * agree or not: at most one entry answers for a hello.
 */
import type { Diagnostic } from './types.js';
import { TLS_DB_MAX_ENTRIES, TLS_DB_MAX_LINE, TLS_FAMILIES, type APattern, type TlsDb, type TlsEntry, type TlsFamily } from './tls-types.js';

export type TlsParseResult = { ok: true; db: TlsDb } | { ok: false; diagnostics: Diagnostic[] };

const HEX12 = /^[0-9a-f]{12}$/;
/** JA4 "a" characters: transport, version, SNI, two counts, ALPN (which may be any alphanumeric). */
const A_CHARS = /^[0-9a-z?]{10}$/;
const FAMILIES = new Set<string>(TLS_FAMILIES);

/** Whether some "a" part fits both patterns. */
function aOverlap(x: APattern, y: APattern): boolean {
  if (x.kind === 'any' || y.kind === 'any') return true;
  for (let i = 0; i < 10; i++) {
    const p = x.chars.charAt(i);
    const q = y.chars.charAt(i);
    if (p !== '?' && q !== '?' && p !== q) return false;
  }
  return true;
}

/** Printable form of a value in a message: at most 40 characters. */
function shown(s: string): string {
  const t = s.length > 40 ? s.slice(0, 40) + '...' : s;
  return JSON.stringify(t);
}

export function parseTlsDb(text: string, file: string): TlsParseResult {
  const diagnostics: Diagnostic[] = [];
  const entries: TlsEntry[] = [];
  /** "b_c" -> entries with that pair, for the overlap check. */
  const byBc = new Map<string, TlsEntry[]>();
  const lines = typeof text === 'string' ? text.split('\n') : [];
  let lineNo = 0;
  for (const raw of lines) {
    lineNo++;
    const err = (field: string, message: string): void => {
      diagnostics.push({ file, line: lineNo, field, message });
    };
    if (raw.length > TLS_DB_MAX_LINE) {
      err('line', `longer than ${TLS_DB_MAX_LINE} characters`);
      continue;
    }
    const line = raw.replace(/\r$/, '').trim();
    if (line === '' || line.startsWith(';')) continue;
    const m = /^([A-Za-z_]+)[ \t]*=[ \t]*(.*)$/.exec(line);
    if (!m) {
      err('line', `expected 'tls = KEY | FAMILY | NAME | EVIDENCE' or a ';' comment, got ${shown(line)}`);
      continue;
    }
    if (m[1] !== 'tls') {
      err('line', `unknown statement ${shown(m[1]!)} (only 'tls =' is known)`);
      continue;
    }
    const parts = m[2]!.split('|').map((p) => p.trim());
    if (parts.length !== 4) {
      err('line', `expected 4 fields separated by '|' (KEY | FAMILY | NAME | EVIDENCE), got ${parts.length}`);
      continue;
    }
    const [key, family, name, evidence] = parts as [string, string, string, string];
    let ok = true;
    const k = key.split('_');
    let a: APattern = { kind: 'any' };
    if (k.length !== 3) {
      err('key', `expected A_B_C (JA4's three parts), got ${shown(key)}`);
      ok = false;
    } else {
      const [ka, kb, kc] = k as [string, string, string];
      if (ka === '*') a = { kind: 'any' };
      else if (A_CHARS.test(ka)) a = { kind: 'pattern', chars: ka };
      else {
        err('key', `part a must be '*' or 10 characters of [0-9a-z?], got ${shown(ka)}`);
        ok = false;
      }
      if (!HEX12.test(kb)) {
        err('key', `part b must be 12 lower-case hex digits, got ${shown(kb)}`);
        ok = false;
      }
      if (!HEX12.test(kc)) {
        err('key', `part c must be 12 lower-case hex digits, got ${shown(kc)}`);
        ok = false;
      }
    }
    if (!FAMILIES.has(family)) {
      err('family', `unknown family ${shown(family)} (known: ${TLS_FAMILIES.join(', ')})`);
      ok = false;
    }
    if (name === '') {
      err('name', 'empty');
      ok = false;
    }
    if (evidence === '') {
      err('evidence', 'empty: say what the entry rests on');
      ok = false;
    }
    if (!ok) continue;
    if (entries.length >= TLS_DB_MAX_ENTRIES) {
      err('line', `more than ${TLS_DB_MAX_ENTRIES} entries`);
      break;
    }
    const e: TlsEntry = { line: lineNo, key, a, b: k[1]!, c: k[2]!, family: family as TlsFamily, name, evidence };
    const bc = `${e.b}_${e.c}`;
    const same = byBc.get(bc) ?? [];
    const clash = same.find((o) => aOverlap(o.a, e.a));
    if (clash) {
      const what = clash.family === e.family ? 'duplicates' : `conflicts with`;
      err('key', `${shown(key)} ${what} line ${clash.line} (${clash.key}, ${clash.family}): both would match the same hello`);
      continue;
    }
    same.push(e);
    byBc.set(bc, same);
    entries.push(e);
  }
  return diagnostics.length > 0 ? { ok: false, diagnostics } : { ok: true, db: { file, entries } };
}
