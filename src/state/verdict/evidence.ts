/**
 * Building a verdict's inputs from what the engine reports: a SYN's
 * matched label (observation.ts TcpMatchInfo) and an HTTP application
 * label's `sys` list.
 */
import { familyOfName, labelFamilies, type OsFamily } from '../../db/families.js';
import type { SysEntry } from '../../db/types.js';
import type { TcpMatchInfo } from '../../observation.js';
import type { TcpEvidence } from './types.js';

/** The TCP layer's evidence from a SYN's match; null when nothing matched. */
export function tcpEvidence(m: TcpMatchInfo | null | undefined): TcpEvidence | null {
  if (!m) return null;
  return {
    label: m.flavor ? `${m.name} ${m.flavor}` : m.name,
    families: m.userland ? [] : labelFamilies(m.name, m.flavor),
    userland: m.userland,
    generic: m.generic,
    fuzzy: m.fuzzy,
  };
}

/**
 * The OS families an HTTP application runs on, from its label's `sys`
 * list, when that list names only OSes pof knows; null when it is open
 * (an @class entry such as @unix) or names something else.
 */
export function appFamilies(sys: readonly SysEntry[]): OsFamily[] | null {
  const out: OsFamily[] = [];
  for (const s of sys) {
    if (s.kind !== 'name') return null;
    const f = familyOfName(s.name);
    if (f === null) return null;
    if (!out.includes(f)) out.push(f);
  }
  return out.length > 0 ? out : null;
}

/** Whether a request's headers say it came through a proxy: Via, X-Forwarded-For or Forwarded. */
export function proxiedBy(headerNames: Iterable<string>): boolean {
  for (const n of headerNames) {
    const l = n.toLowerCase();
    if (l === 'via' || l === 'x-forwarded-for' || l === 'forwarded') return true;
  }
  return false;
}
