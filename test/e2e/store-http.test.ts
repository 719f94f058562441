/**
 * The sensor's --store and --http end to end: the real CLI on loopback
 * (`pof -i lo -s SOCK --store redis://... --http 127.0.0.1:PORT 'port N'`),
 * a real redis-server, curl to a local web server. A connection's verdict
 * is read back from Redis with `pof query --store` (the same as the
 * socket's answer); /metrics parses as Prometheus text with packets,
 * drops, records and verdicts, and the API latency histogram after a
 * query; / is the live page, which headless Chromium shows naming this
 * host's Linux. Then Redis is killed (capture and the socket go on, drops
 * are counted, nothing crashes) and started again on the same port
 * (publishing resumes, no restart). One daemon for the file. Needs root,
 * the capture addon and redis-server (chromium for the page).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parsePromText, sample, type PromFamily } from '../metrics/prom-text.js';
import { browserSkip, launch, screenshotPath, watchedPage } from '../report/browser.js';
import { RedisServer, skipRedis } from '../store/redis-server.js';
import { curl, e2eSkip, freePort, publicTempDir, runPof, startPof, waitFor, webServer, type PofProc } from './helpers.js';

const skip = e2eSkip || skipRedis;
const LINUX = os.type() === 'Linux';

interface JsonConn {
  client: { tcp: { label: string | null } | null };
}

describe('the sensor with --store and --http', { skip }, () => {
  let redis: RedisServer;
  let tmp: { dir: string; cleanup(): void };
  let web: { port: number; close(): Promise<void> };
  let pof: PofProc;
  let sock: string;
  let base: string;

  const scrape = async (): Promise<Map<string, PromFamily>> => {
    const r = await fetch(`${base}/metrics`);
    assert.equal(r.status, 200);
    assert.match(r.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    return parsePromText(await r.text());
  };
  /** `pof query CLI --port P --srv 127.0.0.1 --srv-port W` against the store, or the socket. */
  const queryConn = async (localPort: number, where: string[]): Promise<{ code: number; answer: { conn?: JsonConn; status: string } | null; stderr: string }> => {
    const r = await runPof(['query', '127.0.0.1', '--port', String(localPort), '--srv', '127.0.0.1', '--srv-port', String(web.port), '--json', ...where]);
    let answer = null;
    try {
      answer = JSON.parse(r.stdout);
    } catch {
      // not JSON: left null
    }
    return { code: r.code, answer, stderr: r.stderr };
  };
  const storeHas = (localPort: number) => async () => {
    const r = await queryConn(localPort, ['--store', redis.url]);
    return r.code === 0 && r.answer?.conn ? r.answer : null;
  };

  before(async () => {
    redis = await new RedisServer().start();
    tmp = publicTempDir();
    sock = path.join(tmp.dir, 'pof.sock');
    web = await webServer();
    const httpPort = await freePort();
    base = `http://127.0.0.1:${httpPort}`;
    // Only this file's web server: other tests' loopback traffic stays out.
    pof = await startPof(['-i', 'lo', '-s', sock, '--store', redis.url, '--http', `127.0.0.1:${httpPort}`, '--dashboard-window', '5', '-q', `port ${web.port}`]);
    // -q keeps the start-up news quiet: the metrics say when the publisher is connected.
    await waitFor('the publisher to connect', async () => sample(await scrape(), 'pof_store_up', { side: 'publish' }) === 1, 15000, 50);
    assert.doesNotMatch(pof.stderr(), /Store: publishing/, '-q');
  });

  after(async () => {
    if (pof) await pof.stop();
    await web?.close();
    await redis?.stop();
    tmp?.cleanup();
  });

  it("publishes a connection's verdict to Redis, as the socket answers it", async () => {
    const { localPort } = await curl(`http://127.0.0.1:${web.port}/`);
    const fromStore = await waitFor('the verdict in Redis', storeHas(localPort), 10000, 100);
    const label = fromStore.conn!.client.tcp?.label ?? '';
    if (LINUX) assert.match(label, /^Linux/, JSON.stringify(fromStore));
    const fromSocket = await queryConn(localPort, ['-s', sock]);
    assert.equal(fromSocket.code, 0, fromSocket.stderr);
    assert.deepEqual(fromStore.conn, fromSocket.answer!.conn, 'the store holds what the daemon answers');
    // And the client's host record, by address.
    const host = await runPof(['query', '127.0.0.1', '--store', redis.url, '--json']);
    assert.equal(host.code, 0, host.stderr);
    assert.equal(JSON.parse(host.stdout).host.addr, '127.0.0.1');
  });

  it('/metrics: packets, drops, records and verdicts, the tables, the store and the API latency after a query', async () => {
    const { localPort } = await curl(`http://127.0.0.1:${web.port}/`);
    await waitFor('the verdict on the socket', async () => (await queryConn(localPort, ['-s', sock])).code === 0, 10000, 50);
    const f = await scrape();
    const at = (name: string, labels: Record<string, string> = {}): number => sample(f, name, labels) ?? 0;
    assert.equal(f.get('pof_packets_total')?.type, 'counter');
    assert.ok(at('pof_packets_total') >= 6, `packets ${at('pof_packets_total')}`);
    assert.equal(at('pof_tcp_packets_total'), at('pof_packets_total'), 'the filter passes TCP only');
    assert.ok(at('pof_capture_received_total') >= at('pof_packets_total'));
    for (const d of ['pof_packets_dropped_total', 'pof_capture_dropped_total', 'pof_store_publish_dropped_total']) assert.equal(f.get(d)?.type, 'counter', d);
    assert.ok(at('pof_records_total', { mod: 'syn' }) >= 2);
    assert.ok(at('pof_records_total', { mod: 'http request' }) >= 2);
    if (LINUX) assert.ok(at('pof_verdicts_total', { mod: 'syn', family: 'linux', match: 'exact' }) >= 2, JSON.stringify(f.get('pof_verdicts_total')?.samples));
    assert.equal(at('pof_table_capacity', { table: 'hosts' }), 10000);
    assert.ok(at('pof_table_entries', { table: 'conns' }) >= 2);
    assert.equal(at('pof_store_up', { side: 'publish' }), 1);
    assert.ok(at('pof_store_published_total') >= 2, `published ${at('pof_store_published_total')}`);
    assert.ok(at('pof_store_publish_duration_seconds_count') >= 1);
    assert.equal(f.get('pof_api_query_duration_seconds')?.type, 'histogram');
    assert.ok(at('pof_api_queries_total', { protocol: 'json' }) >= 1);
    assert.equal(at('pof_api_query_duration_seconds_count', { protocol: 'json' }), at('pof_api_queries_total', { protocol: 'json' }), 'every answered query timed');
    assert.ok(at('pof_api_query_duration_seconds_bucket', { protocol: 'json', le: '0.1' }) >= 1);
    assert.ok(at('pof_process_resident_memory_bytes') > 0);
  });

  it("/ is the live page: in headless Chromium it names this host's Linux", { skip: browserSkip || (!LINUX && 'Linux host'), timeout: 120_000 }, async () => {
    await curl(`http://127.0.0.1:${web.port}/`);
    const b = await launch();
    try {
      const w = await watchedPage(b);
      await w.page.goto(`${base}/`);
      await w.page.waitForFunction(() => Array.from(document.querySelectorAll('#card-os tbody td:first-child')).some((td) => td.textContent === 'Linux'), null, { timeout: 30_000 });
      const rows = await w.page.locator('#card-os tbody tr').allInnerTexts();
      const linux = rows.find((t) => /^Linux\t/.test(t));
      assert.ok(linux && Number(linux.split('\t')[1]!.replace(/,/g, '')) >= 1, `a Linux row (${rows.join(' | ')})`);
      assert.match(await w.page.locator('#status').innerText(), /^Live: the last 5 min, updated \d\d:\d\d:\d\d UTC$/);
      await w.page.screenshot({ path: screenshotPath('dashboard-daemon-lo.png'), fullPage: true });
      assert.deepEqual([...new Set(w.requests.map((u) => new URL(u).origin))], [base], 'nothing beyond its own origin');
      assert.deepEqual(await w.cspViolations(), []);
      assert.deepEqual(w.errors, []);
    } finally {
      await b.close();
    }
  });

  it('Redis killed: capture and the socket go on, drops are counted; Redis back: publishing resumes', { timeout: 60_000 }, async () => {
    await redis.kill();
    await waitFor('the publisher to see Redis gone', () => /\[!\] Store: redis unavailable[^\n]*capture goes on/.test(pof.stderr()), 15000, 50);
    const during: number[] = [];
    for (let i = 0; i < 3; i++) during.push((await curl(`http://127.0.0.1:${web.port}/`)).localPort);
    for (const p of during) await waitFor('the verdict on the socket during the outage', async () => (await queryConn(p, ['-s', sock])).code === 0, 10000, 50);
    const f = await scrape();
    assert.equal(sample(f, 'pof_store_up', { side: 'publish' }), 0);
    const down = sample(f, 'pof_store_publish_dropped_total', { reason: 'down' }) ?? 0;
    assert.ok(down >= 3, `verdicts dropped while Redis is down: ${down}`);
    const q = await runPof(['query', '127.0.0.1', '--store', redis.url, '--timeout', '300']);
    assert.equal(q.code, 1);
    assert.match(q.stderr, /^pof: [^\n]*redis:\/\/127\.0\.0\.1:\d+\)?\n$/, 'the web side hears of the outage in one line');
    assert.equal(pof.proc.exitCode, null, 'still running');

    await redis.start();
    await waitFor('the publisher to reconnect', () => /Store: Redis is back, publishing verdicts/.test(pof.stderr()), 15000, 50);
    const { localPort } = await curl(`http://127.0.0.1:${web.port}/`);
    const again = await waitFor('a new verdict in the restarted Redis', storeHas(localPort), 10000, 100);
    if (LINUX) assert.match(again.conn!.client.tcp?.label ?? '', /^Linux/);
    const after = await scrape();
    assert.equal(sample(after, 'pof_store_up', { side: 'publish' }), 1);
    assert.ok((sample(after, 'pof_store_published_total') ?? 0) > (sample(f, 'pof_store_published_total') ?? 0));

    const r = await pof.stop();
    assert.equal(r.code, 0, pof.stderr());
    assert.match(pof.stderr(), /^\[\+\] Store: \d+ records? published to redis:\/\/127\.0\.0\.1:\d+; [1-9]\d* dropped \(queue full 0, Redis down [1-9]\d*, too large 0\)\.$/m);
    assert.doesNotMatch(pof.stderr(), /internal error|Error:|    at /);
  });
});

