/**
 * `pof report` through the real CLI, and its file in headless Chromium
 * (from file://): the OS names and the charts are there, nothing is
 * fetched, no URL is in the file, the licences of the inlined library are;
 * a screenshot is kept in test-artifacts/. Then progress on large files,
 * on a terminal and off it, and the command's errors.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { writePcap, type PcapPacket } from '../helpers/capture-write.js';
import { ethernet, tcp4 } from '../helpers/packet-build.js';
import { readCaptureFile } from '../../src/capture/file.js';
import { loadSignatures } from '../../src/db/load.js';
import { Engine } from '../../src/engine.js';
import type { Observation } from '../../src/observation.js';
import { TrafficSummary } from '../../src/output/report/aggregate.js';
import { renderPage } from '../../src/output/report/render.js';
import { browserSkip, drawnCharts, launch, screenshotPath, watchedPage, type Browser } from './browser.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const DEMO = path.join(root, 'samples', 'demo.pcap');
/** tsx by its path, so that the CLI also runs from another directory. */
const TSX = import.meta.resolve('tsx');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pof-report-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

function pof(args: string[], opts: { input?: Buffer; cwd?: string } = {}): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', TSX, path.join(root, 'src/cli/main.ts'), ...args], {
    cwd: opts.cwd ?? root,
    encoding: 'utf8',
    input: opts.input,
    maxBuffer: 64 * 1024 * 1024,
    env: { ...process.env, TZ: 'UTC' },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('the report of samples/demo.pcap', () => {
  const file = path.join(tmp, 'demo.html');
  let html = '';
  before(() => {
    const r = pof(['report', DEMO, '-o', file]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /^\[\+\] Processed 28 packets .*\n\[\+\] Wrote .*demo\.html \(\d+ KiB\)\.\n$/);
    html = fs.readFileSync(file, 'utf8');
  });

  test('holds no URL: none spelled anywhere, none in an attribute or a stylesheet', () => {
    assert.doesNotMatch(html, /https?:\/\//i);
    assert.doesNotMatch(html, /\b(?:src|href|action|formaction|srcset|poster|data|background|manifest)\s*=\s*["']?\s*(?:[a-z][a-z0-9+.-]*:|\/\/)/i);
    assert.doesNotMatch(html, /\burl\s*\(|@import/i);
    assert.doesNotMatch(html, /<(?:link|iframe|img|object|embed|base)\b/i);
    assert.doesNotMatch(html, /<script\b[^>]*\bsrc\s*=/i);
    // and says so to the browser: nothing may be fetched
    assert.match(html, /<meta http-equiv="Content-Security-Policy" content="default-src &#39;none&#39;; script-src &#39;sha256-[^"]*connect-src &#39;none&#39;/);
  });

  test('keeps the licences of what it inlines', () => {
    assert.match(html, /Chart\.js v4\.\d+\.\d+, inlined from the npm package chart\.js\.\s+The MIT License \(MIT\)\s+Copyright \(c\) [\d-]+ Chart\.js Contributors\s+Permission is hereby granted/);
    assert.match(html, /@kurkle\/color v[\d.]+, bundled inside Chart\.js\.\s+The MIT License \(MIT\)\s+Copyright \(c\) [\d-]+ Jukka Kurkela/);
  });

  test('in headless Chromium from file://: names Linux, Windows and macOS, draws its charts, fetches nothing', { skip: browserSkip, timeout: 120_000 }, async () => {
    const b: Browser = await launch();
    try {
      const w = await watchedPage(b);
      const url = pathToFileURL(file).href;
      await w.page.goto(url);
      await w.page.waitForSelector('body[data-renders="1"]', { timeout: 30_000 });
      const os = await w.page.locator('#card-os').innerText();
      for (const name of ['Linux', 'Windows', 'macOS']) assert.match(os, new RegExp(`\\b${name}\\b`), `${name} in the OS card`);
      const charts = await drawnCharts(w.page);
      assert.ok(charts >= 2, `at least two charts drawn (${charts})`);
      assert.equal(await w.page.locator('#card-tls .empty').innerText(), 'No TLS data in this capture.');
      const sigs = await w.page.locator('#card-sigs').innerText();
      assert.match(sigs, /4:64\+0:0:1460:mss\*44,7:mss,sok,ts,nop,ws:df,id\+:0/);
      await w.page.screenshot({ path: screenshotPath('report-demo.png'), fullPage: true });
      assert.deepEqual(w.requests, [url], 'the file itself and nothing else');
      assert.deepEqual(await w.cspViolations(), []);
      assert.deepEqual(w.errors, []);
    } finally {
      await b.close();
    }
  });
});

test('the title is escaped; --title sets it', () => {
  const r = pof(['report', DEMO, '-o', '-', '--title', '</title><b>x']);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /<title>&lt;\/title&gt;&lt;b&gt;x<\/title>/);
  assert.match(r.stdout, /<h1>&lt;\/title&gt;&lt;b&gt;x<\/h1>/);
});

describe('TLS and verdict charts, when the capture has them', () => {
  // What the TLS and verdict layers will emit (their issues fix the field
  // names), fed to the summary beside the demo capture's real observations.
  const hostile = '</script><script>alert(1)</script><!--';
  const html = (): string => {
    const s = new TrafficSummary();
    const e = new Engine({ db: loadSignatures(undefined) }, s.add);
    readCaptureFile(DEMO, (r) => e.handle(r));
    const base = { tsUsec: 0, ipVer: 4 as const, cliPort: 40000, srv: '192.0.2.1', srvPort: 443, subj: 'cli' as const, encap: false };
    for (let i = 0; i < 6; i++) {
      s.add({ ...base, mod: 'tls' as Observation['mod'], tsSec: 1767225601, cli: `10.0.0.${i}`, fields: [['ja4', i % 3 ? 't13d1516h2_8daaf6152771_e5627efa2ab1' : 't13i190900_0f2cb44170f4_5c4c70b73fa0'], ['client', i % 3 ? 'Chrome 117 to 130 (Chromium-based)' : 'curl (OpenSSL)']] });
      s.add({ ...base, mod: 'verdict' as Observation['mod'], tsSec: 1767225601, cli: `10.0.0.${i}`, fields: [['verdict', i % 2 ? 'consistent' : 'mismatch'], ['reasons', i % 2 ? null : 'ua-os:tcp'], ['ua_os', hostile], ['os', 'Linux 4.19 or newer'], ['tls', 'openssl'], ['app', 'curl']] });
    }
    return renderPage(s.snapshot(), { title: 'verdicts', version: 'test' }).html;
  };

  test('the TLS client mix and the verdicts are drawn; the data stays text', { skip: browserSkip, timeout: 120_000 }, async () => {
    const file = path.join(tmp, 'tls.html');
    const text = html();
    assert.ok(!text.includes('<script>alert(1)'), 'the data cannot end its script element');
    fs.writeFileSync(file, text);
    const b = await launch();
    try {
      const w = await watchedPage(b);
      let dialogs = 0;
      w.page.on('dialog', (d) => {
        dialogs++;
        void d.dismiss();
      });
      await w.page.goto(pathToFileURL(file).href);
      await w.page.waitForSelector('body[data-renders="1"]', { timeout: 30_000 });
      assert.equal(await drawnCharts(w.page), 7, 'every chart, TLS and verdicts included');
      assert.equal(await w.page.locator('#card-tls .empty').isVisible(), false);
      const tls = await w.page.locator('#card-tls').innerText();
      assert.match(tls, /Chrome 117 to 130 \(Chromium-based\)\s+4/);
      const v = await w.page.locator('#card-verdicts').innerText();
      assert.match(v, /Top mismatches/);
      assert.ok(v.includes(hostile), 'shown as the text it is');
      assert.match(v, /3\s+ua-os:tcp/);
      assert.equal(dialogs, 0);
      await w.page.screenshot({ path: screenshotPath('report-tls-verdicts.png'), fullPage: true });
      assert.deepEqual(w.errors, []);
      assert.deepEqual(await w.cspViolations(), []);
    } finally {
      await b.close();
    }
  });
});

describe('progress on large files', () => {
  let big = '';
  before(() => {
    // 34 MiB of ordinary traffic: above the 32 MiB where progress starts.
    const syn = ethernet(tcp4({ src: '10.1.0.1', dst: '192.0.2.80', ttl: 64, df: true }, { sport: 40000, dport: 80, flags: 0x02, win: 64240, options: [{ mss: 1460 }, 'sok', { ts: [1, 0] }, 'nop', { ws: 7 }] }));
    const data = ethernet(tcp4({ src: '10.1.0.1', dst: '192.0.2.80', ttl: 64, df: true }, { sport: 40000, dport: 80, flags: 0x10, payload: Buffer.alloc(1400, 0x61) }));
    const pkts: PcapPacket[] = [];
    for (let i = 0; i < 24_000; i++) pkts.push({ data: i % 100 ? data : syn, tsSec: 1_700_000_000 + Math.floor(i / 100) });
    big = path.join(tmp, 'big.pcap');
    fs.writeFileSync(big, writePcap(pkts));
    assert.ok(fs.statSync(big).size > 32 * 1024 * 1024, 'the capture is above the threshold');
  });

  test('off a terminal: a line every 10%', () => {
    const r = pof(['report', big, '-o', path.join(tmp, 'big.html')]);
    assert.equal(r.status, 0, r.stderr);
    const lines = r.stderr.split('\n').filter((l) => l.startsWith('pof report: '));
    assert.ok(lines.length >= 5, r.stderr);
    for (const l of lines) assert.match(l, /^pof report: \d0% \([\d,]+ packets, [\d.]+ s\)$/);
    assert.doesNotMatch(r.stderr, /\r/);
  });

  test('on a terminal: a bar redrawn in place, cleared at the end', { skip: fs.existsSync('/usr/bin/script') ? false : 'no script(1)' }, () => {
    const cmd = [process.execPath, '--import', TSX, path.join(root, 'src/cli/main.ts'), 'report', big, '-o', path.join(tmp, 'big2.html')].map((a) => `'${a}'`).join(' ');
    const r = spawnSync('script', ['-qefc', `${cmd} 2>&1`, '/dev/null'], { cwd: root, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stdout);
    assert.match(r.stdout, /\r\[#*\.*\] +\d+%  [\d,]+ packets  [\d.]+ s\x1b\[K/);
    assert.match(r.stdout, /\r\x1b\[K\[\+\] Processed 24000 packets/);
  });

  test('-q: no progress, no summary', () => {
    const r = pof(['report', big, '-q', '-o', path.join(tmp, 'big3.html')]);
    assert.equal(r.status, 0);
    assert.equal(r.stderr, '');
  });
});

describe('the command', () => {
  test('stdin in, stdout out; a filter expression selects packets', () => {
    const r = pof(['report', '-', '-o', '-', 'port 80'], { input: fs.readFileSync(DEMO) });
    assert.equal(r.status, 0, r.stderr);
    const d = JSON.parse(/id="pof-data">([^<]*)</.exec(r.stdout)![1]!) as { totals: { syn: number } };
    assert.ok(d.totals.syn > 0 && d.totals.syn < 10, `port 80 only (${d.totals.syn})`);
  });

  test('-o defaults to report.html in the current directory', () => {
    const dir = fs.mkdtempSync(path.join(tmp, 'cwd-'));
    const r = pof(['report', DEMO], { cwd: dir });
    assert.equal(r.status, 0, r.stderr);
    assert.ok(fs.statSync(path.join(dir, 'report.html')).size > 100_000);
  });

  test('errors are one line, and leave no file behind', () => {
    const cases: Array<[string[], RegExp, number]> = [
      [['report'], /^pof: pof report needs a capture file \(see pof report --help\)\n$/, 2],
      [['report', path.join(tmp, 'nope.pcap'), '-o', path.join(tmp, 'nope.html')], /^pof: .*nope\.pcap: cannot open: no such file or directory \(ENOENT\)\n$/, 1],
      [['report', DEMO, '-o', path.join(tmp, 'no/such/dir/r.html')], /^pof: cannot write .*r\.html: no such file or directory \(ENOENT\)\n$/, 1],
      [['report', DEMO, '--bogus'], /^pof: unknown option --bogus \(see pof report --help\)\n$/, 2],
    ];
    for (const [args, re, status] of cases) {
      const r = pof(args);
      assert.equal(r.status, status, args.join(' '));
      assert.match(r.stderr, re);
    }
    assert.deepEqual(fs.readdirSync(tmp).filter((f) => f.includes('nope') || f.endsWith('.tmp')), []);
  });

  test('a damaged capture still gets its report of what came before, and exit 1', () => {
    const cut = path.join(tmp, 'cut.pcap');
    const full = fs.readFileSync(DEMO);
    fs.writeFileSync(cut, full.subarray(0, full.length - 40));
    const out = path.join(tmp, 'cut.html');
    const r = pof(['report', cut, '-o', out]);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /^pof: .*cut\.pcap: at byte \d+: /m);
    const d = JSON.parse(/id="pof-data">([^<]*)</.exec(fs.readFileSync(out, 'utf8'))![1]!) as { totals: { syn: number } };
    assert.ok(d.totals.syn >= 9, `the SYNs before the damage (${d.totals.syn})`);
  });

  test('--help', () => {
    const r = pof(['report', '--help']);
    assert.equal(r.status, 0);
    assert.match(r.stdout, /^Usage: pof report CAPTURE \[-o report\.html\]/);
  });
});
