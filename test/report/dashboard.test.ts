/**
 * The live dashboard (src/output/report/dashboard.ts) served on loopback
 * by the --http endpoint (src/api/http-endpoint.ts), and by a plain
 * node:http server calling its handle(). Its routes' answers
 * and headers; the page in headless Chromium, polling its data route and
 * updating by itself; and, with root and the capture addon, fed by a real
 * engine on a live capture of lo, naming this host's Linux after a
 * request on loopback.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createHttpEndpoint } from '../../src/api/http-endpoint.js';
import { addonAvailable, openLive, type LiveCapture } from '../../src/capture/live.js';
import { readCaptureFile } from '../../src/capture/file.js';
import { loadSignatures } from '../../src/db/load.js';
import { Engine } from '../../src/engine.js';
import type { Observation } from '../../src/observation.js';
import { TrafficSummary } from '../../src/output/report/aggregate.js';
import { createDashboard, type Dashboard } from '../../src/output/report/dashboard.js';
import type { ReportData } from '../../src/output/report/data.js';
import { HttpModule } from '../../src/state/http-module.js';
import { browserSkip, drawnCharts, launch, screenshotPath, watchedPage } from './browser.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const DEMO = path.join(root, 'samples', 'demo.pcap');
const db = loadSignatures(undefined);

interface Served {
  base: string;
  port: number;
  close(): Promise<void>;
}

/** Serves the dashboard's routes with the --http endpoint on 127.0.0.1, port chosen by the OS. */
async function serve(dash: Dashboard): Promise<Served> {
  const e = createHttpEndpoint({ port: 0, routes: dash.routes });
  const { port } = await e.listen();
  return { base: `http://127.0.0.1:${port}`, port, close: () => e.close() };
}