describe('the sensor in the background (-d) with --store', { skip }, () => {
  it('publishes from the detached process too (its publishing thread starts after it left its directory)', { timeout: 60_000 }, async () => {
    const redis = await new RedisServer().start();
    const tmp = publicTempDir();
    const web = await webServer();
    const pidFile = path.join(tmp.dir, 'pof.pid');
    try {
      const r = await runPof(['-d', '-i', 'lo', '-s', path.join(tmp.dir, 'pof.sock'), '-o', path.join(tmp.dir, 'pof.log'), '--pid-file', pidFile, '--store', redis.url, '--http', '127.0.0.1:0', `port ${web.port}`]);
      assert.equal(r.code, 0, r.stderr);
      const log = (): string => fs.readFileSync(path.join(tmp.dir, 'pof.log'), 'utf8');
      await waitFor('the publisher to connect', () => /\[\+\] Store: publishing verdicts to redis:/.test(log()), 15000, 50);
      const { localPort } = await curl(`http://127.0.0.1:${web.port}/`);
      await waitFor('the verdict in Redis', () => redis.cli('EXISTS', `pof:conn:127.0.0.1/${localPort}>127.0.0.1/${web.port}`) === '1', 10000, 100);
      assert.doesNotMatch(log(), /\[!\] Store/);
    } finally {
      const pid = Number(fs.readFileSync(pidFile, 'utf8'));
      process.kill(pid, 'SIGTERM');
      await waitFor('the daemon to exit', () => !fs.existsSync(pidFile), 15000, 50);
      await web.close();
      await redis.stop();
      tmp.cleanup();
    }
  });
});

