/**
 * `npm run bench -- web`: what the web side costs, as ratios against
 * baselines measured in the same run (autocannon on loopback, every server
 * in a process of its own, runs interleaved, medians reported).
 *
 *   middleware  a node:http hello-world with withPof() vs the bare one:
 *               socket mode, asked (a pof daemon process answering a
 *               question per connection) and told (run as root: a live pof
 *               daemon on lo telling of each connection it sees, the
 *               default), and in-process mode (a lookup in the server);
 *               keep-alive load (goal: < 5% fewer requests/s) and a new
 *               connection per request (one lookup each).
 *   proxy       `pof proxy` (daemon socket, asked and told as above;
 *               saved SYNs with a live daemon asked about client addresses,
 *               `pof proxy -s`'s route where the kernel keeps SYNs; a canned
 *               lookup in-process; saved SYNs alone; and, as root,
 *               `pof proxy -i lo` itself, whose CPU includes its sensor's)
 *               vs a plain Node reverse proxy doing the same forwarding,
 *               both in front of the same backend (goal: within 15%). The
 *               told daemon's CPU is shown beside its proxy's ("+N daemon"):
 *               it captures the proxy's traffic both ways.
 *   tls         a new TLS connection per request (HTTP/1.1, ALPN as
 *               autocannon offers none): a plain Node https reverse proxy
 *               vs the same with pofTls reading each ClientHello (JA4,
 *               JA3, the TLS client label) and forwarding X-Pof-Ja4 and
 *               X-Pof-Ja3 (goal: at most 10% fewer requests/s), and
 *               `pof proxy --tls-cert` itself (HTTP/2 server, saved SYNs
 *               or a canned lookup) for reference.
 *
 * A sensor on the machine moves the CPU per request of the servers it
 * captures even when nobody asks it (the kernel copies their packets to it,
 * and it competes for the CPUs; on a small machine this has made servers
 * cheaper per request as often as dearer). So the told routes are measured
 * against the bare server (or plain proxy) that the same live daemon
 * captures too ("under the pof daemon"), what asking costs beyond the
 * sensor being there, and against the first baseline as well. Reference
 * rows show that presence effect itself, and, when p0f is installed, the
 * same for p0f 3.09b run as a daemon ("+N daemon" is then p0f's CPU).
 *
 * BENCH_WEB_SECONDS (default 3) per run, BENCH_RUNS (default 7) rounds,
 * after BENCH_WEB_WARMUP seconds (default 6) of the same load per contender,
 * unmeasured: until the JIT has compiled the load's code paths (hundreds of
 * optimizations in the first seconds of a load, a few after ten), CPU per
 * request measures compilation, more of it for the side with more code;
 * each round measures every contender once, and a contender's loss is the
 * median over rounds of its loss against the baseline's run in the same
 * round (this machine's speed drifts by tens of percent within minutes).
 * With new connections, each round also times a lone client (one request at
 * a time, each on a new connection; BENCH_WEB_LATENCY_SECONDS, default 2,
 * 0 for none): what a request waits for pof shows there, not in CPU.
 * BENCH_WEB_ONLY=middleware, =proxy or =tls runs one part, BENCH_WEB_LOAD=keep-alive
 * or =new one load, BENCH_WEB_MATCH=told,asked the contenders whose names
 * hold one of those words (with their baselines).
 * The same file, run as `web.ts serve ROLE PORT [SOCKET]`, is each server.
 * pof's code is loaded from dist/, as `pof proxy` runs it (`npm run bench`
 * builds first); BENCH_POF_SRC=1 loads src/ through tsx instead, and
 * BENCH_POF_DIR=/abs/path another build (to compare two).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { median } from './stats.js';

import type { PofCoreStats, PofOptions } from '../src/web/core.js';
import { cannedLookup } from '../test/web/helpers.js';

const SELF = fileURLToPath(import.meta.url);
const seconds = Number(process.env.BENCH_WEB_SECONDS ?? 3);
const warmupSeconds = Number(process.env.BENCH_WEB_WARMUP ?? 6);
const runs = Number(process.env.BENCH_RUNS ?? 7);
/** Seconds per round of the latency pass (one client, a new connection per request); 0 = none. */
const latencySeconds = Number(process.env.BENCH_WEB_LATENCY_SECONDS ?? 2);
/** Where the servers load pof from. */
const POF = process.env.BENCH_POF_DIR ? pathToFileURL(process.env.BENCH_POF_DIR).href : process.env.BENCH_POF_SRC ? '../src' : '../dist';
const only = process.env.BENCH_WEB_ONLY ?? '';
/** BENCH_WEB_LOAD=keep-alive or =new: one of the two loads. */
const onlyLoad = process.env.BENCH_WEB_LOAD ?? '';
/** BENCH_WEB_MATCH=told,in-process: only the contenders whose names contain one of these (and their baselines). */
const match = (process.env.BENCH_WEB_MATCH ?? '').split(',').filter(Boolean);

