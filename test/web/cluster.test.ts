/**
 * pof across machines, with real parts on loopback: the sensor, the real
 * `pof -i lo --store redis://...` CLI, publishes to a real redis-server; HAProxy (send-proxy-v2) relays curl's
 * connections to the real `pof proxy --proxy-protocol --store` CLI in
 * front of `php -S`; a node:http app in another process, with no daemon
 * socket, asks the store through the middleware.
 *
 *   curl (127.0.0.3) -> HAProxy :site -> pof proxy -> php -S
 *                 \\         (PROXY v2 from 127.0.0.1: trusted)
 *                  \\-> HAProxy :untrusted (PROXY v2 from 127.0.0.2: refused)
 *   curl (127.0.0.4) -> app (withPof, store: redis://...)
 *
 * The sensor sees only the client's SYNs to HAProxy and to the app (its
 * filter), so a verdict the backend gets through the store is the one of
 * the client's own connection, found by the 4-tuple the PROXY header names.
 * Then Redis is killed (requests are answered within the timeout with
 * pof_err) and restarted (verdicts flow again, nothing restarted).
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

import { addonAvailable } from '../../src/capture/live.js';
import { parsePromText, sample } from '../metrics/prom-text.js';
import { RedisServer } from '../store/redis-server.js';
import { tempDir } from './helpers.js';
import { freePort, startPhp, stopChild } from './net-helpers.js';

const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
const APP = fileURLToPath(new URL('./fixtures/store-app.ts', import.meta.url));
const ci = process.env.CI === 'true';
const runs = (cmd: string, args: string[]): boolean => spawnSync(cmd, args, { stdio: 'ignore' }).status === 0;
const tools = ['redis-server', 'haproxy', 'php', 'curl'].filter((t) => !runs(t, t === 'haproxy' ? ['-v'] : ['--version']));
const isRoot = process.getuid?.() === 0;
// In CI a missing tool fails the run rather than skipping it.
const skip = tools.length && !ci ? `not installed: ${tools.join(', ')}` : !addonAvailable() ? 'native addon not built' : !isRoot ? 'needs root for live capture' : false;
/** How long a request may wait for pof (the proxy's --timeout, the app's timeoutMs). */
const TIMEOUT_MS = 1500;

interface Curl {
  status: number;
  body: string;
  localPort: number;
  ms: number;
}

/** curl from `from` (a loopback address of its own), asynchronously (the sensor runs in this process). */
function curl(from: string, url: string): Promise<Curl> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    const c = spawn('curl', ['-s', '-S', '--max-time', '10', '--interface', from, '-w', '\n%{local_port}', url], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    c.stdout!.on('data', (d) => (out += d));
    c.stderr!.resume();
    c.on('close', (code) => {
      const nl = out.lastIndexOf('\n');
      resolve({ status: code ?? -1, body: out.slice(0, nl), localPort: Number(out.slice(nl + 1)), ms: performance.now() - t0 });
    });
  });
}

/** A child's output, and a wait for a line matching `re`. */
function watch(child: ChildProcess): { text(): string; line(re: RegExp, ms?: number): Promise<RegExpExecArray> } {
  let text = '';
  child.stdout!.on('data', (d) => (text += d));
  child.stderr!.on('data', (d) => (text += d));
  return {
    text: () => text,
    async line(re, ms = 30_000) {
      const end = Date.now() + ms;
      for (;;) {
        const m = re.exec(text);
        if (m) return m;
        if (child.exitCode !== null) throw new Error(`exited with ${child.exitCode}: ${text}`);
        if (Date.now() > end) throw new Error(`no ${re} in: ${text}`);
        await new Promise((r) => setTimeout(r, 25));
      }
    },
  };
}