describe('the sensor: --http and --store checked at start-up', { skip }, () => {
  it('a port in use stops pof before capture, one line; a non-loopback address is said out loud', { timeout: 60_000 }, async () => {
    const busy = await webServer();
    try {
      const r = await runPof(['-i', 'lo', '-q', '--http', `127.0.0.1:${busy.port}`, 'port 9']);
      assert.equal(r.code, 1);
      assert.equal(r.stderr, `pof: cannot serve HTTP on 127.0.0.1:${busy.port}: EADDRINUSE\n`);
    } finally {
      await busy.close();
    }
    const port = await freePort();
    const p = await startPof(['-i', 'lo', '--http', `0.0.0.0:${port}`, 'port 9']);
    try {
      assert.match(p.stderr(), new RegExp(`^\\[!\\] --http 0\\.0\\.0\\.0:${port} is not loopback: `, 'm'));
      assert.equal((await fetch(`http://127.0.0.1:${port}/metrics`)).status, 200);
    } finally {
      assert.equal((await p.stop()).code, 0);
    }
  });
});

describe('the sensor: --store, --http and --dashboard-window flags', () => {
  it('bad values are one line naming the flag, before anything starts', async () => {
    const cases: Array<[string[], number, string]> = [
      [['-i', 'lo', '--store', 'http://127.0.0.1'], 1, 'pof: --store: http:// is not redis:// or rediss://\n'],
      [['-i', 'lo', '--store', 'redis://:secret@127.0.0.1/x'], 1, 'pof: --store: database "x" is not a number (redis://HOST:PORT/DB)\n'],
      [['-i', 'lo', '--http', '99999'], 2, 'pof: --http wants ADDR:PORT, :PORT or PORT (got "99999")\n'],
      [['-i', 'lo', '--http', 'example.com:80'], 2, 'pof: --http: "example.com" is not an IP address\n'],
      [['-i', 'lo', '--dashboard-window', '5'], 2, 'pof: --dashboard-window makes sense only with --http\n'],
      [['-i', 'lo', '--http', '9100', '--dashboard-window', '0'], 2, "pof: --dashboard-window wants minutes in 1..1440 (got '0')\n"],
      [['-r', 'samples/demo.pcap', '--store', 'redis://127.0.0.1'], 2, 'pof: --store is for live capture, not -r\n'],
      [['-r', 'samples/demo.pcap', '--http', '9100'], 2, 'pof: --http is for live capture, not -r\n'],
      [['-d', '-s', '/tmp/none.sock', '--store', 'ftp://x'], 1, 'pof: --store: ftp:// is not redis:// or rediss://\n'],
    ];
    for (const [args, code, stderr] of cases) {
      const r = await runPof(args);
      assert.deepEqual([r.code, r.stderr], [code, stderr], args.join(' '));
    }
    const help = await runPof(['--help']);
    for (const flag of ['--store URL', '--http ADDR:PORT', '--dashboard-window MIN']) assert.ok(help.stdout.includes(flag), flag);
  });
});
