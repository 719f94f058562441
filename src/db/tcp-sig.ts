/**
 * TCP `sig =` values, read field by field the way p0f 3.09b's
 * tcp_register_sig reads them (same accepted texts, same limits, same
 * order of checks), and p0f's rule for refusing a signature that an
 * earlier one already covers.
 *
 * Quirks of p0f kept on purpose, because they decide which files load:
 * - `ittl-` (random TTL) makes p0f skip one character of the olen field:
 *   `64-:0:` reads olen 0, `64-:12:` reads olen 2. A warning says so when
 *   the skipped character is not '0'.
 * - numbers are read like atol() into a 32-bit int, so absurdly long digit
 *   runs wrap as they do in p0f.
 * - the payload class must be the very end of the line: trailing blanks
 *   or a CR make it malformed.
 */
import { MAX_DIST, MAX_TCP_OPT, MIN_TCP4, MIN_TCP6 } from '../config.js';
import { QUIRK_NAMES, Quirk, TcpOpt } from '../decode/types.js';
import { atolS32, digitsEnd, shown } from './chars.js';
import type { IpVersionSpec, PayloadClass, TcpSignature, WinSpec } from './types.js';

/** What a `sig =` value says, without its place in the file. */
export type TcpSigBody = Omit<TcpSignature, 'line' | 'label' | 'text'>;

export interface FieldProblem {
  field: string;
  message: string;
}

export type TcpSigParse =
  | { ok: true; sig: TcpSigBody; warnings: FieldProblem[] }
  | { ok: false; problem: FieldProblem };

/** Option names in a layout, checked as prefixes in this order (as p0f does). */
const OPTION_WORDS: ReadonlyArray<readonly [string, number]> = [
  ['nop', TcpOpt.NOP],
  ['mss', TcpOpt.MSS],
  ['ws', TcpOpt.WS],
  ['sok', TcpOpt.SACKOK],
  ['sack', TcpOpt.SACK],
  ['ts', TcpOpt.TS],
];

/** Quirks p0f refuses for one IP version. */
const NOT_FOR_V6 = Quirk.DF | Quirk.NZ_ID | Quirk.ZERO_ID | Quirk.NZ_MBZ;
const NOT_FOR_V4 = Quirk.FLOW;

class SigError extends Error {
  constructor(readonly problem: FieldProblem) {
    super(problem.message);
  }
}

function fail(field: string, message: string): never {
  throw new SigError({ field, message });
}

/** The text of the field starting at `i`, up to the next ':' (for messages). */
function fieldText(s: string, i: number): string {
  const end = s.indexOf(':', i);
  return s.slice(i, end < 0 ? s.length : end);
}

/** Reads a digit run at `i` that must be followed by `stop`; returns [value, index of stop]. */
function numberThen(s: string, i: number, stop: string, field: string, what: string): [number, number] {
  const j = digitsEnd(s, i);
  if (s.charAt(j) !== stop) {
    const got = s.charAt(j) === '' ? 'the signature ends' : `found ${shown(s.slice(i, j + 1))}`;
    fail(field, `expected ${what} followed by '${stop}', but ${got}`);
  }
  return [atolS32(s.slice(i, j)), j];
}

function inRange(v: number, lo: number, hi: number, field: string, what: string): void {
  if (v < lo || v > hi) fail(field, `${what} ${v} is out of range ${lo}..${hi}`);
}

/** Parses the value of a TCP `sig =` line. Never throws. */
export function parseTcpSigBody(s: string): TcpSigParse {
  try {
    const warnings: FieldProblem[] = [];
    const sig = readSig(s, warnings);
    return { ok: true, sig, warnings };
  } catch (e) {
    if (e instanceof SigError) return { ok: false, problem: e.problem };
    throw e;
  }
}