async function waitPort(port: number, child: ChildProcess, log: () => string): Promise<void> {
  const end = Date.now() + 15_000;
  while (Date.now() < end) {
    if (child.exitCode !== null) throw new Error(`exited: ${log()}`);
    const ok = await new Promise<boolean>((r) => {
      const c = net.connect(port, '127.0.0.1');
      c.once('connect', () => {
        c.destroy();
        r(true);
      });
      c.once('error', () => r(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`nothing listens on ${port}: ${log()}`);
}

/** Repeats `attempt` until it gives a value (or the deadline passes: the last failure). */
async function eventually<T>(what: string, ms: number, attempt: () => Promise<T | string>): Promise<T> {
  const end = Date.now() + ms;
  let last = '';
  while (Date.now() < end) {
    const r = await attempt();
    if (typeof r !== 'string') return r;
    last = r;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${what}: still ${last}`);
}

describe('behind HAProxy, and a web node without the socket, through Redis', { skip }, () => {
  const dir = tempDir();
  const redis = new RedisServer();
  let php: Awaited<ReturnType<typeof startPhp>>;
  let haproxy: ChildProcess;
  let proxy: ChildProcess;
  let app: ChildProcess;
  let proxyOut: ReturnType<typeof watch>;
  let appOut: ReturnType<typeof watch>;
  let sensor: ChildProcess;
  let metricsUrl = '';
  const port = { site: 0, untrusted: 0, proxy: 0, app: 0, sensorHttp: 0 };
  const accessLog = join(dir.dir, 'access.log');

  before(async () => {
    await redis.start();
    php = await startPhp(dir.dir);
    for (const k of Object.keys(port) as Array<keyof typeof port>) port[k] = await freePort();
    // The client's SYNs to HAProxy and to the app, nothing else.
    const sensorArgs = ['-i', 'lo', '--store', redis.url, '--http', `127.0.0.1:${port.sensorHttp}`, `tcp dst port ${port.site} or tcp dst port ${port.app}`];
    sensor = spawn(process.execPath, ['--import', 'tsx', MAIN, ...sensorArgs], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let sensorErr = '';
    sensor.stderr!.on('data', (d) => (sensorErr += d));

    proxy = spawn(
      process.execPath,
      ['--import', 'tsx', MAIN, 'proxy', '--listen', `127.0.0.1:${port.proxy}`, '--upstream', php.url, '--proxy-protocol', '--trusted-proxy', '127.0.0.1/32', '--store', redis.url,
        '--timeout', String(TIMEOUT_MS), '--http', '127.0.0.1:0', '--access-log', accessLog, '--log-format', '%h %{pof_genre}e %{pof_via}e'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    proxyOut = watch(proxy);
    metricsUrl = (await proxyOut.line(/metrics at (\S+)/))[1]!;
    app = spawn(process.execPath, ['--import', 'tsx', APP, redis.url, String(TIMEOUT_MS), String(port.app)], { stdio: ['ignore', 'pipe', 'pipe'] });
    appOut = watch(app);
    await appOut.line(/listening \d+/);

    const cfg = `
global
  maxconn 100
defaults
  mode tcp
  timeout connect 2s
  timeout client 10s
  timeout server 10s
frontend site
  bind 127.0.0.1:${port.site}
  default_backend pof
backend pof
  server proxy 127.0.0.1:${port.proxy} send-proxy-v2
frontend untrusted
  bind 127.0.0.1:${port.untrusted}
  default_backend untrusted
backend untrusted
  server proxy 127.0.0.1:${port.proxy} send-proxy-v2 source 127.0.0.2
`;
    writeFileSync(join(dir.dir, 'haproxy.cfg'), cfg);
    haproxy = spawn('haproxy', ['-db', '-f', join(dir.dir, 'haproxy.cfg')], { stdio: ['ignore', 'pipe', 'pipe'] });
    const hOut = watch(haproxy);
    await waitPort(port.site, haproxy, hOut.text);
    await waitPort(port.untrusted, haproxy, hOut.text);
    // Capturing (p0f's start-up line), and connected to Redis (what is
    // captured before that is not kept for later).
    await eventually('the sensor to capture and publish', 20_000, async () => {
      if (sensor.exitCode !== null) throw new Error(`the sensor exited: ${sensorErr}`);
      if (!sensorErr.includes('Entered main event loop')) return 'starting';
      const up = sample(parsePromText(await (await fetch(`http://127.0.0.1:${port.sensorHttp}/metrics`)).text()), 'pof_store_up', { side: 'publish' });
      return up === 1 ? true : `store_up ${up}`;
    });
  });

  after(async () => {
    for (const c of [haproxy, proxy, app, sensor]) if (c) await stopChild(c);
    await php?.stop();
    await redis.stop();
    dir.cleanup();
  });

  interface PhpSaw {
    genre: string | null;
    err: string | null;
    via: string | null;
    xff: string | null;
  }

  const throughHaproxy = async (): Promise<PhpSaw & { ms: number; localPort: number }> => {
    const r = await curl('127.0.0.3', `http://127.0.0.1:${port.site}/index.php`);
    assert.equal(r.status, 0, `curl failed: ${r.body} ${proxyOut.text()}`);
    return { ...(JSON.parse(r.body) as PhpSaw), ms: r.ms, localPort: r.localPort };
  };

  interface AppSaw {
    genre: string;
    err: string;
    via: string[];
    cli: string | null;
    cliPort: number | null;
  }
  const toApp = async (): Promise<AppSaw & { ms: number; localPort: number }> => {
    const r = await curl('127.0.0.4', `http://127.0.0.1:${port.app}/`);
    assert.equal(r.status, 0, `curl failed: ${r.body} ${appOut.text()}`);
    return { ...(JSON.parse(r.body) as AppSaw), ms: r.ms, localPort: r.localPort };
  };

  it("PHP sees the client's OS, from the sensor's SYN of curl's connection to HAProxy, found by the PROXY header", async () => {
    const saw = await throughHaproxy();
    assert.equal(saw.err, '', JSON.stringify(saw) + proxyOut.text());
    assert.equal(saw.genre, 'Linux');
    // From the store alone: the kernel's saved SYN of the connection is HAProxy's, and is not used.
    assert.equal(saw.via, 'store');
    // The client is curl's address, not HAProxy's.
    assert.equal(saw.xff, '127.0.0.3');
    const log = await eventually('the access log line', 5000, async () => {
      const text = readFileSync(accessLog, 'utf8');
      return text.includes('\n') ? { text } : 'empty';
    });
    assert.match(log.text, /^127\.0\.0\.3 Linux store$/m);
  });

  const refusedUntrusted = async (): Promise<number> =>
    sample(parsePromText(await (await fetch(metricsUrl)).text()), 'pof_proxy_protocol_connections_total', { result: 'refused_untrusted' }) ?? 0;

  it('a PROXY header from an untrusted peer (HAProxy from 127.0.0.2) is refused', async () => {
    const before = await refusedUntrusted();
    const r = await curl('127.0.0.3', `http://127.0.0.1:${port.untrusted}/index.php`);
    // HAProxy relays the close: curl gets no answer at all.
    assert.equal(r.body, '');
    assert.notEqual(r.status, 0);
    assert.equal(await refusedUntrusted(), before + 1);
    // Refused at once, before its header: the peer is not trusted. (Told at
    // most every 10 s: the first of them, maybe the start-up's probe.)
    await proxyOut.line(/PROXY protocol: connection from 127\.0\.0\.2, not a trusted proxy: connection closed/, 5000);
  });

  it("a web app with no daemon socket and store: 'redis://...' gets its client's verdict on the first request", async () => {
    const saw = await toApp();
    assert.equal(saw.err, '', JSON.stringify(saw) + appOut.text());
    assert.equal(saw.genre, 'Linux');
    assert.deepEqual(saw.via, ['store']);
    assert.equal(saw.cli, '127.0.0.4');
    assert.equal(saw.cliPort, saw.localPort);
  });

  it("the proxy's /metrics parses as Prometheus text: PROXY headers, store lookups", async () => {
    const res = await fetch(metricsUrl);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain/);
    const fams = parsePromText(await res.text());
    assert.ok((sample(fams, 'pof_proxy_protocol_connections_total', { result: 'proxied' }) ?? 0) >= 1);
    assert.ok((sample(fams, 'pof_proxy_protocol_connections_total', { result: 'refused_untrusted' }) ?? 0) >= 1);
    assert.equal(sample(fams, 'pof_store_up', { side: 'lookup' }), 1);
    assert.ok((sample(fams, 'pof_store_lookups_total', { result: 'redis' }) ?? 0) >= 1);
    assert.ok((sample(fams, 'pof_store_lookup_duration_seconds_count') ?? 0) >= 1);
    assert.ok(fams.has('pof_process_cpu_seconds_total'));
  });

  it('Redis killed: answers within the timeout with pof_err; restarted: verdicts flow again, nothing restarted', async () => {
    await redis.kill();
    const proxied = await throughHaproxy();
    assert.equal(proxied.genre, '');
    assert.match(proxied.err ?? '', /redis/, JSON.stringify(proxied));
    assert.ok(proxied.ms < TIMEOUT_MS + 1000, `answered after ${proxied.ms} ms`);
    const direct = await toApp();
    assert.equal(direct.genre, '');
    assert.match(direct.err, /redis/, JSON.stringify(direct));
    assert.ok(direct.ms < TIMEOUT_MS + 1000, `answered after ${direct.ms} ms`);

    await redis.start();
    const back = await eventually('the proxy, Redis back', 20_000, async () => {
      const s = await throughHaproxy();
      return s.genre === 'Linux' ? s : JSON.stringify(s);
    });
    assert.equal(back.via, 'store');
    assert.equal(back.err, '');
    const appBack = await eventually('the app, Redis back', 20_000, async () => {
      const s = await toApp();
      return s.genre === 'Linux' ? s : JSON.stringify(s);
    });
    assert.deepEqual(appBack.via, ['store']);
    assert.equal(appBack.cliPort, appBack.localPort);
  });
});