// ---------------------------------------------------------------- servers

/**
 * A lookup that knows every connection (the tests' canned one: a Windows
 * client with an HTTP verdict): the daemon's best case, and the same work
 * as a real hit.
 */
const everyConnection = cannedLookup;

const hello = (res: http.ServerResponse, extra = ''): void => {
  res.writeHead(200, { 'content-type': 'text/plain', 'content-length': 12 + extra.length });
  res.end('hello world\n' + extra);
};

/** The serving process's pof core counters (a pof proxy's), for the driver. */
let coreStats: (() => PofCoreStats) | null = null;

async function serve(role: string, port: number, sock: string, upstream: string): Promise<void> {
  // Gone with the driver, however it ends.
  process.on('disconnect', () => process.exit(0));
  // The driver asks for this process's CPU time around each run.
  process.on('message', (m) => {
    if (m === 'cpu') {
      const u = process.cpuUsage();
      process.send?.(u.user + u.system);
    } else if (m === 'stats') process.send?.({ stats: coreStats?.() ?? null });
  });
  const { withPof } = (await import(`${POF}/web/node-http.js`)) as typeof import('../src/web/node-http.js');
  const listen = (s: http.Server): void => void s.listen(port, '127.0.0.1', () => process.stdout.write('ready\n'));
  /** A server whose middleware is attached to it, as docs/web.md advises (the watch and saved SYNs start as it listens). */
  const attached = (pof: PofOptions): void => {
    const l = withPof((req, res) => hello(res, req.pof ? '' : '!'), pof);
    coreStats = () => l.core.stats;
    const server = http.createServer(l);
    l.attach(server);
    listen(server);
  };
  /** The certificate the driver made for the TLS servers (BENCH_TLS_DIR). */
  const tlsFiles = (): { cert: Buffer; key: Buffer } => ({ cert: readFileSync(join(process.env.BENCH_TLS_DIR!, 'cert.pem')), key: readFileSync(join(process.env.BENCH_TLS_DIR!, 'key.pem')) });
  const proxy = async (pof: PofOptions, tls = false): Promise<void> => {
    const { createPofProxy } = (await import(`${POF}/web/proxy.js`)) as typeof import('../src/web/proxy.js');
    const p = createPofProxy({ upstream, pof, tls: tls ? tlsFiles() : undefined });
    coreStats = () => p.core.stats;
    await p.listen(port, '127.0.0.1');
    process.stdout.write('ready\n');
  };
  switch (role) {
    case 'plain':
    case 'backend':
      listen(http.createServer((_req, res) => hello(res)));
      return;
    case 'mw-socket':
      listen(http.createServer(withPof((req, res) => hello(res, req.pof ? '' : '!'), { socket: sock, timeoutMs: 50, watch: false })));
      return;
    case 'mw-live':
      return attached({ socket: sock, timeoutMs: 50 });
    case 'mw-syn-live':
      // Saved SYNs, and what a live daemon knows of the client address.
      return attached({ socket: sock, savedSyn: true, timeoutMs: 50 });
    case 'mw-inproc':
      listen(http.createServer(withPof((req, res) => hello(res, req.pof ? '' : '!'), { lookup: everyConnection() })));
      return;
    case 'daemon': {
      const { PofApiServer } = (await import(`${POF}/api/server.js`)) as typeof import('../src/api/server.js');
      await PofApiServer.listen({ path: sock, lookup: everyConnection(), maxClients: 100 });
      process.stdout.write('ready\n');
      return;
    }
    case 'proxy-pof':
      return proxy({ socket: sock, timeoutMs: 50, watch: false });
    case 'proxy-live':
      // Told by a live daemon (see liveDaemon()).
      return proxy({ socket: sock, timeoutMs: 50 });
    case 'proxy-inproc':
      // The engine in this process, as with `pof proxy -i IFACE`.
      return proxy({ lookup: everyConnection() });
    case 'proxy-syn':
      // No daemon: the kernel's saved SYN of each connection, fingerprinted here.
      return proxy({ savedSyn: true });
    case 'proxy-syn-live':
      // `pof proxy -s` where the kernel keeps SYNs: each connection's saved
      // SYN, and what a live daemon knows of the client address.
      return proxy({ socket: sock, savedSyn: true, timeoutMs: 50 });
    case 'proxy-syn-live-0':
      // The same with no host cache: a question for every connection, as
      // when each connection comes from an address not seen in the last second.
      return proxy({ socket: sock, savedSyn: true, timeoutMs: 50, hostTtlMs: 0 });
    case 'proxy-tls-syn':
      return proxy({ savedSyn: true, tls: {} }, true);
    case 'proxy-tls-inproc':
      return proxy({ lookup: everyConnection() }, true);
    case 'tls-plain':
    case 'tls-hello': {
      // A plain Node https reverse proxy; with pofTls, the same reading
      // each ClientHello first and forwarding its JA4 and JA3.
      const server = https.createServer(tlsFiles(), plainForward(upstream, 'https'));
      if (role === 'tls-hello') {
        const { pofTls } = (await import(`${POF}/web/tls-server.js`)) as typeof import('../src/web/tls-server.js');
        const { helloFactsOf } = (await import(`${POF}/web/tls-facts.js`)) as typeof import('../src/web/tls-facts.js');
        pofTls(server);
        server.removeAllListeners('request');
        server.on('request', plainForward(upstream, 'https', (req) => {
          const t = helloFactsOf(req.socket)?.tls;
          return { 'x-pof-ja4': t?.ja4 ?? '', 'x-pof-ja3': t?.ja3 ?? '' };
        }));
      }
      listen(server as unknown as http.Server);
      return;
    }
    case 'proxy-plain':
      listen(http.createServer(plainForward(upstream, 'http')));
      return;
    default:
      throw new Error(`unknown role ${role}`);
  }
}

