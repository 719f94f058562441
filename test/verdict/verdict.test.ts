import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { familiesOf, isMerged, type OsFamily } from '../../src/db/families.js';
import { DEFAULT_SIGNATURES, loadSignatures } from '../../src/db/load.js';
import { DEFAULT_TLS_DB, loadTlsDb } from '../../src/db/tls-load.js';
import type { Label } from '../../src/db/types.js';
import { buildTlsIndex, labelTls } from '../../src/fingerprint/tls/label.js';
import { parseUserAgent } from '../../src/fingerprint/ua.js';
import { appFamilies, tcpEvidence } from '../../src/state/verdict/evidence.js';
import type { HttpEvidence, TcpEvidence, VerdictInput } from '../../src/state/verdict/types.js';
import { verdictOf } from '../../src/state/verdict/verdict.js';
import { startTap, type Tap } from '../tls-db/tap.js';

const db = loadSignatures(DEFAULT_SIGNATURES);
const tlsIdx = buildTlsIndex(loadTlsDb(DEFAULT_TLS_DB));

/** The first [tcp:request] label of pof.fp with this name and flavor text in it. */
function synLabel(name: string, flavorHas = ''): Label {
  const s = db.tcpRequest.find((x) => x.label.name === name && (x.label.flavor ?? '').includes(flavorHas));
  assert.ok(s, `no ${name} ${flavorHas} label in pof.fp`);
  return s.label;
}
function tcpOf(l: Label, fuzzy = false): TcpEvidence {
  return tcpEvidence({ name: l.name, flavor: l.flavor, cls: l.cls, userland: l.cls === null, generic: l.generic, fuzzy, line: l.line })!;
}
const tls = (ja4: string) => labelTls(tlsIdx, ja4);
const CHROME_TLS = 't13d1516h2_8daaf6152771_e5627efa2ab1';
const CURL_TLS = 't13d3112h2_e8f1e7e78f70_b26ce05bbdd6';
const PYTHON_TLS = 't13d1812h1_85036bcba153_b26ce05bbdd6';
const SCHANNEL_TLS = 't12d1909h2_d83cc789557e_652f19f1cfc7';

/** A real agent per family, as browsers send them. */
const UA: Record<string, string> = {
  windows: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36',
  linux: 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36',
  macos: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15',
  ios: 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1',
  android: 'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36',
  chromeos: 'Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36',
  freebsd: 'Mozilla/5.0 (X11; FreeBSD amd64; rv:120.0) Gecko/20100101 Firefox/120.0',
};

const input = (ua: string | null, tcp: TcpEvidence | null, tlsJa4: string | null = null, http: HttpEvidence | null = null): VerdictInput => ({
  ua: ua === null ? null : parseUserAgent(ua),
  tcp,
  tls: tlsJa4 === null ? null : tls(tlsJa4),
  http,
});

