/**
 * What a User-Agent claims: the OS family (and release, where the string
 * gives it) and the client (browser, library, tool, bot), for comparison
 * with what TCP, TLS and HTTP fingerprints say about the same connection.
 *
 * pof's own parser rather than a library such as ua-parser-js: a sensor
 * reads User-Agents that attackers write, on the packet path, so the
 * parser must be bounded (UA_SCAN_LIMIT characters, capped token counts,
 * no backtracking regular expressions: one linear scan, then lookups) and
 * must never throw; it needs only OS and client families, not device
 * models, which are what make the big parsers large, change often and have
 * had ReDoS advisories. The tables here are small and say where each rule
 * comes from.
 *
 * A claim is reported as made: an agent that says "Windows NT 10.0" gives
 * windows even from a Linux box. What the claim is worth is the verdict's
 * business; `probe` marks fixed strings known to be sent by an OS
 * component whatever OS they name.
 */
import type { OsFamily } from '../db/families.js';
import { osOf, type UaOs } from './ua-os.js';
import { scanUserAgent, type UaProduct, type UaScan } from './ua-scan.js';

export type { UaOs } from './ua-os.js';
export { UA_SCAN_LIMIT } from './ua-scan.js';

export type ClientFamily =
  // Browsers
  | 'chrome'
  | 'chromium'
  | 'edge'
  | 'opera'
  | 'samsung'
  | 'yandex'
  | 'vivaldi'
  | 'uc'
  | 'electron'
  | 'firefox'
  | 'safari'
  | 'ie'
  | 'android-browser'
  // Tools and libraries
  | 'curl'
  | 'wget'
  | 'httpie'
  | 'powershell'
  | 'python-requests'
  | 'python-urllib'
  | 'python-httpx'
  | 'python-aiohttp'
  | 'python'
  | 'go-http-client'
  | 'java'
  | 'apache-httpclient'
  | 'okhttp'
  | 'dalvik'
  | 'cfnetwork'
  | 'windows-http'
  | 'uclient-fetch'
  | 'node'
  | 'perl'
  | 'php'
  | 'ruby'
  | 'postman'
  // Others
  | 'bot'
  | 'scanner'
  | 'other';

export type ClientKind = 'browser' | 'app' | 'tool' | 'library' | 'bot' | 'scanner' | 'other';

/** Browser engine; 'blink' covers every Chromium-based browser. */
export type Engine = 'blink' | 'gecko' | 'webkit' | 'trident' | 'edgehtml' | 'presto';

export interface UaClient {
  family: ClientFamily;
  /** The product as the agent spells it: 'Chrome', 'Googlebot', 'Crafted'. */
  name: string;
  version: string | null;
  kind: ClientKind;
  engine: Engine | null;
}

/** A fixed string that an OS component sends whatever OS it names. */
export interface UaProbe {
  what: string;
  /** The OS that sends it. */
  os: OsFamily;
}

export interface UserAgentInfo {
  os: UaOs | null;
  client: UaClient | null;
  probe: UaProbe | null;
  /** Only the first UA_SCAN_LIMIT characters were read. */
  truncated: boolean;
}

/**
 * Android's NetworkMonitor probes connectivity (generate_204, captive
 * portals) with a constant desktop-Linux Chrome agent: Chrome 52 from
 * Android 7.1, Chrome 60 from Android 8 (DEFAULT_USER_AGENT in AOSP's
 * NetworkMonitor). Scripts copy these strings too.
 */
const PROBES: ReadonlyMap<string, UaProbe> = new Map([
  [
    'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/60.0.3112.32 Safari/537.36',
    { what: "Android's connectivity check (NetworkMonitor, Android 8 and later)", os: 'android' },
  ],
  [
    'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/52.0.2743.82 Safari/537.36',
    { what: "Android's connectivity check (NetworkMonitor, Android 7.1)", os: 'android' },
  ],
]);

interface Brand {
  token: string;
  family: ClientFamily;
  name: string;
  engine: Engine;
  kind?: ClientKind;
}