/**
 * The baseline proxies' forwarding (streamed bodies, hop-by-hop headers
 * dropped, X-Forwarded-For, kept-alive upstream), no pof; `extra` adds
 * headers of its own.
 */
function plainForward(upstream: string, proto: string, extra?: (req: http.IncomingMessage) => http.OutgoingHttpHeaders): http.RequestListener {
  const up = new URL(upstream);
  const agent = new http.Agent({ keepAlive: true, maxFreeSockets: 256 });
  const hop = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade']);
  return (req, res) => {
    const headers: http.OutgoingHttpHeaders = {};
    for (const [k, v] of Object.entries(req.headers)) if (v !== undefined && !hop.has(k)) headers[k] = v;
    headers['x-forwarded-for'] = req.socket.remoteAddress ?? '';
    headers['x-forwarded-proto'] = proto;
    if (extra) Object.assign(headers, extra(req));
    const upReq = http.request({ agent, host: up.hostname, port: up.port, method: req.method, path: req.url, headers }, (upRes) => {
      const out: http.OutgoingHttpHeaders = {};
      for (const [k, v] of Object.entries(upRes.headers)) if (v !== undefined && !hop.has(k)) out[k] = v;
      res.writeHead(upRes.statusCode ?? 502, out);
      upRes.pipe(res);
    });
    upReq.on('error', () => {
      res.writeHead(502);
      res.end();
    });
    req.pipe(upReq);
  };
}

// ---------------------------------------------------------------- driver

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

interface Server {
  name: string;
  port: number;
  child: ChildProcess;
  /** CPU time (user + system, µs) the process has used so far. */
  cpu(): Promise<number>;
}

async function start(role: string, sock: string, upstream = '', given?: number): Promise<Server> {
  const port = given ?? (await freePort());
  const child = spawn(process.execPath, ['--import', 'tsx', SELF, 'serve', role, String(port), sock, upstream], { stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      if (d.toString().includes('ready')) resolve();
    });
    child.once('exit', (c) => reject(new Error(`${role} exited with ${c}`)));
  });
  child.channel?.unref();
  return { name: role, port, child, cpu: () => cpuOf(child) };
}

/** CPU time of any process from /proc (10 ms ticks), in µs. */
function procCpu(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(f[11]) + Number(f[12])) * 10_000;
}

/** Can this run capture on lo (root, and the libpcap addon built)? Why not, else. */
async function liveProblem(): Promise<string | null> {
  if (process.getuid?.() !== 0) return 'not root';
  const { addonAvailable } = (await import(`${POF}/capture/live.js`)) as typeof import('../src/capture/live.js');
  return addonAvailable() ? null : 'no libpcap addon';
}

