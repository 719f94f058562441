/**
 * The OS a User-Agent names, from its comment items ("Windows NT 10.0",
 * "Linux; Android 9", "CPU iPhone OS 17_5 like Mac OS X", curl's and
 * Wget's build triplets "x86_64-apple-darwin12.0", "linux-gnu") and a few
 * product tokens that only one OS sends (CFNetwork, Darwin,
 * Microsoft-CryptoAPI, Debian's APT-HTTP).
 *
 * The most specific claim wins, in this order: Android, iOS, ChromeOS,
 * Windows, macOS, the BSDs, Solaris, Linux. Android and ChromeOS agents
 * also say "Linux", iOS agents "like Mac OS X".
 */
import type { OsFamily } from '../db/families.js';
import type { UaItem, UaProduct, UaScan } from './ua-scan.js';

export interface UaOs {
  /**
   * What the agent claims: one family, or two where the agent cannot tell
   * (CFNetwork/Darwin agents run on both macOS and iOS: [macos, ios]).
   */
  families: readonly OsFamily[];
  /** Release as the agent gives it ("10.15.7", "17.5", "9", "10 or 11" for NT 10.0), or null. */
  version: string | null;
}

const APPLE: readonly OsFamily[] = ['macos', 'ios'];

/** Digits, '.' and '_' (read as '.') from position i; null if none. */
function versionAt(s: string, i: number): string | null {
  let j = i;
  while (j < s.length && j - i < 24) {
    const c = s.charAt(j);
    if (!((c >= '0' && c <= '9') || c === '.' || c === '_')) break;
    j++;
  }
  let v = s.slice(i, j).replace(/_/g, '.');
  while (v.endsWith('.')) v = v.slice(0, -1);
  return v === '' ? null : v;
}

/** The version after the first occurrence of `marker` in an item, or null. */
function after(t: string, marker: string): string | null {
  const k = t.indexOf(marker);
  return k < 0 ? null : versionAt(t, k + marker.length);
}

const NT: Readonly<Record<string, string>> = {
  '10.0': '10 or 11',
  '6.4': '10 preview',
  '6.3': '8.1',
  '6.2': '8',
  '6.1': '7',
  '6.0': 'Vista',
  '5.2': 'XP x64 or Server 2003',
  '5.1': 'XP',
  '5.01': '2000',
  '5.0': '2000',
  '4.0': 'NT 4.0',
};

const one = (f: OsFamily, version: string | null): UaOs => ({ families: [f], version });

function find(items: readonly UaItem[], test: (t: string) => boolean): UaItem | undefined {
  for (const it of items) if (test(it.ltext)) return it;
  return undefined;
}

const WINDOWS_ITEMS = new Set(['windows', 'win64', 'win32', 'wow64', 'win98', 'win95', 'win 9x 4.90', 'winnt']);
const WINDOWS_PRODUCTS = new Set([
  'microsoft-cryptoapi',
  'microsoft-delivery-optimization',
  'windows-update-agent',
  'windowspowershell',
  'microsoft-webdav-miniredir',
  'microsoft-windows',
  'winhttp',
]);
const LINUX_PRODUCTS = new Set(['ubuntu', 'fedora', 'apt-http', 'uclient-fetch']);
const LINUX_ITEMS = ['linux', 'ubuntu', 'fedora', 'debian', 'red hat', 'centos', 'gentoo'];

function isAndroid(t: string): boolean {
  return t === 'android' || t.startsWith('android ') || (t.startsWith('android') && t.charAt(7) >= '0' && t.charAt(7) <= '9');
}

function isIos(t: string): boolean {
  return (
    t.startsWith('iphone') ||
    t.startsWith('ipad') ||
    t.startsWith('ipod') ||
    t.startsWith('cpu iphone os') ||
    t.startsWith('cpu os ') ||
    t.startsWith('ios ') ||
    t === 'ios' ||
    t.startsWith('ipados')
  );
}

function iosVersion(items: readonly UaItem[]): string | null {
  for (const it of items) {
    const t = it.ltext;
    const v = after(t, 'iphone os ') ?? after(t, 'cpu os ') ?? (t.startsWith('ios ') ? versionAt(t, 4) : null) ?? after(t, 'ipados ');
    if (v) return v;
  }
  return null;
}

export function osOf(scan: UaScan, has: (lname: string) => UaProduct | undefined): UaOs | null {
  const { items } = scan;

  const android = find(items, isAndroid);
  if (android) return one('android', versionAt(android.ltext, android.ltext.startsWith('android ') ? 8 : 7));
  if (has('dalvik')) return one('android', null);

  if (find(items, isIos)) return one('ios', iosVersion(items));

  const cros = find(items, (t) => t === 'cros' || t.startsWith('cros '));
  if (cros) {
    const k = cros.ltext.lastIndexOf(' ');
    return one('chromeos', k > 0 ? versionAt(cros.ltext, k + 1) : null);
  }

  const nt = find(items, (t) => t.startsWith('windows nt'));
  if (nt) {
    const v = versionAt(nt.ltext, 11);
    return one('windows', v === null ? null : (NT[v] ?? v));
  }
  const win = find(
    items,
    (t) => WINDOWS_ITEMS.has(t) || t.startsWith('windows ') || t.includes('-pc-win32') || t.includes('mingw') || t.includes('-windows'),
  );
  if (win) return one('windows', win.ltext.startsWith('windows ') ? win.text.slice(8) || null : null);
  for (const p of scan.products) if (WINDOWS_PRODUCTS.has(p.lname)) return one('windows', null);
  // "Microsoft BITS/7.0", "Microsoft NCSI" (the connectivity check),
  // "Microsoft Internet Explorer": Windows components.
  if (has('microsoft') && (has('bits') || has('ncsi') || has('internet'))) return one('windows', null);

  const mac = find(items, (t) => t === 'macintosh' || t.includes('mac os x') || t.startsWith('macos') || t.includes('mac_powerpc'));
  if (mac) {
    let v: string | null = null;
    for (const it of items) v ??= after(it.ltext, 'mac os x ') ?? (it.ltext.startsWith('macos ') ? versionAt(it.ltext, 6) : null);
    return one('macos', v);
  }
  if (find(items, (t) => t.includes('apple-darwin') || (t.startsWith('darwin') && t.charAt(6) >= '0' && t.charAt(6) <= '9'))) {
    return one('macos', null);
  }
  const darwin = has('darwin');
  if (darwin || has('cfnetwork') || scan.products.some((p) => p.lname.startsWith('captivenetworksupport'))) {
    return { families: APPLE, version: darwin?.version ? `Darwin ${darwin.version}` : null };
  }

  for (const [mark, fam] of [
    ['freebsd', 'freebsd'],
    ['openbsd', 'openbsd'],
    ['netbsd', 'netbsd'],
    ['dragonfly', 'dragonfly'],
    ['sunos', 'solaris'],
    ['solaris', 'solaris'],
  ] as const) {
    if (find(items, (t) => t.includes(mark))) return one(fam, null);
  }

  if (find(items, (t) => LINUX_ITEMS.some((m) => t.includes(m)))) return one('linux', null);
  // Ubuntu/9.10 in old Firefox agents, Debian's APT-HTTP, OpenWrt's uclient-fetch.
  for (const p of scan.products) if (LINUX_PRODUCTS.has(p.lname)) return one('linux', null);
  return null;
}
