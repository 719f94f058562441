/**
 * The TLS client label: which TLS stack sent a ClientHello, from its JA4
 * and pof's TLS client database (signatures/tls.fp, docs/tls.md).
 *
 * Entries are keyed on JA4's parts b (the cipher hash) and c (the
 * extension and signature algorithm hash), with an optional pattern for
 * part a. Part c hashes the extensions sorted, so Chrome's shuffling of
 * its extension order does not matter; part a changes with the SNI, the
 * ALPN and the extension count (padding, resumption), which most entries
 * leave open. A hello no entry covers is 'unknown': the matcher never
 * guesses from a near match.
 */
import type { TlsDb, TlsEntry, TlsLabel } from '../../db/tls-types.js';

export interface TlsIndex {
  /** "b_c" -> entries in file order. */
  readonly byBc: ReadonlyMap<string, readonly TlsEntry[]>;
  readonly size: number;
}

export function buildTlsIndex(db: TlsDb): TlsIndex {
  const byBc = new Map<string, TlsEntry[]>();
  for (const e of db.entries) {
    const k = `${e.b}_${e.c}`;
    const l = byBc.get(k);
    if (l) l.push(e);
    else byBc.set(k, [e]);
  }
  return { byBc, size: db.entries.length };
}

function aFits(e: TlsEntry, a: string): boolean {
  if (e.a.kind === 'any') return true;
  const p = e.a.chars;
  for (let i = 0; i < 10; i++) {
    const c = p.charCodeAt(i);
    if (c !== 0x3f && c !== a.charCodeAt(i)) return false;
  }
  return true;
}

/** JA4 is `a_b_c`: a 10 characters, b and c 12 each. */
const JA4_LEN = 10 + 1 + 12 + 1 + 12;

/** The label of one JA4 (e.g. `t13d1516h2_8daaf6152771_e5627efa2ab1`). Never throws; anything else is 'unknown'. */
export function labelTls(idx: TlsIndex, ja4: string): TlsLabel {
  if (typeof ja4 !== 'string') return { kind: 'unknown', ja4: '' };
  if (ja4.length !== JA4_LEN || ja4.charAt(10) !== '_' || ja4.charAt(23) !== '_') return { kind: 'unknown', ja4: ja4.slice(0, JA4_LEN) };
  const list = idx.byBc.get(ja4.slice(11));
  if (list) {
    const a = ja4.slice(0, 10);
    for (const e of list) if (aFits(e, a)) return { kind: 'known', family: e.family, name: e.name, line: e.line, ja4 };
  }
  return { kind: 'unknown', ja4 };
}
