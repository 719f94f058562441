/**
 * The non-signature values of p0f.fp: `classes`, `label`, `sys`, `ua_os`
 * and [mtu] `sig`, read with p0f 3.09b's rules.
 *
 * Names: p0f keeps one table of OS / application names, filled in file
 * order from labels, `sys` and `ua_os`, and compares case-insensitively
 * (ASCII); the first spelling seen is the one it reports. NameTable does
 * the same, so 'linux' in a later label reads back as 'Linux'.
 */
import { asciiLower, atolS32, digitsEnd, isAlnum, isBlank, isNameChar, shown } from './chars.js';
import { readBracketValue } from './http-sig.js';
import type { FieldProblem } from './tcp-sig.js';
import type { SysEntry, UaOsEntry } from './types.js';

export type Parsed<T> = { ok: true; value: T } | { ok: false; problem: FieldProblem };

function bad<T>(field: string, message: string): Parsed<T> {
  return { ok: false, problem: { field, message } };
}

/** Case-insensitive name registry; the first spelling wins. */
export class NameTable {
  private readonly byKey = new Map<string, string>();

  /** Looks a name up, registering it if new; returns the spelling p0f reports. */
  intern(name: string): string {
    const key = asciiLower(name);
    const have = this.byKey.get(key);
    if (have !== undefined) return have;
    this.byKey.set(key, name);
    return name;
  }
}

/** Finds a declared class, case-insensitively; returns its declared spelling. */
export function findClass(classes: readonly string[], name: string): string | undefined {
  const key = asciiLower(name);
  return classes.find((c) => asciiLower(c) === key);
}

/**
 * `classes = win,unix,other`: alphanumeric names separated by commas
 * (blanks allowed before a name). A trailing comma or blank is malformed,
 * as in p0f. Returns every class read before any error, too.
 */
export function parseClasses(s: string): { classes: string[]; problem: FieldProblem | null } {
  const classes: string[] = [];
  let i = 0;
  while (s.charAt(i) !== '') {
    while (isBlank(s.charAt(i)) || s.charAt(i) === ',') i++;
    let j = i;
    while (isAlnum(s.charAt(j))) j++;
    if (j === i || (s.charAt(j) !== '' && s.charAt(j) !== ',')) {
      const what = j === i ? (s.charAt(j) === '' ? 'nothing after a comma or blank' : shown(s.charAt(j))) : `${shown(s.slice(i, j + 1))}`;
      return { classes, problem: { field: 'classes', message: `class names are letters and digits separated by ',': found ${what}` } };
    }
    classes.push(s.slice(i, j));
    i = j;
  }
  return { classes, problem: null };
}

export interface LabelValue {
  generic: boolean;
  /** Declared class spelling, or null for '!'. */
  cls: string | null;
  name: string;
  flavor: string | null;
}

/**
 * `label = s|g:class|!:name:flavor` for [tcp:*] and [http:*] sections.
 * The name is interned only when the whole label is valid.
 */
export function parseLabel(s: string, classes: readonly string[], names: NameTable): Parsed<LabelValue> {
  const ch = (k: number): string => s.charAt(k);
  let generic: boolean;
  if (ch(0) === 'g') generic = true;
  else if (ch(0) === 's') generic = false;
  else return bad('label', `type must be 's' (specific) or 'g' (generic), not ${shown(s.split(':')[0] ?? '')}`);
  if (ch(1) !== ':') return bad('label', `type must be 's' or 'g' followed by ':', not ${shown(s.split(':')[0] ?? '')}`);

  let i = 2;
  let j = i;
  while (isAlnum(ch(j)) || ch(j) === '!') j++;
  if (j === i || ch(j) !== ':') {
    return bad('label', `expected a class (letters and digits) or '!' then ':', found ${shown(s.slice(i, j + 1))}`);
  }
  let cls: string | null;
  if (ch(i) === '!' && ch(i + 1) === ':') {
    cls = null;
  } else {
    const token = s.slice(i, j);
    const found = findClass(classes, token);
    if (found === undefined) {
      const known = classes.length ? `declared: ${classes.join(', ')}` : "no 'classes =' line before the first section";
      return bad('label', `unknown class '${token}' (${known})`);
    }
    cls = found;
  }

  i = j + 1;
  j = i;
  while (isNameChar(ch(j))) j++;
  if (j === i || ch(j) !== ':') {
    return bad('label', `expected a name (letters, digits, ' ./-_!?()') then ':', found ${shown(s.slice(i, j + 1))}`);
  }
  const name = names.intern(s.slice(i, j));
  const flavor = s.slice(j + 1);
  return { ok: true, value: { generic, cls, name, flavor: flavor === '' ? null : flavor } };
}

/**
 * `sys = Linux,@unix,...` for application labels: OS names and
 * '@class' entries. Names are registered as they are read.
 */
export function parseSys(s: string, classes: readonly string[], names: NameTable): Parsed<SysEntry[]> {
  const out: SysEntry[] = [];
  let i = 0;
  while (s.charAt(i) !== '') {
    while (isBlank(s.charAt(i)) || s.charAt(i) === ',') i++;
    let isClass = false;
    if (s.charAt(i) === '@') {
      isClass = true;
      i++;
    }
    let j = i;
    while (isNameChar(s.charAt(j))) j++;
    if (j === i || (s.charAt(j) !== '' && s.charAt(j) !== ',')) {
      const what = j === i ? (s.charAt(j) === '' ? 'nothing' : shown(s.charAt(j))) : shown(s.slice(i, j + 1));
      return bad('sys', `expected OS names or @classes separated by ',', found ${what}`);
    }
    const token = s.slice(i, j);
    if (isClass) {
      const found = findClass(classes, token);
      if (found === undefined) return bad('sys', `unknown class '@${token}'`);
      out.push({ kind: 'class', cls: found });
    } else {
      out.push({ kind: 'name', name: names.intern(token) });
    }
    i = j;
  }
  return { ok: true, value: out };
}

/**
 * `ua_os = Linux,Windows,iOS=[iPad]`: OS names, each optionally with the
 * User-Agent substring that indicates it (default: the name itself, in
 * the spelling p0f reports).
 */
export function parseUaOs(s: string, names: NameTable): Parsed<UaOsEntry[]> {
  const out: UaOsEntry[] = [];
  let i = 0;
  while (s.charAt(i) !== '') {
    let j = i;
    while (isNameChar(s.charAt(j))) j++;
    if (j === i) return bad('ua_os', `expected an OS name, found ${shown(s.charAt(i))}`);
    const name = names.intern(s.slice(i, j));
    i = j;
    const v = readBracketValue(s, i);
    if (typeof v === 'string') return bad('ua_os', `${name}: ${v}`);
    let substr = name;
    if (v) {
      substr = v.value;
      i = v.next;
    }
    out.push({ name, substr });
    if (s.charAt(i) === ',') i++;
  }
  return { ok: true, value: out };
}

/** [mtu] `sig = 1500`: digits only, 1..65535. */
export function parseMtu(s: string): Parsed<number> {
  const j = digitsEnd(s, 0);
  if (j === 0 || j !== s.length) return bad('mtu', `MTU must be a number, not ${shown(s)}`);
  const mtu = atolS32(s);
  if (mtu <= 0 || mtu > 65535) return bad('mtu', `MTU ${mtu} is out of range 1..65535`);
  return { ok: true, value: mtu };
}