function readSig(s: string, warnings: FieldProblem[]): TcpSigBody {
  const ch = (k: number): string => s.charAt(k);

  // ver
  let ver: IpVersionSpec;
  switch (ch(0)) {
    case '4':
      ver = 4;
      break;
    case '6':
      ver = 6;
      break;
    case '*':
      ver = 'any';
      break;
    default:
      fail('ver', `IP version must be 4, 6 or *, not ${shown(fieldText(s, 0))}`);
  }
  if (ch(1) !== ':') fail('ver', `IP version must be 4, 6 or *, not ${shown(fieldText(s, 0))}`);
  let i = 2;

  // ittl, ittl+N or ittl-
  let j = digitsEnd(s, i);
  const after = ch(j);
  if (after !== ':' && after !== '+' && after !== '-') {
    fail('ittl', `initial TTL must be N, N+D or N-, not ${shown(fieldText(s, i))}`);
  }
  let ittl = atolS32(s.slice(i, j));
  inRange(ittl, 1, 255, 'ittl', 'initial TTL');
  i = j + 1;
  let badTtl = false;
  if (after === '-' && ch(j + 1) === ':') {
    badTtl = true;
    // p0f steps over one more character here: the first one of olen.
    if (ch(j + 2) !== '0') {
      const written = fieldText(s, j + 2);
      const read = fieldText(s, j + 3);
      warnings.push({
        field: 'olen',
        message: `after 'ttl-' p0f skips the first character of olen: ${shown(written)} is read as ${shown(read)}`,
      });
    }
    i += 2;
  } else if (after === '+') {
    const [add, k] = numberThen(s, j + 1, ':', 'ittl', "a distance after '+'");
    if (add < 0 || ittl + add > 255) fail('ittl', `initial TTL ${ittl}+${add} is above 255`);
    ittl += add;
    i = k + 1;
  }

  // olen
  const [olen, jo] = numberThen(s, i, ':', 'olen', 'an IP options length');
  inRange(olen, 0, 255, 'olen', 'IP options length');
  i = jo + 1;

  // mss
  let mss: number | null = null;
  if (ch(i) === '*' && ch(i + 1) === ':') {
    i += 2;
  } else {
    const [v, k] = numberThen(s, i, ':', 'mss', "an MSS or '*'");
    inRange(v, 0, 65535, 'mss', 'MSS');
    mss = v;
    i = k + 1;
  }

  // wsize, then ',' and scale
  let win: WinSpec;
  if (ch(i) === '*' && ch(i + 1) === ',') {
    win = { kind: 'any' };
    i += 2;
  } else if (ch(i) === '%') {
    const [v, k] = numberThen(s, i + 1, ',', 'wsize', "a divisor after '%'");
    inRange(v, 2, 65535, 'wsize', "'%' divisor");
    win = { kind: 'mod', value: v };
    i = k + 1;
  } else if (s.startsWith('mss*', i) || s.startsWith('mtu*', i)) {
    const kind = ch(i + 1) === 's' ? 'mss' : 'mtu';
    const [v, k] = numberThen(s, i + 4, ',', 'wsize', `a multiplier after '${kind}*'`);
    inRange(v, 1, 1000, 'wsize', `${kind.toUpperCase()} multiplier`);
    win = { kind, mult: v };
    i = k + 1;
  } else {
    const [v, k] = numberThen(s, i, ',', 'wsize', "a window size, '*', '%N', 'mss*N' or 'mtu*N'");
    inRange(v, 0, 65535, 'wsize', 'window size');
    win = { kind: 'value', value: v };
    i = k + 1;
  }

  let wscale: number | null = null;
  if (ch(i) === '*' && ch(i + 1) === ':') {
    i += 2;
  } else {
    const [v, k] = numberThen(s, i, ':', 'scale', "a window scale or '*'");
    inRange(v, 0, 255, 'scale', 'window scale');
    wscale = v;
    i = k + 1;
  }

  // olayout
  const optLayout: number[] = [];
  let eolPad = 0;
  while (ch(i) !== ':') {
    if (optLayout.length >= MAX_TCP_OPT) fail('olayout', `more than ${MAX_TCP_OPT} options`);
    if (s.startsWith('eol', i)) {
      optLayout.push(TcpOpt.EOL);
      i += 3;
      if (ch(i) !== '+') fail('olayout', "end of options must be written 'eol+N' (N bytes of padding)");
      i++;
      const k = digitsEnd(s, i);
      if (ch(k) === '') fail('olayout', "the signature ends after 'eol+N'");
      if (ch(k) !== ':') fail('olayout', "'eol+N' must be the last option");
      eolPad = atolS32(s.slice(i, k));
      inRange(eolPad, 0, 255, 'olayout', 'EOL padding');
      i = k;
    } else if (ch(i) === '?') {
      const k = digitsEnd(s, i + 1);
      if (ch(k) !== ':' && ch(k) !== ',') fail('olayout', `'?N' needs a number, not ${shown(s.slice(i, k + 1))}`);
      const n = atolS32(s.slice(i + 1, k));
      inRange(n, 0, 255, 'olayout', 'option kind');
      optLayout.push(n);
      i = k;
    } else {
      const word = OPTION_WORDS.find(([w]) => s.startsWith(w, i));
      if (!word) {
        const tok = /^[^,:]*/.exec(s.slice(i))![0];
        fail(
          'olayout',
          ch(i) === ''
            ? 'the signature ends inside the option layout'
            : `unknown option ${shown(tok)} (known: eol+N, nop, mss, ws, sok, sack, ts, ?N)`,
        );
      }
      optLayout.push(word[1]);
      i += word[0].length;
    }
    if (ch(i) === ':') break;
    if (ch(i) !== ',') {
      fail('olayout', ch(i) === '' ? 'the signature ends inside the option layout' : `expected ',' or ':' after an option, found ${shown(ch(i))}`);
    }
    i++;
  }
  i++;

  // quirks
  let quirks = 0;
  while (ch(i) !== ':') {
    const q = QUIRK_NAMES.find(([, name]) => s.startsWith(name, i));
    if (!q) {
      const tok = /^[^,:]*/.exec(s.slice(i))![0];
      fail('quirks', ch(i) === '' ? "the signature ends before the payload class (':0', ':+' or ':*')" : `unknown quirk ${shown(tok)}`);
    }
    const [bit, name] = q;
    if (ver === 6 && bit & NOT_FOR_V6) fail('quirks', `'${name}' is not valid for IPv6 signatures`);
    if (ver === 4 && bit & NOT_FOR_V4) fail('quirks', `'${name}' is not valid for IPv4 signatures`);
    quirks |= bit;
    i += name.length;
    if (ch(i) === ':') break;
    if (ch(i) !== ',') {
      fail('quirks', ch(i) === '' ? "the signature ends before the payload class (':0', ':+' or ':*')" : `expected ',' or ':' after a quirk, found ${shown(ch(i))}`);
    }
    i++;
  }
  i++;

  // pclass: the rest of the line, exactly
  const rest = s.slice(i);
  let pclass: PayloadClass;
  if (rest === '*') pclass = 'any';
  else if (rest === '0') pclass = 'zero';
  else if (rest === '+') pclass = 'nonzero';
  else {
    const hint = /^[*0+]\s+$/.test(rest) ? ' (trailing whitespace or CR is not allowed)' : '';
    fail('pclass', `payload class must be 0, + or *, not ${shown(rest)}${hint}`);
  }

  return {
    ver,
    ittl,
    badTtl,
    olen,
    mss,
    win,
    wscale,
    optLayout,
    optKey: optLayout.join(','),
    eolPad,
    quirks,
    pclass,
  };
}

