/**
 * OS families: the coarse answer that a TCP signature, a User-Agent and a
 * TLS or HTTP fingerprint can all give, so that they can be compared.
 *
 * A label's families are read from its text, which is what the user sees:
 *
 *   - the name, split at " or " and ",": "macOS or iOS" -> {macos, ios};
 *   - "(or X ...)" clauses of the flavor whose alternatives start with a
 *     family name: "Linux" + "2.6.39 to 3.x (or Android 4.x)" ->
 *     {linux, android}. Alternatives that name no family ("(or Server
 *     2016+)", "(or a NetBSD-based appliance)") add nothing.
 *
 * Nothing else in the file is read, so p0f.fp syntax is unchanged and any
 * p0f.fp loads as before. p0f's own database names one system per label
 * and has no "(or X)" flavors, so each of its OS labels has at most one
 * family; only a label with two or more (a merge: the SYNs of those systems
 * are byte-identical) is treated differently from p0f.
 *
 * Userland labels (class '!': tools, browsers, servers) have no families:
 * they say nothing about the OS.
 */
import { asciiLower } from './chars.js';
import type { Label } from './types.js';

export type OsFamily =
  | 'windows'
  | 'macos'
  | 'ios'
  | 'android'
  | 'linux'
  | 'chromeos'
  | 'freebsd'
  | 'openbsd'
  | 'netbsd'
  | 'dragonfly'
  | 'solaris'
  | 'aix'
  | 'hpux';

/** Spellings (lower case, single spaces) that name a family. */
const SPELLINGS: ReadonlyArray<readonly [string, OsFamily]> = [
  ['windows', 'windows'],
  ['microsoft windows', 'windows'],
  ['macos', 'macos'],
  ['mac os x', 'macos'],
  ['macos x', 'macos'],
  ['mac os', 'macos'],
  ['os x', 'macos'],
  ['ios', 'ios'],
  ['ipados', 'ios'],
  ['iphone os', 'ios'],
  ['android', 'android'],
  ['linux', 'linux'],
  ['gnu/linux', 'linux'],
  ['chromeos', 'chromeos'],
  ['chrome os', 'chromeos'],
  ['chromium os', 'chromeos'],
  ['freebsd', 'freebsd'],
  ['openbsd', 'openbsd'],
  ['netbsd', 'netbsd'],
  ['dragonfly', 'dragonfly'],
  ['dragonfly bsd', 'dragonfly'],
  ['dragonflybsd', 'dragonfly'],
  ['solaris', 'solaris'],
  ['sunos', 'solaris'],
  ['illumos', 'solaris'],
  ['aix', 'aix'],
  ['hp-ux', 'hpux'],
];

const BY_SPELLING = new Map<string, OsFamily>(SPELLINGS);
/** Longest spelling first, for prefix matches. */
const BY_LENGTH = [...SPELLINGS].sort((a, b) => b[0].length - a[0].length);

function norm(s: string): string {
  return asciiLower(s).trim().replace(/\s+/g, ' ');
}

/** The family a whole name stands for ('Mac OS X' -> macos), or null. */
export function familyOfName(name: string): OsFamily | null {
  return BY_SPELLING.get(norm(name)) ?? null;
}

/** The family an alternative starts with ('Android 4.x' -> android), or null. */
function leadingFamily(text: string): OsFamily | null {
  const t = norm(text);
  for (const [sp, fam] of BY_LENGTH) {
    if (!t.startsWith(sp)) continue;
    const next = t.charAt(sp.length);
    if (next === '' || next === ' ' || (next >= '0' && next <= '9')) return fam;
  }
  return null;
}

const ALTERNATIVES = /\s+or\s+|,/i;
/** "(or ...)" clauses; no nesting inside, so the match is linear. */
const OR_CLAUSE = /\(or\s+([^()]*)\)/gi;

/** The families a label's name and flavor name (see the file comment). */
export function labelFamilies(name: string, flavor: string | null): OsFamily[] {
  const out: OsFamily[] = [];
  const add = (f: OsFamily | null): void => {
    if (f && !out.includes(f)) out.push(f);
  };
  for (const part of name.split(ALTERNATIVES)) add(familyOfName(part));
  if (flavor) for (const m of flavor.matchAll(OR_CLAUSE)) for (const alt of m[1]!.split(ALTERNATIVES)) add(leadingFamily(alt));
  return out;
}

const cache = new WeakMap<Label, readonly OsFamily[]>();

/** The families an OS label is compatible with; [] for userland labels and names pof does not know. */
export function familiesOf(label: Label): readonly OsFamily[] {
  let f = cache.get(label);
  if (!f) {
    f = label.cls === null ? [] : Object.freeze(labelFamilies(label.name, label.flavor));
    cache.set(label, f);
  }
  return f;
}

/** A label that names two or more families because their stacks look the same. */
export function isMerged(label: Label): boolean {
  return familiesOf(label).length > 1;
}

/**
 * The family whose TCP/IP stack a system uses, where it is another one's:
 * ChromeOS runs Linux with the kernel's own defaults, and no SYN difference
 * from desktop Linux is known, so TCP can only ever say "Linux" for it.
 * Android is not mapped: its SYN usually differs (see signatures/pof.fp),
 * and signatures that Android shares with Linux say so in their labels.
 */
export function stackFamily(f: OsFamily): OsFamily {
  return f === 'chromeos' ? 'linux' : f;
}

/**
 * Whether what a User-Agent says (one or more families; CFNetwork/Darwin
 * agents say "macOS or iOS") can be the system behind a TCP verdict's
 * families. Empty on either side means no evidence: false.
 */
export function osAgrees(ua: readonly OsFamily[], tcp: readonly OsFamily[]): boolean {
  return ua.some((u) => tcp.includes(u) || tcp.includes(stackFamily(u)));
}