/** Browser brand tokens, most specific first (Edge and Opera also say Chrome; Chrome also says Safari). */
const BRANDS: readonly Brand[] = [
  { token: 'edgios', family: 'edge', name: 'Edge', engine: 'webkit' },
  { token: 'edga', family: 'edge', name: 'Edge', engine: 'blink' },
  { token: 'edg', family: 'edge', name: 'Edge', engine: 'blink' },
  { token: 'edge', family: 'edge', name: 'Edge', engine: 'edgehtml' },
  { token: 'opios', family: 'opera', name: 'Opera', engine: 'webkit' },
  { token: 'opr', family: 'opera', name: 'Opera', engine: 'blink' },
  { token: 'opt', family: 'opera', name: 'Opera', engine: 'blink' },
  { token: 'samsungbrowser', family: 'samsung', name: 'Samsung Internet', engine: 'blink' },
  { token: 'yabrowser', family: 'yandex', name: 'Yandex Browser', engine: 'blink' },
  { token: 'vivaldi', family: 'vivaldi', name: 'Vivaldi', engine: 'blink' },
  { token: 'ucbrowser', family: 'uc', name: 'UC Browser', engine: 'blink' },
  { token: 'electron', family: 'electron', name: 'Electron', engine: 'blink', kind: 'app' },
  { token: 'headlesschrome', family: 'chrome', name: 'HeadlessChrome', engine: 'blink', kind: 'tool' },
  { token: 'crios', family: 'chrome', name: 'Chrome', engine: 'webkit' },
  { token: 'fxios', family: 'firefox', name: 'Firefox', engine: 'webkit' },
  { token: 'chromium', family: 'chromium', name: 'Chromium', engine: 'blink' },
  { token: 'chrome', family: 'chrome', name: 'Chrome', engine: 'blink' },
  { token: 'firefox', family: 'firefox', name: 'Firefox', engine: 'gecko' },
  { token: 'iceweasel', family: 'firefox', name: 'Iceweasel', engine: 'gecko' },
];

/** Libraries and tools by product token. 'python' alone is the fallback for Python agents. */
const LIBRARIES: ReadonlyMap<string, readonly [ClientFamily, ClientKind]> = new Map([
  ['curl', ['curl', 'tool']],
  ['wget', ['wget', 'tool']],
  ['httpie', ['httpie', 'tool']],
  ['windowspowershell', ['powershell', 'tool']],
  ['python-requests', ['python-requests', 'library']],
  ['python-urllib', ['python-urllib', 'library']],
  ['python-httpx', ['python-httpx', 'library']],
  ['aiohttp', ['python-aiohttp', 'library']],
  ['go-http-client', ['go-http-client', 'library']],
  ['java', ['java', 'library']],
  ['apache-httpclient', ['apache-httpclient', 'library']],
  ['okhttp', ['okhttp', 'library']],
  ['dalvik', ['dalvik', 'library']],
  ['cfnetwork', ['cfnetwork', 'library']],
  ['applecoremedia', ['cfnetwork', 'library']],
  ['microsoft-cryptoapi', ['windows-http', 'library']],
  ['microsoft-delivery-optimization', ['windows-http', 'library']],
  ['windows-update-agent', ['windows-http', 'library']],
  ['winhttp', ['windows-http', 'library']],
  ['uclient-fetch', ['uclient-fetch', 'tool']],
  ['node-fetch', ['node', 'library']],
  ['axios', ['node', 'library']],
  ['undici', ['node', 'library']],
  ['node', ['node', 'library']],
  ['got', ['node', 'library']],
  ['libwww-perl', ['perl', 'library']],
  ['lwp-trivial', ['perl', 'library']],
  ['php', ['php', 'library']],
  ['ruby', ['ruby', 'library']],
  ['postmanruntime', ['postman', 'tool']],
]);

const SCANNERS = new Set([
  'zgrab',
  'masscan',
  'zmap',
  'nmap',
  'nmap scripting engine',
  'sqlmap',
  'nikto',
  'nuclei',
  'wpscan',
  'wfuzz',
  'gobuster',
  'dirbuster',
  'feroxbuster',
  'ffuf',
  'nessus',
  'openvas',
  'censysinspect',
  'l9explore',
]);

/** Tokens every browser-like agent carries; the fallback names the first other product. */
const GENERIC = new Set(['mozilla', 'applewebkit', 'gecko', 'khtml', 'like', 'safari', 'version', 'mobile']);

const KNOWN_BOTS = new Set(['facebookexternalhit', 'slurp', 'yahoo! slurp', 'ia_archiver', 'mediapartners-google', 'bingpreview']);
/** Names that end like a bot's but are not (Cubot is a phone maker). */
const NOT_BOTS = new Set(['cubot']);

function isBotName(n: string): boolean {
  if (n.length < 4 || NOT_BOTS.has(n)) return false;
  return KNOWN_BOTS.has(n) || n.endsWith('bot') || n.includes('bot-') || n.includes('spider') || n.includes('crawler');
}

interface Named {
  name: string;
  lname: string;
  version: string | null;
}