/**
 * Window multiple of a signature with a literal window, as p0f's
 * detect_win_multi computes it for a p0f.fp signature (no timestamp, no
 * header length, no peer MSS): `mult` is -1 when none applies.
 */
function winMulti(sig: TcpSigBody): { mult: number; useMtu: boolean } {
  const none = { mult: -1, useMtu: false };
  if (sig.win.kind !== 'value') return none;
  const win = sig.win.value;
  const mss = sig.mss ?? -1;
  if (win === 0 || mss < 100) return none;
  const tries: Array<[number, boolean]> = [
    [mss, false],
    [1500 - MIN_TCP4, false],
    [1500 - MIN_TCP4 - 12, false],
  ];
  if (sig.ver === 6) tries.push([1500 - MIN_TCP6, false], [1500 - MIN_TCP6 - 12, false]);
  tries.push([mss + MIN_TCP4, true]);
  if (sig.ver === 6) tries.push([mss + MIN_TCP6, true]);
  tries.push([1500, true]);
  for (const [div, useMtu] of tries) {
    if (win % div === 0) return { mult: Math.floor(win / div), useMtu };
  }
  return none;
}

function winWord(w: WinSpec): number {
  switch (w.kind) {
    case 'any':
      return 0;
    case 'value':
    case 'mod':
      return w.value;
    case 'mss':
    case 'mtu':
      return w.mult;
    default: {
      const never: never = w;
      return never;
    }
  }
}

