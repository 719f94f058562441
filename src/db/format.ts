/**
 * Signatures back to p0f.fp `sig` text, so that parsing the text gives the
 * same signature; and single signature strings to signatures.
 */
import { QUIRK_NAMES, TcpOpt } from '../decode/types.js';
import { parseHttpSigBody, type HttpSigBody } from './http-sig.js';
import { parseTcpSigBody, type TcpSigBody } from './tcp-sig.js';
import type { Diagnostic, HttpSignature, Label, TcpSignature, WinSpec } from './types.js';

const OPT_WORD: Record<number, string> = {
  [TcpOpt.NOP]: 'nop',
  [TcpOpt.MSS]: 'mss',
  [TcpOpt.WS]: 'ws',
  [TcpOpt.SACKOK]: 'sok',
  [TcpOpt.SACK]: 'sack',
  [TcpOpt.TS]: 'ts',
};

function formatWin(w: WinSpec): string {
  switch (w.kind) {
    case 'any':
      return '*';
    case 'value':
      return String(w.value);
    case 'mod':
      return `%${w.value}`;
    case 'mss':
      return `mss*${w.mult}`;
    case 'mtu':
      return `mtu*${w.mult}`;
    default: {
      const never: never = w;
      return never;
    }
  }
}

/** Option layout text: `mss,sok,ts,nop,ws`, `eol+N` for a final EOL, `?N` for others. */
export function formatOptLayout(layout: readonly number[], eolPad: number): string {
  return layout
    .map((k, i) => {
      if (k === TcpOpt.EOL) return i === layout.length - 1 ? `eol+${eolPad}` : '?0';
      return OPT_WORD[k] ?? `?${k}`;
    })
    .join(',');
}

/** Quirk list text in p0f's order: `df,id+,ecn`. */
export function formatQuirks(quirks: number): string {
  return QUIRK_NAMES.filter(([bit]) => quirks & bit)
    .map(([, name]) => name)
    .join(',');
}

/**
 * `ver:ittl:olen:mss:wsize,scale:olayout:quirks:pclass`. A random-TTL
 * signature is written `N-:0<olen>:` because p0f skips the character after
 * `N-:` (so olen 0 reads back from `N-:0:`).
 */
export function formatTcpSig(sig: TcpSigBody): string {
  const ver = sig.ver === 'any' ? '*' : String(sig.ver);
  const ttl = sig.badTtl ? `${sig.ittl}-` : String(sig.ittl);
  const olen = sig.badTtl ? (sig.olen ? `0${sig.olen}` : '0') : String(sig.olen);
  const mss = sig.mss === null ? '*' : String(sig.mss);
  const scale = sig.wscale === null ? '*' : String(sig.wscale);
  const pclass = sig.pclass === 'any' ? '*' : sig.pclass === 'zero' ? '0' : '+';
  return `${ver}:${ttl}:${olen}:${mss}:${formatWin(sig.win)},${scale}:${formatOptLayout(sig.optLayout, sig.eolPad)}:${formatQuirks(sig.quirks)}:${pclass}`;
}

/** `ver:horder:habsent:expsw` */
export function formatHttpSig(sig: HttpSigBody): string {
  const ver = sig.ver === 'any' ? '*' : String(sig.ver);
  const horder = sig.horder.map((h) => `${h.optional ? '?' : ''}${h.name}${h.value !== null ? `=[${h.value}]` : ''}`).join(',');
  return `${ver}:${horder}:${sig.habsentNames.join(',')}:${sig.expsw}`;
}

/** Stand-in label for signatures parsed outside a file. */
function dummyLabel(): Label {
  return { id: 0, line: 1, generic: false, cls: null, name: '', flavor: null, sys: [] };
}

export function isDiagnostic(x: unknown): x is Diagnostic {
  return typeof x === 'object' && x !== null && 'field' in x && 'message' in x && 'file' in x;
}

/**
 * One TCP signature string (p0f.fp syntax, e.g. an observed raw_sig with
 * its `+dist` TTL) to a signature with a dummy label, or the problem with
 * it (file '<sig>', line 1).
 */
export function parseTcpSigText(text: string): TcpSignature | Diagnostic {
  const r = parseTcpSigBody(text);
  if (!r.ok) return { file: '<sig>', line: 1, ...r.problem };
  return { line: 1, label: dummyLabel(), text, ...r.sig };
}

/** One HTTP signature string to a signature with a dummy label, or the problem with it. */
export function parseHttpSigText(text: string): HttpSignature | Diagnostic {
  const r = parseHttpSigBody(text);
  if (!r.ok) return { file: '<sig>', line: 1, ...r.problem };
  return { line: 1, label: dummyLabel(), text, ...r.sig };
}