/** A scanner's or a bot's name among the products, then the comment items (read up to their first '/'); scanners first. */
function crawler(scan: UaScan): UaClient | null {
  let bot: Named | null = null;
  const check = (n: Named): UaClient | null => {
    if (SCANNERS.has(n.lname)) return { family: 'scanner', name: n.name, version: n.version, kind: 'scanner', engine: null };
    if (!bot && isBotName(n.lname)) bot = n;
    return null;
  };
  for (const p of scan.products) {
    const hit = check(p);
    if (hit) return hit;
  }
  for (const it of scan.items) {
    const k = it.text.indexOf('/');
    const lk = it.ltext.indexOf('/');
    const hit = check({
      name: (k < 0 ? it.text : it.text.slice(0, k)).trim(),
      lname: (lk < 0 ? it.ltext : it.ltext.slice(0, lk)).trim(),
      version: k < 0 ? null : it.text.slice(k + 1) || null,
    });
    if (hit) return hit;
  }
  const b = bot as Named | null;
  return b ? { family: 'bot', name: b.name, version: b.version, kind: 'bot', engine: null } : null;
}

function clientOf(scan: UaScan, has: (lname: string) => UaProduct | undefined, os: UaOs | null): UaClient | null {
  const c = crawler(scan);
  if (c) return c;

  const opera = has('opera');
  if (opera && has('presto')) return { family: 'opera', name: 'Opera', version: has('version')?.version ?? opera.version, kind: 'browser', engine: 'presto' };
  for (const b of BRANDS) {
    const p = has(b.token);
    if (!p) continue;
    const webview = b.family === 'chrome' && scan.items.some((it) => it.ltext === 'wv');
    return { family: b.family, name: b.name, version: p.version, kind: b.kind ?? (webview ? 'app' : 'browser'), engine: b.engine };
  }
  for (const it of scan.items) {
    if (it.ltext.startsWith('msie ')) return { family: 'ie', name: 'Internet Explorer', version: it.text.slice(5).trim() || null, kind: 'browser', engine: 'trident' };
  }
  if (scan.items.some((it) => it.ltext.startsWith('trident/'))) {
    const rv = scan.items.find((it) => it.ltext.startsWith('rv:'));
    return { family: 'ie', name: 'Internet Explorer', version: rv ? rv.text.slice(3) : null, kind: 'browser', engine: 'trident' };
  }
  const webkit = has('applewebkit');
  const apple = os !== null && os.families.every((f) => f === 'macos' || f === 'ios');
  if (webkit && has('safari') && has('version')) {
    if (os?.families[0] === 'android') return { family: 'android-browser', name: 'Android Browser', version: has('version')!.version, kind: 'browser', engine: 'webkit' };
    return { family: 'safari', name: 'Safari', version: has('version')!.version, kind: 'browser', engine: 'webkit' };
  }
  if (webkit && apple) return { family: 'safari', name: 'WebKit', version: webkit.version, kind: 'app', engine: 'webkit' };

  let python: UaProduct | undefined;
  for (const p of scan.products) {
    if (p.lname === 'python') {
      python ??= p;
      continue;
    }
    const lib = LIBRARIES.get(p.lname);
    if (lib) return { family: lib[0], name: p.name, version: p.version, kind: lib[1], engine: null };
  }
  if (has('microsoft') && has('bits')) return { family: 'windows-http', name: 'Microsoft BITS', version: has('bits')!.version, kind: 'library', engine: null };
  if (has('microsoft') && has('ncsi')) return { family: 'windows-http', name: 'Microsoft NCSI', version: null, kind: 'library', engine: null };
  if (has('microsoft') && has('internet') && has('explorer')) return { family: 'ie', name: 'Internet Explorer', version: null, kind: 'browser', engine: 'trident' };
  for (const it of scan.items) {
    if (it.ltext.startsWith('windowspowershell/')) return { family: 'powershell', name: 'WindowsPowerShell', version: it.text.slice(18) || null, kind: 'tool', engine: null };
  }
  if (python) return { family: 'python', name: python.name, version: python.version, kind: 'library', engine: null };
  const first = scan.products.find((p) => !GENERIC.has(p.lname)) ?? scan.products[0];
  if (first) return { family: 'other', name: first.name, version: first.version, kind: 'other', engine: has('gecko') ? 'gecko' : webkit ? 'webkit' : null };
  const item = scan.items[0];
  return item ? { family: 'other', name: item.text, version: null, kind: 'other', engine: null } : null;
}

const NOTHING: UserAgentInfo = Object.freeze({ os: null, client: null, probe: null, truncated: false });

/** Reads a User-Agent value. Never throws; empty or non-string input gives all nulls. */
export function parseUserAgent(ua: string): UserAgentInfo {
  if (typeof ua !== 'string' || ua.trim() === '') return NOTHING;
  const scan = scanUserAgent(ua);
  const byName = new Map<string, UaProduct>();
  for (const p of scan.products) if (!byName.has(p.lname)) byName.set(p.lname, p);
  const has = (lname: string): UaProduct | undefined => byName.get(lname);
  const os = osOf(scan, has);
  return { os, client: clientOf(scan, has, os), probe: PROBES.get(ua.trim()) ?? null, truncated: scan.truncated };
}