describe('verdict: TCP against the User-Agent', () => {
  it('a Windows agent over a Windows SYN is consistent; over a Linux SYN a mismatch naming ua-os:tcp', () => {
    const win = tcpOf(synLabel('Windows'));
    const lin = tcpOf(synLabel('Linux'));
    assert.equal(verdictOf(input(UA.windows!, win)).verdict, 'consistent');
    const v = verdictOf(input(UA.windows!, lin));
    assert.equal(v.verdict, 'mismatch');
    assert.deepEqual(v.reasons, ['ua-os:tcp']);
  });

  it('every merged label of pof.fp agrees with an agent of each of its families', () => {
    const merged = db.tcpRequest.map((s) => s.label).filter((l, i, a) => isMerged(l) && a.indexOf(l) === i);
    assert.ok(merged.length >= 3, `${merged.length} merged labels`);
    for (const l of merged) {
      for (const f of familiesOf(l)) {
        const ua = UA[f];
        assert.ok(ua, `no test agent for ${f}`);
        const v = verdictOf(input(ua, tcpOf(l)));
        assert.ok(!v.reasons.includes('ua-os:tcp') && v.verdict === 'consistent', `${l.name} ${l.flavor} (line ${l.line}) against ${f}: ${v.verdict} ${v.reasons}`);
      }
    }
  });

  it('a merged label still contradicts an agent of a family it does not name', () => {
    const apple = tcpOf(synLabel('macOS or iOS', '2017'));
    assert.equal(verdictOf(input(UA.windows!, apple)).verdict, 'mismatch');
  });

  it('a fuzzy match is weak: alone it is unknown, with another weak layer a mismatch', () => {
    const lin = tcpOf(synLabel('Linux'), true);
    const alone = verdictOf(input(UA.windows!, lin));
    assert.deepEqual([alone.verdict, alone.reasons], ['unknown', ['ua-os:tcp']]);
    const dishonest: HttpEvidence = { app: 'curl', appFamilies: null, dishonest: true, proxied: false };
    const two = verdictOf(input(UA.windows!, lin, null, dishonest));
    assert.deepEqual([two.verdict, two.reasons], ['mismatch', ['ua-os:tcp', 'ua-browser:http']]);
  });

  it("ChromeOS agents agree with Linux SYNs; Android's fixed probe agent agrees with an Android SYN", () => {
    assert.equal(verdictOf(input(UA.chromeos!, tcpOf(synLabel('Linux')))).verdict, 'consistent');
    const probe = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/60.0.3112.32 Safari/537.36';
    assert.equal(verdictOf(input(probe, tcpOf(synLabel('Android')))).verdict, 'consistent');
  });

  it('a proxied request leaves TCP and TLS out', () => {
    const via: HttpEvidence = { app: null, appFamilies: null, dishonest: false, proxied: true };
    const v = verdictOf(input(UA.windows!, tcpOf(synLabel('Linux')), CURL_TLS, via));
    assert.equal(v.verdict, 'unknown');
    assert.deepEqual(v.skipped.filter((s) => s.why === 'proxied').map((s) => s.layer), ['tcp', 'tls']);
  });

  it('bots and scanners are not judged; tools naming no OS have nothing to compare', () => {
    const bot = 'Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Mobile Safari/537.36 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)';
    assert.equal(verdictOf(input(bot, tcpOf(synLabel('Linux')))).verdict, 'unknown');
    assert.equal(verdictOf(input('curl/8.1.2', tcpOf(synLabel('Linux')))).verdict, 'unknown');
  });

  it("a browser's agent over a userland tool's SYN is a mismatch (ua-browser:tcp)", () => {
    const v = verdictOf(input(UA.linux!, tcpOf(synLabel('masscan'))));
    assert.deepEqual([v.verdict, v.reasons], ['mismatch', ['ua-browser:tcp']]);
  });
});