test('handle() answers its own paths on any node:http server, and leaves the rest', async () => {
  const dash = createDashboard({ summary: new TrafficSummary({ windowS: 60 }), version: 'test' });
  const server = http.createServer((req, res) => {
    if (!dash.handle(req, res)) {
      res.writeHead(418);
      res.end();
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    assert.equal((await fetch(base + '/')).status, 200);
    const d = (await (await fetch(base + '/dashboard.json')).json()) as ReportData;
    assert.equal(d.totals.syn, 0);
    assert.equal(d.first, null);
    assert.equal((await fetch(base + '/other')).status, 418);
    assert.equal((await fetch(base + '/dashboard.json', { method: 'DELETE' })).status, 405);
  } finally {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  }
});

test('options are checked once, with one clear message', () => {
  const summary = new TrafficSummary({ windowS: 60 });
  assert.throws(() => createDashboard({ summary, version: 'x', refreshMs: 10 }), /refreshMs must be an integer from 1000 to 60000/);
  assert.throws(() => createDashboard({ summary: new TrafficSummary(), version: 'x' }), /needs a window/);
});

describe('the dashboard fed with the demo capture', () => {
  const summary = new TrafficSummary({ windowS: 600 });
  let last = 0;
  let srv: Served;
  before(async () => {
    const e = new Engine({ db }, summary.add);
    e.addModule(new HttpModule());
    readCaptureFile(DEMO, (r) => e.handle(r));
    last = summary.snapshot().last!;
    srv = await serve(createDashboard({ summary, version: 'test', refreshMs: 1000, now: () => last + 5 }));
  });
  after(() => srv.close());

  test('/ is the page: read-only headers, a CSP that allows only its own scripts and its data route', async () => {
    const r = await fetch(srv.base + '/');
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('content-type'), 'text/html; charset=utf-8');
    assert.equal(r.headers.get('x-content-type-options'), 'nosniff');
    assert.equal(r.headers.get('referrer-policy'), 'no-referrer');
    const csp = r.headers.get('content-security-policy')!;
    assert.match(csp, /^default-src 'none'; script-src 'sha256-[^']+' 'sha256-[^']+'; style-src 'sha256-[^']+'; connect-src 'self'; /);
    assert.doesNotMatch(csp, /unsafe/);
    const html = await r.text();
    assert.ok(!html.includes('id="pof-data"'), 'no data inlined: it is fetched');
    assert.doesNotMatch(html, /https?:\/\//);
    assert.ok(!html.includes(root), 'no path of this machine');
    const head = await fetch(srv.base + '/', { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(await head.text(), '');
    const post = await fetch(srv.base + '/', { method: 'POST', body: 'x' });
    assert.equal(post.status, 405);
    assert.equal((await fetch(srv.base + '/nope')).status, 404);
  });

  test('/dashboard.json is the window ending now', async () => {
    const r = await fetch(srv.base + '/dashboard.json?ignored=1');
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('cache-control'), 'no-store');
    const d = (await r.json()) as ReportData;
    assert.equal(d.live, true);
    assert.equal(d.windowS, 600);
    assert.deepEqual(
      d.osFamilies.map((f) => f.name),
      ['Linux', 'Tools and scanners', 'Windows', 'macOS or iOS'],
    );
  });

  test('in headless Chromium: names the systems, draws, and updates by itself', { skip: browserSkip, timeout: 120_000 }, async () => {
    const b = await launch();
    try {
      const w = await watchedPage(b);
      await w.page.goto(srv.base + '/');
      await w.page.waitForSelector('body[data-renders]', { timeout: 30_000 });
      const os = await w.page.locator('#card-os').innerText();
      for (const name of ['Linux', 'Windows', 'macOS']) assert.match(os, new RegExp(`\\b${name}\\b`));
      assert.ok((await drawnCharts(w.page)) >= 2, 'at least two charts drawn');
      assert.match(await w.page.locator('#card-recent').innerText(), /No mismatches in the last 10 min\./);
      // A mismatch arrives: the page shows it at its next poll, unasked.
      const v: Observation = {
        mod: 'verdict' as Observation['mod'],
        tsSec: Math.floor(last),
        tsUsec: 0,
        ipVer: 4,
        cli: '198.51.100.23',
        cliPort: 50000,
        srv: '203.0.113.80',
        srvPort: 80,
        subj: 'cli',
        encap: false,
        fields: [['verdict', 'mismatch'], ['reasons', 'ua-os:tcp'], ['ua_os', 'Windows'], ['os', 'Linux 4.19 or newer'], ['tls', null], ['app', 'curl']],
      };
      summary.add(v);
      await w.page.waitForFunction(() => document.querySelector('#card-recent')?.textContent?.includes('198.51.100.23'), null, { timeout: 15_000 });
      const recent = await w.page.locator('#card-recent').innerText();
      assert.match(recent, /198\.51\.100\.23\s+203\.0\.113\.80\/80\s+Windows\s+Linux 4\.19 or newer/);
      assert.match(await w.page.locator('#status').innerText(), /^Live: the last 10 min, updated \d\d:\d\d:\d\d UTC$/);
      await w.page.screenshot({ path: screenshotPath('dashboard-demo.png'), fullPage: true });
      const origin = new Set(w.requests.map((u) => new URL(u).origin));
      assert.deepEqual([...origin], [srv.base], 'nothing beyond its own origin');
      assert.deepEqual([...new Set(w.requests.map((u) => new URL(u).pathname))].sort(), ['/', '/dashboard.json']);
      assert.deepEqual(await w.cspViolations(), []);
      assert.deepEqual(w.errors, []);
    } finally {
      await b.close();
    }
  });
});

const isRoot = process.getuid?.() === 0;
const ci = process.env.CI === 'true';
const liveSkip = browserSkip || (ci ? false : !addonAvailable() ? 'capture addon not built (npm run build:native)' : !isRoot ? 'live capture needs root' : false);

describe('the dashboard on a live capture of lo', { skip: liveSkip }, () => {
  const summary = new TrafficSummary({ windowS: 300 });
  let srv: Served;
  let cap: LiveCapture;
  before(async () => {
    srv = await serve(createDashboard({ summary, version: 'test', refreshMs: 1000 }));
    const engine = new Engine({ db }, summary.add);
    engine.addModule(new HttpModule());
    // Only this test's port: other tests' loopback traffic stays out.
    cap = openLive({ iface: 'lo', filter: `tcp port ${srv.port}`, timeoutMs: 1 });
    cap.onPackets((rec) => engine.handle(rec));
  });
  after(async () => {
    cap?.close();
    await srv?.close();
  });

  test("names this host's Linux after a request on loopback", { timeout: 120_000 }, async () => {
    // The request: its SYN, from this host's own stack, is what the page will name.
    const r = await fetch(srv.base + '/dashboard.json');
    assert.equal(r.status, 200);
    await r.arrayBuffer();
    const b = await launch();
    try {
      const w = await watchedPage(b);
      await w.page.goto(srv.base + '/');
      await w.page.waitForFunction(() => Array.from(document.querySelectorAll('#card-os tbody td:first-child')).some((td) => td.textContent === 'Linux'), null, { timeout: 20_000 });
      const rows = await w.page.locator('#card-os tbody tr').allInnerTexts();
      const linux = rows.find((t) => /^Linux\t/.test(t));
      assert.ok(linux, `a Linux row (${rows.join(' | ')})`);
      assert.ok(Number(linux.split('\t')[1]!.replace(/,/g, '')) >= 1);
      const hops = (await (await fetch(srv.base + '/dashboard.json')).json()) as ReportData;
      assert.ok(hops.hops.clients[0]! >= 1, 'loopback clients are 0 hops away');
      await w.page.screenshot({ path: screenshotPath('dashboard-live-lo.png'), fullPage: true });
      assert.deepEqual(w.errors, []);
    } finally {
      await b.close();
    }
  });
});
