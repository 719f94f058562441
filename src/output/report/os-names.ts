/**
 * What the charts call the system behind a TCP verdict: its OS family as
 * db/families.ts reads it from the label ("Linux", "Windows"), the
 * families of a merged label joined ("macOS or iOS"), the label's name for
 * an OS label that names no known family, "Tools and scanners" for
 * userland labels (nmap, p0f-sendsyn...), and "Unknown" for no match.
 */
import { labelFamilies, type OsFamily } from '../../db/families.js';
import type { TcpMatchInfo } from '../../observation.js';

export const UNKNOWN = 'Unknown';
export const TOOLS = 'Tools and scanners';

const FAMILY_NAMES: Record<OsFamily, string> = {
  windows: 'Windows',
  macos: 'macOS',
  ios: 'iOS',
  android: 'Android',
  linux: 'Linux',
  chromeos: 'ChromeOS',
  freebsd: 'FreeBSD',
  openbsd: 'OpenBSD',
  netbsd: 'NetBSD',
  dragonfly: 'DragonFly BSD',
  solaris: 'Solaris',
  aix: 'AIX',
  hpux: 'HP-UX',
};

export function familyName(f: OsFamily): string {
  return FAMILY_NAMES[f];
}

/** Buckets by label name, then flavor ('' for none): labels are few, TCP verdicts many. */
const cache = new Map<string, Map<string, string>>();
/** Most label names cached (a database has a few hundred). */
const CACHE_NAMES = 4096;

/** The chart name of a match (see the file comment). */
export function osBucket(m: TcpMatchInfo | null): string {
  if (m === null) return UNKNOWN;
  if (m.userland || m.cls === null) return TOOLS;
  let byFlavor = cache.get(m.name);
  if (byFlavor === undefined) {
    if (cache.size >= CACHE_NAMES) cache.clear();
    cache.set(m.name, (byFlavor = new Map()));
  }
  const fk = m.flavor ?? '';
  let b = byFlavor.get(fk);
  if (b === undefined) {
    const fams = labelFamilies(m.name, m.flavor);
    b = fams.length === 0 ? m.name : fams.map(familyName).join(' or ');
    if (byFlavor.size < CACHE_NAMES) byFlavor.set(fk, b);
  }
  return b;
}
