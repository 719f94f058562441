/**
 * The User-Agent parser (fingerprint/ua.ts) on real agents: strings seen
 * in the public captures of pof's dev corpus (marked "dev") and the
 * published agents of current browsers, tools and crawlers; then hostile
 * input: long, deeply nested, many tokens, random bytes.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { parseUserAgent, UA_SCAN_LIMIT, type ClientFamily } from '../../src/fingerprint/ua.js';
import { UA_MAX_ITEMS, UA_MAX_PART, UA_MAX_PRODUCTS, scanUserAgent } from '../../src/fingerprint/ua-scan.js';

interface Case {
  ua: string;
  /** OS families, '-' for none. */
  os: string;
  osVersion?: string | null;
  client: ClientFamily | '-';
  version?: string | null;
  kind?: string;
  engine?: string | null;
}

const CASES: Case[] = [
  // Browsers on Windows
  { ua: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36', os: 'windows', osVersion: '10 or 11', client: 'chrome', version: '126.0.0.0', kind: 'browser', engine: 'blink' },
  { ua: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36 Edg/126.0.2592.87', os: 'windows', client: 'edge', version: '126.0.2592.87', engine: 'blink' },
  { ua: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/70.0.3538.102 Safari/537.36 Edge/18.17763', os: 'windows', client: 'edge', engine: 'edgehtml' },
  { ua: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36 OPR/112.0.0.0', os: 'windows', client: 'opera', engine: 'blink' },
  { ua: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 YaBrowser/24.6.0.0 Safari/537.36', os: 'windows', client: 'yandex' },
  { ua: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0', os: 'windows', client: 'firefox', version: '128.0', engine: 'gecko' },
  { ua: 'Mozilla/5.0 (Windows NT 6.3; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/63.0.3239.108 Safari/537.36', os: 'windows', osVersion: '8.1', client: 'chrome' }, // dev
  { ua: 'Mozilla/5.0 (Windows NT 6.1; WOW64; Trident/7.0; rv:11.0) like Gecko', os: 'windows', osVersion: '7', client: 'ie', version: '11.0', engine: 'trident' }, // dev
  { ua: 'Mozilla/4.0 (compatible; MSIE 8.0; Windows NT 6.1; Trident/4.0; SLCC2; .NET CLR 2.0.50727; .NET CLR 3.5.30729; .NET CLR 3.0.30729)', os: 'windows', osVersion: '7', client: 'ie', version: '8.0' }, // dev
  { ua: 'Mozilla/4.0 (compatible; MSIE 6.0; Windows NT 5.0)', os: 'windows', osVersion: '2000', client: 'ie', version: '6.0' }, // dev
  { ua: 'Mozilla/5.0 (Windows; U; Windows NT 5.1; en-GB; rv:1.9.0.5) Gecko/2008120122 Firefox/3.0.5', os: 'windows', osVersion: 'XP', client: 'firefox', version: '3.0.5' }, // dev
  { ua: 'Mozilla/5.0 (Windows; U; Windows NT 5.2; en-US) AppleWebKit/534.10 (KHTML, like Gecko) Chrome/8.0.552.224 Safari/534.10', os: 'windows', osVersion: 'XP x64 or Server 2003', client: 'chrome' }, // dev
  { ua: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Slack/4.32.122 Chrome/112.0.5615.183 Electron/24.1.2 Safari/537.36 Sonic Slack_SSB/4.32.122', os: 'windows', client: 'electron', kind: 'app' }, // dev
  { ua: 'Mozilla/4.0 (Windows XP 5.1) Java/1.6.0_05', os: 'windows', client: 'java', version: '1.6.0_05', kind: 'library' }, // dev
  { ua: 'Microsoft BITS/7.0', os: 'windows', client: 'windows-http', version: '7.0' }, // dev
  { ua: 'Microsoft-CryptoAPI/10.0', os: 'windows', client: 'windows-http' }, // dev
  { ua: 'Microsoft-Delivery-Optimization/10.0', os: 'windows', client: 'windows-http' }, // dev
  { ua: 'WinHTTP loader/1.0', os: 'windows', client: 'windows-http' }, // dev
  { ua: 'Microsoft Internet Explorer', os: 'windows', client: 'ie' }, // dev
  { ua: 'Microsoft NCSI', os: 'windows', client: 'windows-http' },
  { ua: 'Mozilla/5.0 (Windows NT; Windows NT 10.0; en-US) WindowsPowerShell/5.1.22621.2506', os: 'windows', client: 'powershell', kind: 'tool' },
  // macOS
  { ua: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15', os: 'macos', osVersion: '10.15.7', client: 'safari', version: '17.5', engine: 'webkit' }, // dev
  { ua: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_12_4) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/56.0.2924.87 Safari/537.36', os: 'macos', osVersion: '10.12.4', client: 'chrome', engine: 'blink' }, // dev
  { ua: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10.12; rv:54.0) Gecko/20100101 Firefox/54.0', os: 'macos', osVersion: '10.12', client: 'firefox' }, // dev
  { ua: 'Mozilla/5.0 (Macintosh; U; PPC Mac OS X Mach-O; en-US; rv:1.8.0.1) Gecko/20060111 Firefox/1.5.0.1', os: 'macos', osVersion: null, client: 'firefox' }, // dev
  { ua: 'Mozilla/5.0 (Macintosh; U; Intel Mac OS X 10.5; en; rv:1.9.0.15pre) Gecko/2009091516 Camino/2.0b4 (like Firefox/3.0.15pre)', os: 'macos', client: 'other', engine: 'gecko' }, // dev
  { ua: 'curl/7.24.0 (x86_64-apple-darwin12.0) libcurl/7.24.0 OpenSSL/0.9.8y zlib/1.2.5', os: 'macos', client: 'curl', version: '7.24.0', kind: 'tool' }, // dev
  { ua: 'curl/7.16.3 (powerpc-apple-darwin9.0) libcurl/7.16.3 OpenSSL/0.9.7l zlib/1.2.3', os: 'macos', client: 'curl' }, // dev
  { ua: 'Wget/1.16.3 (darwin14.1.0)', os: 'macos', client: 'wget', version: '1.16.3' }, // dev
  // iOS, iPadOS
  { ua: 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1', os: 'ios', osVersion: '17.5', client: 'safari', version: '17.5' },
  { ua: 'Mozilla/5.0 (iPad; CPU OS 12_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148', os: 'ios', osVersion: '12.2', client: 'safari', kind: 'app', engine: 'webkit' },
  { ua: 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/126.0.6478.54 Mobile/15E148 Safari/604.1', os: 'ios', client: 'chrome', engine: 'webkit' },
  { ua: 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) FxiOS/127.0 Mobile/15E148 Safari/605.1.15', os: 'ios', client: 'firefox', engine: 'webkit' },
  { ua: 'AppleCoreMedia/1.0.0.14C92 (iPhone; U; CPU OS 10_2 like Mac OS X; en_us)', os: 'ios', osVersion: '10.2', client: 'cfnetwork' }, // dev
  { ua: 'Argo/9.1.0 (iPhone; iOS 10.2; Scale/2.00)', os: 'ios', osVersion: '10.2', client: 'other', version: '9.1.0' }, // dev
  { ua: 'Argo/900 CFNetwork/808.2.16 Darwin/16.3.0', os: 'macos|ios', osVersion: 'Darwin 16.3.0', client: 'cfnetwork', version: '808.2.16' }, // dev
  { ua: 'CaptiveNetworkSupport-407.0.1 wispr', os: 'macos|ios', client: 'other' },
  // iPadOS 13+ asks for desktop pages with a Mac agent: the claim is macOS.
  { ua: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/16.6 Safari/605.1.15', os: 'macos', client: 'safari' },
  // Android
  { ua: 'Mozilla/5.0 (Linux; Android 9; Nokia 2.2) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/79.0.3945.93 Mobile Safari/537.36', os: 'android', osVersion: '9', client: 'chrome', kind: 'browser' }, // dev
  { ua: 'Mozilla/5.0 (Linux; Android 11; SM-A715F Build/RP1A.200720.012; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/89.0.4389.105 Mobile Safari/537.36', os: 'android', osVersion: '11', client: 'chrome', kind: 'app' }, // dev
  { ua: 'Mozilla/5.0 (Linux; Android 14; SAMSUNG SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/25.0 Chrome/121.0.0.0 Mobile Safari/537.36', os: 'android', client: 'samsung' },
  { ua: 'Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36 EdgA/126.0.0.0', os: 'android', client: 'edge' },
  { ua: 'Mozilla/5.0 (Android 14; Mobile; rv:128.0) Gecko/128.0 Firefox/128.0', os: 'android', osVersion: '14', client: 'firefox' },
  { ua: 'Mozilla/5.0 (Linux; U; Android 4.0.3; ko-kr; LG-L160L Build/IML74K) AppleWebkit/534.30 (KHTML, like Gecko) Version/4.0 Mobile Safari/534.30', os: 'android', osVersion: '4.0.3', client: 'android-browser' },
  { ua: 'Dalvik/1.6.0 (Linux; U; Android 4.4.4; MI 3W MIUI/V6.4.3.0.KXDMICB)', os: 'android', osVersion: '4.4.4', client: 'dalvik' }, // dev
  { ua: 'Dalvik/2.1.0 (Linux; U; Android 10; Redmi Note 9 Pro MIUI/V12.0.3.0.QJZMIXM)', os: 'android', osVersion: '10', client: 'dalvik' }, // dev
  { ua: 'okhttp/4.12.0', os: '-', client: 'okhttp', kind: 'library' },
  // Linux, ChromeOS, BSDs
  { ua: 'Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:89.0) Gecko/20100101 Firefox/89.0', os: 'linux', client: 'firefox' }, // dev
  { ua: 'Mozilla/5.0 (X11; U; Linux i686; en-US; rv:1.9.1.8) Gecko/20100214 Ubuntu/9.10 (karmic) Firefox/3.5.8', os: 'linux', client: 'firefox', version: '3.5.8' }, // dev
  { ua: 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/84.0.4147.105 Safari/537.36', os: 'linux', client: 'chrome' }, // dev
  { ua: 'curl/7.9.5 (i586-pc-linux-gnu) libcurl 7.9.5 (ipv6 enabled)', os: 'linux', client: 'curl', version: '7.9.5' }, // dev
  { ua: 'Wget/1.21.2 (linux-gnu)', os: 'linux', client: 'wget' },
  { ua: 'uclient-fetch', os: 'linux', client: 'uclient-fetch' }, // dev
  { ua: 'Debian APT-HTTP/1.3 (2.6.1)', os: 'linux', client: 'other' },
  { ua: 'Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36', os: 'chromeos', osVersion: '14541.0.0', client: 'chrome' },
  { ua: 'Mozilla/5.0 (X11; FreeBSD amd64; rv:128.0) Gecko/20100101 Firefox/128.0', os: 'freebsd', client: 'firefox' },
  { ua: 'Mozilla/5.0 (X11; OpenBSD amd64; rv:128.0) Gecko/20100101 Firefox/128.0', os: 'openbsd', client: 'firefox' },
  { ua: 'Mozilla/5.0 (X11; SunOS i86pc; rv:52.0) Gecko/20100101 Firefox/52.0', os: 'solaris', client: 'firefox' },
  { ua: 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/126.0.6478.126 Safari/537.36', os: 'linux', client: 'chrome', kind: 'tool' },
  { ua: 'Opera/9.80 (Windows NT 6.1; WOW64) Presto/2.12.388 Version/12.18', os: 'windows', client: 'opera', version: '12.18', engine: 'presto' },
  // Libraries and tools without an OS
  { ua: 'curl/8.7.1', os: '-', client: 'curl', version: '8.7.1' }, // dev
  { ua: 'Wget/1.21.1', os: '-', client: 'wget' }, // dev
  { ua: 'python-requests/2.32.3', os: '-', client: 'python-requests', version: '2.32.3', kind: 'library' },
  { ua: 'Python-urllib/3.12', os: '-', client: 'python-urllib' }, // dev
  { ua: 'Python/3.10 websockets/12.0', os: '-', client: 'python' }, // dev
  { ua: 'Python/3.12 aiohttp/3.9.5', os: '-', client: 'python-aiohttp' },
  { ua: 'python-httpx/0.27.0', os: '-', client: 'python-httpx' },
  { ua: 'Go-http-client/1.1', os: '-', client: 'go-http-client', version: '1.1' },
  { ua: 'Java/17.0.11', os: '-', client: 'java' },
  { ua: 'Apache-HttpClient/4.5.14 (Java/17.0.11)', os: '-', client: 'apache-httpclient' },
  { ua: 'node-fetch/1.0 (+https://github.com/bitinn/node-fetch)', os: '-', client: 'node' },
  { ua: 'axios/1.7.2', os: '-', client: 'node' },
  { ua: 'node', os: '-', client: 'node' },
  { ua: 'libwww-perl/6.77', os: '-', client: 'perl' },
  { ua: 'HTTPie/3.2.2', os: '-', client: 'httpie', kind: 'tool' },
  { ua: 'PostmanRuntime/7.39.0', os: '-', client: 'postman' },
  { ua: 'VLC/3.0.16 LibVLC/3.0.16', os: '-', client: 'other', version: '3.0.16' }, // dev
  { ua: 'Crafted/1.0 (HTTP)', os: '-', client: 'other' }, // dev
  { ua: 'Mozilla/5.0', os: '-', client: 'other' }, // dev
  { ua: '**', os: '-', client: 'other' }, // dev
  // Crawlers and scanners
  { ua: 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)', os: '-', client: 'bot', version: '2.1', kind: 'bot' },
  { ua: 'Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.6478.126 Mobile Safari/537.36 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)', os: 'android', client: 'bot' },
  { ua: 'Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)', os: '-', client: 'bot' },
  { ua: 'Mozilla/5.0 (compatible; Baiduspider/2.0; +http://www.baidu.com/search/spider.html)', os: '-', client: 'bot' },
  { ua: 'facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)', os: '-', client: 'bot' },
  { ua: 'Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GPTBot/1.2; +https://openai.com/gptbot)', os: '-', client: 'bot' },
  { ua: 'Mozilla/5.0 (Linux; Android 12; CUBOT X50) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36', os: 'android', client: 'chrome' },
  { ua: 'Mozilla/5.0 zgrab/0.x', os: '-', client: 'scanner', kind: 'scanner' }, // dev
  { ua: 'Mozilla/5.0 (compatible; Nmap Scripting Engine; https://nmap.org/book/nse.html)', os: '-', client: 'scanner' },
  { ua: 'sqlmap/1.8#stable (https://sqlmap.org)', os: '-', client: 'scanner' },
];

describe('parseUserAgent on real agents', () => {
  for (const c of CASES) {
    test(c.ua.length > 90 ? c.ua.slice(0, 90) + '...' : c.ua, () => {
      const r = parseUserAgent(c.ua);
      assert.equal(r.os ? r.os.families.join('|') : '-', c.os, 'os');
      if ('osVersion' in c) assert.equal(r.os?.version ?? null, c.osVersion, 'os version');
      assert.equal(r.client?.family ?? '-', c.client, 'client');
      if ('version' in c) assert.equal(r.client?.version ?? null, c.version, 'client version');
      if (c.kind) assert.equal(r.client?.kind, c.kind, 'kind');
      if ('engine' in c) assert.equal(r.client?.engine ?? null, c.engine, 'engine');
      assert.equal(r.probe, null);
      assert.equal(r.truncated, false);
    });
  }
});

describe("Android's connectivity-check agent", () => {
  test('is reported as what it claims, with the probe that really sends it', () => {
    // dev: the phone in a capture sends it to captive.apple.com beside its Android 9 agents.
    const r = parseUserAgent('Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/60.0.3112.32 Safari/537.36');
    assert.deepEqual(r.os?.families, ['linux']);
    assert.equal(r.client?.family, 'chrome');
    assert.equal(r.probe?.os, 'android');
    assert.match(r.probe!.what, /connectivity check/);
  });

  test('only the exact string is the probe', () => {
    assert.equal(parseUserAgent('Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/60.0.3112.113 Safari/537.36').probe, null);
  });
});

describe('hostile input', () => {
  test('empty, blank and non-string input give nothing', () => {
    for (const v of ['', '   ', undefined, null, 42, {}] as unknown[]) {
      const r = parseUserAgent(v as string);
      assert.deepEqual(r, { os: null, client: null, probe: null, truncated: false });
    }
  });

  test(`only the first ${UA_SCAN_LIMIT} characters are read`, () => {
    const r = parseUserAgent(' '.repeat(UA_SCAN_LIMIT) + 'Mozilla/5.0 (Windows NT 10.0) Chrome/120');
    assert.equal(r.truncated, true);
    assert.equal(r.os, null);
    assert.equal(r.client, null);
    const early = parseUserAgent('Mozilla/5.0 (Windows NT 10.0) Chrome/120 ' + 'x'.repeat(5 * UA_SCAN_LIMIT));
    assert.equal(early.truncated, true);
    assert.deepEqual(early.os?.families, ['windows']);
  });

  test('token and item counts and sizes are capped', () => {
    const many = scanUserAgent('a/1 '.repeat(400) + '(' + 'x;'.repeat(400) + ')');
    assert.equal(many.products.length, UA_MAX_PRODUCTS);
    assert.ok(many.items.length <= UA_MAX_ITEMS);
    const long = scanUserAgent('A'.repeat(900) + ' (' + 'B'.repeat(900));
    for (const p of long.products) assert.ok(p.name.length <= UA_MAX_PART);
    for (const it of long.items) assert.ok(it.text.length <= UA_MAX_PART);
  });

  test('deep nesting and unbalanced parentheses', () => {
    const deep = parseUserAgent('('.repeat(5000) + 'Windows NT 10.0' + ')'.repeat(5000));
    assert.equal(deep.truncated, true);
    assert.equal(parseUserAgent(')))) Chrome/1 ((( Windows NT 6.1; ').client?.family, 'chrome');
    assert.deepEqual(parseUserAgent(')))) Chrome/1 ((( Windows NT 6.1; ').os?.families, ['windows']);
  });

  test('never throws, always returns the documented shape (random strings)', () => {
    const piece = fc.oneof(
      fc.constantFrom('(', ')', ';', '/', ' ', 'Windows NT ', 'Android', 'iPhone', 'Chrome/', 'Firefox/', 'bot', 'Mac OS X ', '_', '.', 'CrOS', 'Darwin/'),
      fc.string({ maxLength: 8 }),
      fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)),
    );
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 300 }), (parts) => {
        const r = parseUserAgent(parts.join(''));
        assert.ok(r.os === null || (r.os.families.length >= 1 && r.os.families.length <= 2));
        assert.ok(r.client === null || typeof r.client.name === 'string');
        assert.ok(r.client === null || r.client.name.length <= UA_MAX_PART);
      }),
      { numRuns: 2000 },
    );
  });
});