function windowCovered(ref: WinSpec, sig: TcpSigBody, multi: { mult: number; useMtu: boolean }): boolean {
  if (sig.win.kind !== 'value') {
    // Two non-literal windows: same notation and number only.
    return ref.kind === sig.win.kind && winWord(ref) === winWord(sig.win);
  }
  const win = sig.win.value;
  switch (ref.kind) {
    case 'any':
      return true;
    case 'value':
      return ref.value === win;
    case 'mod':
      return win % ref.value === 0;
    case 'mss':
      return !multi.useMtu && ref.mult === multi.mult;
    case 'mtu':
      return multi.useMtu && ref.mult === multi.mult;
    default: {
      const never: never = ref;
      return never;
    }
  }
}

/**
 * The earlier signature (same direction, file order) that p0f would say
 * already covers `sig`, or null. This is p0f's tcp_find_match in duplicate
 * detection mode, where only an exact, non-generic match counts:
 * - same option layout, EOL padding and IP options length;
 * - quirks equal, after dropping 'flow' from an earlier '*' signature when
 *   the new one is IPv4, and 'df', 'id+', 'id-' otherwise (p0f compares the
 *   IP versions no further, so '4' and '6' signatures can cover each other);
 * - earlier TTL within 0..MAX_DIST above the new one (for an earlier `ttl-`
 *   signature: not below it);
 * - mss, scale and payload class equal, or '*' in the earlier signature;
 * - window: if the new one is not a literal value, the same notation and
 *   number; if literal, what a packet with that window would match
 *   (wildcard, equal value, divisible by '%N', or the MSS/MTU multiple
 *   p0f detects from the new signature's own MSS);
 * - the earlier signature's label is not generic ('g').
 */
export function tcpCoveredBy(earlier: readonly TcpSignature[], sig: TcpSignature): TcpSignature | null {
  const multi = winMulti(sig);
  for (const ref of earlier) {
    if (ref.optKey !== sig.optKey) continue;
    let refQuirks = ref.quirks;
    if (ref.ver === 'any') {
      refQuirks &= sig.ver === 4 ? ~Quirk.FLOW : ~(Quirk.DF | Quirk.NZ_ID | Quirk.ZERO_ID);
    }
    if (refQuirks !== sig.quirks) continue;
    if (ref.eolPad !== sig.eolPad || ref.olen !== sig.olen) continue;
    if (ref.badTtl) {
      if (ref.ittl < sig.ittl) continue;
    } else if (ref.ittl < sig.ittl || ref.ittl - sig.ittl > MAX_DIST) {
      continue;
    }
    if (ref.mss !== null && ref.mss !== sig.mss) continue;
    if (ref.wscale !== null && ref.wscale !== sig.wscale) continue;
    if (ref.pclass !== 'any' && ref.pclass !== sig.pclass) continue;
    if (!windowCovered(ref.win, sig, multi)) continue;
    if (ref.label.generic) continue;
    return ref;
  }
  return null;
}