/**
 * The CLI as built (it runs from the project's dist/, whatever POF is),
 * once `ready()` says so; `what` names it when it does not start.
 */
async function startCli(args: string[], ready: () => boolean | Promise<boolean>, what: string): Promise<ChildProcess> {
  const main = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
  const child = spawn(process.execPath, [main, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const end = Date.now() + 10_000;
  while (!(await ready())) {
    if (child.exitCode !== null || Date.now() > end) throw new Error(`${what} did not start: ${err.trim()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return child;
}

/**
 * A pof daemon capturing on lo the traffic of `ports` (both ways, as a
 * daemon on a web server would) and answering on `sock`: the real thing,
 * telling watching servers of each connection.
 */
async function liveDaemon(sock: string, ports: number[]): Promise<Server> {
  const filter = ports.map((p) => `tcp port ${p}`).join(' or ');
  const child = await startCli(['-i', 'lo', '-s', sock, filter], () => existsSync(sock), 'the live pof daemon');
  return { name: 'live daemon', port: 0, child, cpu: async () => procCpu(child.pid!) };
}

/**
 * `pof proxy -i lo` as the CLI runs it: the proxy with a sensor of its own
 * (its CPU includes capturing and fingerprinting the proxy's traffic).
 */
async function liveProxy(upstream: string): Promise<Server> {
  const port = await freePort();
  const accepts = (): Promise<boolean> =>
    new Promise((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => s.end(() => resolve(true)));
      s.on('error', () => resolve(false));
    });
  const child = await startCli(['proxy', '--listen', `127.0.0.1:${port}`, '--upstream', upstream, '-i', 'lo', '--timeout', '50'], accepts, 'pof proxy -i lo');
  return { name: 'pof proxy -i lo', port, child, cpu: async () => procCpu(child.pid!) };
}

const UNDER_POF = 'node:http under the pof daemon';
const UNDER_POF_PROXY = 'plain proxy under the pof daemon';
const P0F = '/usr/sbin/p0f';
const P0F_DB = '/etc/p0f/p0f.fp';

/** Why p0f cannot be run for the reference row, or null. */
function p0fProblem(): string | null {
  return existsSync(P0F) && existsSync(P0F_DB) ? null : `no ${P0F} or ${P0F_DB} (apt-get install p0f)`;
}

interface P0fDaemon extends Omit<Server, 'child'> {
  stop(): void;
}

/**
 * p0f 3.09b as a daemon (-d: no console output, like a pof daemon whose
 * stdout goes nowhere) capturing `port` on lo and answering on `sock`.
 */
function p0fDaemon(sock: string, port: number): P0fDaemon {
  // The daemon keeps the descriptors it was given: a file, not a pipe that spawnSync would wait on.
  const errFile = `${sock}.err`;
  const errFd = openSync(errFile, 'w');
  const r = spawnSync(P0F, ['-d', '-i', 'lo', '-f', P0F_DB, '-s', sock, `tcp port ${port}`], { stdio: ['ignore', 'ignore', errFd] });
  closeSync(errFd);
  const found = spawnSync('pgrep', ['-n', '-f', sock], { encoding: 'utf8' }).stdout.trim();
  const pid = Number(found);
  if (r.status !== 0 || !Number.isInteger(pid) || pid <= 0) throw new Error(`p0f did not start: ${readFileSync(errFile, 'utf8').trim().split('\n').pop()}`);
  const end = Date.now() + 5000;
  while (!existsSync(sock) && Date.now() < end) spawnSync('sleep', ['0.05']);
  return {
    name: 'p0f',
    port: 0,
    cpu: async () => procCpu(pid),
    stop: () => {
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        // already gone
      }
    },
  };
}

/** A server's pof core counters (null: no core there). */
function statsOf(c: ChildProcess): Promise<PofCoreStats | null> {
  return new Promise((resolve) => {
    c.once('message', (m) => resolve((m as { stats?: PofCoreStats | null }).stats ?? null));
    c.send('stats');
  });
}

/** CPU time (user + system, µs) a server process has used so far. */
function cpuOf(c: ChildProcess): Promise<number> {
  return new Promise((resolve) => {
    c.once('message', (m) => resolve(Number(m)));
    c.send('cpu');
  });
}

/** Ends a child and waits for it; at once if it has ended already (by exit code or signal). */
function stop(c: ChildProcess): Promise<void> {
  if (c.exitCode !== null || c.signalCode !== null) return Promise.resolve();
  return new Promise((r) => {
    c.once('exit', () => r());
    c.kill('SIGTERM');
  });
}

interface Load {
  name: string;
  connections: number;
  /** One request per connection ("Connection: close"; the server closes, autocannon reconnects). */
  close: boolean;
  /** Over TLS (each new connection a full handshake). */
  tls?: boolean;
}

const KEEPALIVE: Load = { name: 'keep-alive', connections: 50, close: false };
const NEWCONN: Load = { name: 'new connection per request', connections: 20, close: true };
/** What a lone client waits: each request on a new connection, one at a time. */
const LONE: Load = { name: 'lone client', connections: 1, close: true };
const NEWTLS: Load = { name: 'new TLS connection per request', connections: 20, close: true, tls: true };

async function measure(port: number, load: Load, duration = seconds): Promise<{ rps: number; total: number; errors: number; non2xx: number }> {
  const autocannon = createRequire(import.meta.url)('autocannon') as (
    o: Record<string, unknown>,
  ) => Promise<{ requests: { average: number; total: number }; errors: number; timeouts: number; non2xx: number }>;
  const r = await autocannon({
    url: `${load.tls ? 'https' : 'http'}://127.0.0.1:${port}/`,
    connections: load.connections,
    duration,
    ...(load.close ? { headers: { connection: 'close' } } : {}),
  });
  return { rps: r.requests.average, total: r.requests.total, errors: r.errors + r.timeouts, non2xx: r.non2xx };
}


interface Contender {
  name: string;
  server: Server;
  /** Other processes whose CPU counts for this contender (the daemon). */
  helpers?: Array<Pick<Server, 'cpu'>>;
  /** The contender its loss is measured against (default: the first). */
  against?: string;
  /** Shown instead of a goal verdict (for reference rows). */
  note?: string;
}

/**
 * Requests/s and CPU time per request of the serving process(es), each
 * round measuring every contender once (in alternating order). Losses are
 * medians of per-round losses against the baseline's run of the same round:
 * pairs measured minutes apart would mostly measure the machine's drift. On
 * a busy or small machine CPU per request is the steadier measure of cost:
 * at saturation, throughput ~ 1 / CPU per request.
 */
async function compare(title: string, load: Load, contenders: Contender[], goal: (loss: number) => string): Promise<void> {
  if (onlyLoad && !load.name.startsWith(onlyLoad)) return;
  if (match.length) {
    // The baselines stay: the first, and any a kept contender is measured against.
    const kept = contenders.filter((c, i) => i === 0 || match.some((m) => c.name.includes(m)));
    contenders = contenders.filter((c) => kept.includes(c) || kept.some((k) => k.against === c.name));
  }
  const rps = new Map<string, number[]>(contenders.map((c) => [c.name, []]));
  const cpu = new Map<string, number[]>(contenders.map((c) => [c.name, []]));
  const helperCpu = new Map<string, number[]>(contenders.map((c) => [c.name, []]));
  /** With new connections: ms per request of a lone client (what a request waits for pof). */
  const lone = load.close && latencySeconds > 0 ? new Map<string, number[]>(contenders.map((c) => [c.name, []])) : null;
  let errors = 0;
  if (warmupSeconds > 0) for (const c of contenders) await measure(c.server.port, load, warmupSeconds);
  for (let i = 0; i < runs; i++) {
    // Alternate the order so that warm-up and drift favour no one.
    const order = i % 2 ? [...contenders].reverse() : contenders;
    for (const c of order) {
      const before = await c.server.cpu();
      const hb = await Promise.all((c.helpers ?? []).map((h) => h.cpu()));
      const r = await measure(c.server.port, load);
      const after = await c.server.cpu();
      const ha = await Promise.all((c.helpers ?? []).map((h) => h.cpu()));
      rps.get(c.name)!.push(r.rps);
      cpu.get(c.name)!.push((after - before) / Math.max(1, r.total));
      helperCpu.get(c.name)!.push(ha.reduce((a, x, k) => a + x - hb[k]!, 0) / Math.max(1, r.total));
      errors += r.errors + r.non2xx;
    }
    if (lone) {
      for (const c of order) {
        const r = await measure(c.server.port, { ...LONE, tls: load.tls }, latencySeconds);
        lone.get(c.name)!.push((latencySeconds * 1000) / Math.max(1, r.total));
        errors += r.errors + r.non2xx;
      }
    }
  }
  const first = contenders[0]!.name;
  console.log(`web: ${title}, ${load.name} (${load.connections} connections, ${runs} x ${seconds} s after ${warmupSeconds} s of warm-up each):`);
  for (const c of contenders) {
    const m = median(rps.get(c.name)!);
    const us = median(cpu.get(c.name)!);
    const hus = median(helperCpu.get(c.name)!);
    const runsText = rps.get(c.name)!.map((x) => Math.round(x)).join(', ');
    const cpuText = `${us.toFixed(1)} us CPU/req` + (c.helpers?.length ? ` (+${hus.toFixed(1)} daemon)` : '');
    let tail = 'baseline';
    if (c.name !== first) {
      const base = c.against ?? first;
      const baseRps = rps.get(base)!;
      /** Median over rounds of the CPU per request lost against `b`'s run in the same round. */
      const cpuLossAgainst = (b: string): number => median(cpu.get(c.name)!.map((x, k) => 1 - cpu.get(b)![k]! / x));
      const rpsLoss = median(rps.get(c.name)!.map((x, k) => 1 - x / baseRps[k]!));
      const cpuLoss = cpuLossAgainst(base);
      const vs = c.against ? ` than "${c.against}"` : '';
      tail = `req/s ${(rpsLoss * 100).toFixed(1)}% lower, CPU-bound estimate ${(cpuLoss * 100).toFixed(1)}% lower${vs} (medians of per-round losses); ${c.note ?? goal(cpuLoss)}`;
      if (c.against) {
        // Against the first baseline too: a sensor's presence alone moves its servers' CPU per request (either way).
        const loss = cpuLossAgainst(first);
        tail += `; ${(loss * 100).toFixed(1)}% against "${first}": ${goal(loss)}`;
      }
    }
    console.log(`web:   ${c.name.padEnd(33)} ${Math.round(m).toString().padStart(6)} req/s (runs ${runsText}), ${cpuText}  ${tail}`);
  }
  if (lone) {
    // Added latency: median over rounds of the difference with the baseline's run of the same round.
    const text = contenders.map((c) => {
      const ms = median(lone.get(c.name)!);
      if (c.name === first) return `${c.name} ${ms.toFixed(2)} ms`;
      const base = lone.get(c.against ?? first)!;
      const added = median(lone.get(c.name)!.map((x, k) => x - base[k]!));
      return `${c.name} ${ms.toFixed(2)} ms (${added >= 0 ? '+' : ''}${added.toFixed(2)}${c.against ? ` vs "${c.against}"` : ''})`;
    });
    console.log(`web:   a lone client, new connection per request (${latencySeconds} s per round): ${text.join('; ')}`);
  }
  if (errors) console.log(`web:   (${errors} errors or non-2xx answers)`);
  for (const c of contenders) {
    const st = c.helpers?.length ? await statsOf(c.server.child) : null;
    if (st?.lookups) {
      const how = st.savedSyns
        ? `${st.savedSyns} saved SYNs read, ${st.hostCached} client addresses known already, ${st.asked} questions asked`
        : `${st.told} told before the request, ${st.toldLate} told while it waited, ${st.asked} questions asked`;
      console.log(`web:     ${c.name}: ${st.lookups} lookups: ${how}`);
    }
  }
}

/**
 * The part of a keep-alive request that the middleware adds once the
 * connection is cached, timed in this process without sockets: a
 * withPof-wrapped listener against the bare one on the same requests.
 */
async function hotPathNs(): Promise<number> {
  const { withPof } = (await import(`${POF}/web/node-http.js`)) as typeof import('../src/web/node-http.js');
  const sockets = Array.from({ length: 50 }, (_, i) => ({ remoteAddress: '127.0.0.1', remotePort: 40000 + i, localAddress: '127.0.0.1', localPort: 80 }));
  let sink = 0;
  const bare = (req: http.IncomingMessage): void => {
    sink += req.pof ? 1 : 0;
  };
  const wrapped = withPof(bare, { lookup: everyConnection() });
  class FakeReq {
    headers = {};
    pof: unknown = undefined;
    constructor(readonly socket: unknown) {}
  }
  const time = (fn: (req: http.IncomingMessage, res: http.ServerResponse) => void): number => {
    const n = 1_000_000;
    const t0 = performance.now();
    for (let i = 0; i < n; i++) fn(new FakeReq(sockets[i % 50]) as unknown as http.IncomingMessage, null as unknown as http.ServerResponse);
    return ((performance.now() - t0) * 1e6) / n;
  };
  const b: number[] = [];
  const w: number[] = [];
  for (let i = 0; i < 5; i++) {
    b.push(time(bare));
    w.push(time(wrapped));
  }
  if (sink < 0) console.log(sink);
  return Math.max(0, median(w) - median(b));
}

export async function web(): Promise<void> {
  if (only && only !== 'middleware' && only !== 'proxy' && only !== 'tls') throw new Error(`BENCH_WEB_ONLY must be middleware, proxy or tls, not ${only}`);
  if (onlyLoad && onlyLoad !== 'keep-alive' && onlyLoad !== 'new') throw new Error(`BENCH_WEB_LOAD must be keep-alive or new, not ${onlyLoad}`);
  if (!only || only === 'middleware') {
    const hot = await hotPathNs();
    console.log(`web: middleware hot path (a keep-alive request on a connection already looked up): ${hot.toFixed(0)} ns per request`);
  }
  const dir = mkdtempSync(join(tmpdir(), 'pof-bench-web-'));
  const sock = join(dir, 'pof.sock');
  const children: ChildProcess[] = [];
  const launch = async (role: string, upstream = '', path = sock, port?: number): Promise<Server> => {
    const s = await start(role, path, upstream, port);
    children.push(s.child);
    return s;
  };
  const noLive = await liveProblem();
  const withSyn = ((await import(`${POF}/web/saved-syn.js`)) as typeof import('../src/web/saved-syn.js')).savedSynAvailable();
  if (noLive) console.log(`web: (${noLive}: the routes told by a live daemon are not measured)`);
  /**
   * A server told by a live daemon of its own, the daemon, and a baseline
   * server of `baseRole` that the daemon captures too but that never asks
   * it: what the told route costs beyond the sensor's presence, which any
   * sensor on the machine (p0f too) brings. The daemon starts first, as
   * docs/web.md advises: a server whose middleware started before its
   * daemon ran 15-35% slower in this bench for the rest of its life.
   */
  const launchLive = async (role: string, baseRole: string, path: string, upstream = '', more: string[] = []): Promise<{ server: Server; daemon: Server; base: Server; more: Server[] }> => {
    const ports = [await freePort()];
    while (ports.length < 2 + more.length) {
      const p = await freePort();
      if (!ports.includes(p)) ports.push(p);
    }
    const daemon = await liveDaemon(path, ports);
    children.push(daemon.child);
    const server = await launch(role, upstream, path, ports[0]);
    const base = await launch(baseRole, upstream, sock, ports[1]);
    const others: Server[] = [];
    for (let i = 0; i < more.length; i++) others.push(await launch(more[i]!, upstream, path, ports[2 + i]));
    return { server, daemon, base, more: others };
  };
  const p0f = noLive ? null : p0fProblem();
  if (p0f) console.log(`web: (${p0f}: the p0f reference row is not measured)`);
  const loss5 = (l: number): string => (l < 0.05 ? 'goal < 5%: met' : 'goal < 5%: missed');
  const loss15 = (l: number): string => (l <= 0.15 ? 'goal within 15%: met' : 'goal within 15%: missed');
  try {
    if (!only || only === 'tls') {
      // A certificate for the TLS servers, read by each from BENCH_TLS_DIR.
      const made = spawnSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-subj', '/CN=localhost', '-days', '1', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'ignore' });
      if (made.status !== 0) throw new Error('openssl req failed: the tls part needs openssl');
      process.env.BENCH_TLS_DIR = dir;
      const backend = await launch('backend');
      const upstream = `http://127.0.0.1:${backend.port}`;
      const tx: Contender[] = [
        { name: 'plain Node https proxy', server: await launch('tls-plain', upstream) },
        { name: 'the same reading each ClientHello', server: await launch('tls-hello', upstream) },
        { name: 'pof proxy --tls-cert (in-process)', server: await launch('proxy-tls-inproc', upstream), note: 'reference: HTTP/2 server, every X-Pof-* header' },
      ];
      if (withSyn) tx.push({ name: 'pof proxy --tls-cert --saved-syn', server: await launch('proxy-tls-syn', upstream), note: 'reference' });
      await compare('TLS', NEWTLS, tx, (l) => (l <= 0.1 ? 'goal at most 10%: met' : 'goal at most 10%: missed'));
      for (const c of [backend, ...tx.map((t) => t.server)]) await stop(c.child);
      if (only === 'tls') return;
    }
    const daemon = await launch('daemon');
    if (only !== 'proxy') {
      const plain = await launch('plain');
      const mwSock = await launch('mw-socket');
      const mwIn = await launch('mw-inproc');
      const mw: Contender[] = [
        { name: 'node:http (no pof)', server: plain },
        { name: 'withPof, daemon, asked', server: mwSock, helpers: [daemon] },
      ];
      const live = noLive ? null : await launchLive('mw-live', 'plain', join(dir, 'mw-live.sock'), '', withSyn ? ['mw-syn-live'] : []);
      if (live) {
        mw.push({ name: UNDER_POF, server: live.base, helpers: [live.daemon], note: 'reference: the sensor capturing a server that never asks it' });
        mw.push({ name: 'withPof, daemon, told', server: live.server, helpers: [live.daemon], against: UNDER_POF });
        if (live.more[0]) mw.push({ name: 'withPof, saved SYN + daemon', server: live.more[0], helpers: [live.daemon], against: UNDER_POF });
      }
      mw.push({ name: 'withPof, in-process', server: mwIn });
      let ref: { server: Server; p0f: P0fDaemon } | null = null;
      if (!noLive && !p0f) {
        const server = await launch('plain');
        ref = { server, p0f: p0fDaemon(join(dir, 'p0f.sock'), server.port) };
        mw.push({ name: 'node:http under p0f', server, helpers: [ref.p0f], note: 'reference: p0f 3.09b capturing a server that never asks it' });
      }
      try {
        await compare('middleware', KEEPALIVE, mw, loss5);
        await compare('middleware', NEWCONN, mw, (l) => `one lookup per connection: ${(l * 100).toFixed(1)}%`);
      } finally {
        ref?.p0f.stop();
      }
      for (const c of [plain, mwSock, mwIn, ...(live ? [live.server, live.base, ...live.more, live.daemon] : []), ...(ref ? [ref.server] : [])]) await stop(c.child);
    }
    if (only === 'middleware') return;

    const backend = await launch('backend');
    const upstream = `http://127.0.0.1:${backend.port}`;
    const pp = await launch('proxy-plain', upstream);
    const pofp = await launch('proxy-pof', upstream);
    const px: Contender[] = [
      { name: 'plain Node reverse proxy', server: pp },
      { name: 'pof proxy (daemon, asked)', server: pofp, helpers: [daemon] },
    ];
    if (!noLive) {
      const live = await launchLive('proxy-live', 'proxy-plain', join(dir, 'proxy-live.sock'), upstream, withSyn ? ['proxy-syn-live', 'proxy-syn-live-0'] : []);
      px.push({ name: UNDER_POF_PROXY, server: live.base, helpers: [live.daemon], note: 'reference: the sensor capturing a proxy that never asks it' });
      px.push({ name: 'pof proxy (daemon, told)', server: live.server, helpers: [live.daemon], against: UNDER_POF_PROXY });
      // pof proxy -s's route where the kernel keeps SYNs.
      if (withSyn) {
        px.push({ name: 'pof proxy (saved SYN + daemon)', server: live.more[0]!, helpers: [live.daemon], against: UNDER_POF_PROXY });
        px.push({ name: 'pof proxy (saved SYN + daemon, every address new)', server: live.more[1]!, helpers: [live.daemon], against: UNDER_POF_PROXY });
      }
    }
    px.push({ name: 'pof proxy (in-process)', server: await launch('proxy-inproc', upstream) });
    if (!noLive) {
      const own = await liveProxy(upstream);
      children.push(own.child);
      px.push({ name: 'pof proxy -i lo (own sensor)', server: own });
    }
    if (withSyn) px.push({ name: 'pof proxy (saved SYN)', server: await launch('proxy-syn', upstream) });
    else console.log('web: (no saved-SYN addon: pof proxy --saved-syn not measured)');
    await compare('proxy', KEEPALIVE, px, loss15);
    await compare('proxy', NEWCONN, px, loss15);
  } finally {
    for (const c of children) await stop(c);
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && pathToFileURL(process.argv[1]).href === import.meta.url) {
  if (process.argv[2] === 'serve') {
    await serve(process.argv[3]!, Number(process.argv[4]), process.argv[5] ?? '', process.argv[6] ?? '');
  } else {
    await web();
  }
}