describe('verdict: TLS and HTTP against the User-Agent', () => {
  it("Chrome's agent with Chrome's hello is consistent; with curl's, Python's or SChannel's a mismatch", () => {
    assert.equal(verdictOf(input(UA.windows!, null, CHROME_TLS)).verdict, 'consistent');
    for (const j of [CURL_TLS, PYTHON_TLS, SCHANNEL_TLS]) {
      const v = verdictOf(input(UA.linux!, null, j));
      assert.equal(v.verdict, 'mismatch', j);
      assert.ok(v.reasons.includes('ua-browser:tls'), j);
    }
  });

  it("SChannel's hello ties the client to Windows: a Linux agent disagrees (ua-os:tls), and so does a Linux SYN (tls-os:tcp)", () => {
    const v = verdictOf(input('Mozilla/5.0 (X11; Linux x86_64; Trident/7.0; rv:11.0) like Gecko', tcpOf(synLabel('Linux')), SCHANNEL_TLS));
    assert.deepEqual(v.reasons, ['ua-os:tls', 'tls-os:tcp']);
    const conn = verdictOf(input(null, tcpOf(synLabel('Linux')), SCHANNEL_TLS));
    assert.deepEqual([conn.verdict, conn.reasons], ['mismatch', ['tls-os:tcp']]);
    assert.equal(verdictOf(input(null, tcpOf(synLabel('Windows')), SCHANNEL_TLS)).verdict, 'consistent');
  });

  it('every browser on iOS uses Apple’s stack: CriOS with a Chromium hello is a mismatch', () => {
    const crios = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/120.0.6099.119 Mobile/15E148 Safari/604.1';
    assert.equal(verdictOf(input(crios, null, CHROME_TLS)).verdict, 'mismatch');
    assert.equal(verdictOf(input(crios, null, 't12d2010h2_2a284e3b0c56_f05fdf8c38a9')).verdict, 'consistent');
  });

  it("a library's agent only agrees: curl over SChannel (Windows' curl.exe) is consistent, over Go's stack not judged", () => {
    assert.equal(verdictOf(input('curl/8.4.0', null, SCHANNEL_TLS)).verdict, 'consistent');
    assert.equal(verdictOf(input('curl/8.4.0', null, 't13d1911h2_9dc949149365_e7c285222651')).verdict, 'unknown');
  });

  it("the HTTP app's sys list: Internet Explorer's headers under a Linux agent are weak (ua-os:http)", () => {
    const ie = db.httpRequest.find((s) => s.label.name === 'Internet Explorer')!.label;
    const http: HttpEvidence = { app: 'Internet Explorer', appFamilies: appFamilies(ie.sys), dishonest: false, proxied: false };
    assert.deepEqual(http.appFamilies, ['windows']);
    const v = verdictOf(input('Mozilla/5.0 (X11; Linux x86_64; Trident/7.0; rv:11.0) like Gecko', null, null, http));
    assert.deepEqual([v.verdict, v.reasons], ['unknown', ['ua-os:http']]);
  });

  it('unknown when nothing can be compared', () => {
    const v = verdictOf(input(null, null));
    assert.deepEqual([v.verdict, v.reasons, v.checks], ['unknown', [], []]);
  });

  it('never throws, whatever the evidence', () => {
    const fam = fc.constantFrom<OsFamily>('windows', 'linux', 'macos', 'ios', 'android', 'freebsd');
    fc.assert(
      fc.property(
        fc.option(fc.string({ maxLength: 200 })),
        fc.option(fc.record({ label: fc.string(), families: fc.array(fam, { maxLength: 3 }), userland: fc.boolean(), generic: fc.boolean(), fuzzy: fc.boolean() })),
        fc.option(fc.string({ maxLength: 40 })),
        fc.option(fc.record({ app: fc.option(fc.string()), appFamilies: fc.option(fc.array(fam, { maxLength: 3 })), dishonest: fc.boolean(), proxied: fc.boolean() })),
        (ua, tcp, ja4, http) => {
          const v = verdictOf({ ua: ua === null ? null : parseUserAgent(ua), tcp, tls: ja4 === null ? null : labelTls(tlsIdx, ja4), http });
          assert.ok(['consistent', 'mismatch', 'unknown'].includes(v.verdict));
        },
      ),
      { numRuns: 500 },
    );
    assert.equal(verdictOf(null as unknown as VerdictInput).verdict, 'unknown');
  });
});

const ci = process.env.CI === 'true';
const has = (cmd: string, args: string[]): boolean => spawnSync(cmd, args, { stdio: 'ignore' }).status === 0;

describe('live: curl and Python claiming Chrome on Windows', () => {
  let tap: Tap;
  before(async () => {
    tap = await startTap();
  });
  after(async () => {
    await tap.close();
  });
  const run = (cmd: string, args: string[]): Promise<void> =>
    new Promise((resolve) => {
      const c = spawn(cmd, args, { stdio: 'ignore' });
      const t = setTimeout(() => c.kill('SIGKILL'), 30_000);
      c.on('exit', () => (clearTimeout(t), resolve()));
      c.on('error', () => (clearTimeout(t), resolve()));
    });
  const check = (): void => {
    const r = tap.requests.at(-1);
    assert.ok(r && r.ua === UA.windows, 'the request arrived with the lying agent');
    const v = verdictOf({ ua: parseUserAgent(r.ua!), tcp: null, tls: labelTls(tlsIdx, r.ja4), http: null });
    assert.equal(v.verdict, 'mismatch', `${r.ja4}: ${JSON.stringify(v.checks)}`);
    assert.deepEqual(v.reasons, ['ua-browser:tls']);
  };
  it('curl', { skip: has('curl', ['--version']) || ci ? false : 'curl not installed' }, async () => {
    await run('curl', ['-sk', '-o', '/dev/null', '-A', UA.windows!, `https://localhost:${tap.port}/`]);
    check();
  });
  it('Python urllib', { skip: has('python3', ['--version']) || ci ? false : 'python3 not installed' }, async () => {
    await run('python3', ['-c', `import ssl,urllib.request\nc=ssl.create_default_context()\nc.check_hostname=False\nc.verify_mode=ssl.CERT_NONE\nurllib.request.urlopen(urllib.request.Request("https://localhost:${tap.port}/", headers={"User-Agent": ${JSON.stringify(UA.windows)}}), context=c, timeout=10).read()`]);
    check();
  });
});
