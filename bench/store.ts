/**
 * `npm run bench store`: the shared store's two speed questions.
 *
 * 1. Lookups: a web node asking about connections, through Redis (the
 *    StoreReader, no local cache: every question a round trip) beside
 *    the daemon's Unix socket (PofClient's JSON connection queries), both
 *    holding the same STORE_BENCH_CONNS connections (bench/store-daemon.ts,
 *    its own process, publishes them). 4 clients, each keeping DEPTH
 *    questions in flight, and again with one in flight; 5/6 of the
 *    questions known. Reported: lookups per second, p50 and p99 latency.
 *    Redis's figures are against the socket's, measured in the same run.
 *
 * 2. Publishing: the sensor's publisher alone, fed synthetic verdicts at a
 *    paced rate (each SYN: its verdict twice, as the SYN and then its MTU
 *    update it, and its host), from 4,096 sources and with every source
 *    new, at rates doubling from 57,000 SYN/s through the goal of 228,000
 *    (there with 1 and 2 publishing threads). Reported per rate: verdicts
 *    and hosts Redis acknowledged per second, records dropped, the sensor
 *    thread's CPU per SYN spent in the publisher (its /proc CPU time, less
 *    a dry run's with the same feeding loop), the publishing threads' CPU
 *    per SYN, and the event-loop delay p99: what capture would feel.
 *
 * 3. The sensor: the real daemon, `pof -i lo --store ...`, fed paced SYNs
 *    on lo (bench/store-sensor.ts; root): what it publishes per second,
 *    what it drops, and what capture feels, beside the daemon alone.
 *
 * Needs redis-server. Env: STORE_BENCH_CONNS (default 20000),
 * STORE_BENCH_SECONDS (3), STORE_BENCH_DEPTH (8), PUBLISH_SECONDS (3),
 * PUBLISH_MAX (912000), STORE_BENCH_PARTS (lookups,publish,sensor), and
 * store-sensor.ts's own.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

import { PofClient } from '../src/api/client.js';
import { StorePublisher } from '../src/api/store/publisher.js';
import { StoreReader } from '../src/api/store/reader.js';
import { clientAddr, makeHost, makeVerdict, SRV } from './store-data.js';
import { storeSensor } from './store-sensor.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CONNS = Number(process.env.STORE_BENCH_CONNS ?? 20_000);
const SECONDS = Number(process.env.STORE_BENCH_SECONDS ?? 3);
const DEPTH = Number(process.env.STORE_BENCH_DEPTH ?? 8);
const PUB_SECONDS = Number(process.env.PUBLISH_SECONDS ?? 3);
const PUB_MAX = Number(process.env.PUBLISH_MAX ?? 912_000);
const CLIENTS = 4;
const SOURCES = 4096;
const GOAL_SYN = 228_000;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

async function startRedis(dir: string): Promise<{ url: string; proc: ChildProcess }> {
  const port = await freePort();
  const proc = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  proc.stdout!.on('data', (d) => (log += d));
  for (const t = Date.now(); !/Ready to accept/.test(log); await sleep(20)) if (Date.now() - t > 10_000 || proc.exitCode !== null) throw new Error(`redis-server: ${log}`);
  return { url: `redis://127.0.0.1:${port}`, proc };
}

// ---------------------------------------------------------------- lookups

interface Load {
  qps: number;
  p50: number;
  p99: number;
  found: number;
  errors: number;
}

const HIST_US = 200_000;

function percentile(hist: Uint32Array, total: number, p: number): number {
  const want = Math.ceil(total * p);
  let acc = 0;
  for (let i = 0; i < hist.length; i++) {
    acc += hist[i]!;
    if (acc >= want) return i / 1000;
  }
  return hist.length / 1000;
}

type Ask = (i: number) => Promise<boolean>;

/** CLIENTS askers, `depth` questions in flight each, for SECONDS after 300 ms of warm-up. */
async function load(askers: Ask[], depth: number): Promise<Load> {
  const hist = new Uint32Array(HIST_US + 1);
  let total = 0;
  let found = 0;
  let errors = 0;
  const t0 = performance.now();
  const from = t0 + 300;
  const to = from + SECONDS * 1000;
  // 1 question in 6 about a connection nobody knows.
  const pick = (k: number): number => (k % 6 === 5 ? CONNS + k : (k * 7919) % CONNS);
  await Promise.all(
    askers.map(async (ask, c) => {
      let k = c * 1_000_003;
      await Promise.all(
        Array.from({ length: depth }, async () => {
          while (performance.now() < to) {
            const s = performance.now();
            let ok = false;
            let err = false;
            try {
              ok = await ask(pick(k++));
            } catch {
              err = true;
            }
            const e = performance.now();
            if (s >= from && e <= to) {
              total++;
              if (ok) found++;
              if (err) errors++;
              hist[Math.min(HIST_US, Math.round((e - s) * 1000))]!++;
            }
          }
        }),
      );
    }),
  );
  return { qps: total / SECONDS, p50: percentile(hist, total, 0.5), p99: percentile(hist, total, 0.99), found, errors };
}

function tuple(i: number): { cli: string; cliPort: number; srv: string; srvPort: number } {
  const v = makeVerdict(i, SOURCES);
  return { cli: v.cli, cliPort: v.cliPort, srv: SRV, srvPort: 443 };
}

async function lookups(dir: string, url: string): Promise<void> {
  const sock = path.join(dir, 'pof.sock');
  const prefix = 'pofbench:';
  const daemon = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'bench', 'store-daemon.ts'), sock, String(CONNS), String(SOURCES), url, prefix], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  daemon.stdout!.on('data', (d) => (out += d));
  for (const t = Date.now(); !out.includes('ready'); await sleep(20)) if (Date.now() - t > 120_000 || daemon.exitCode !== null) throw new Error(`store-daemon: ${out}`);
  console.log(`store: ${fmt(CONNS)} connections from ${fmt(SOURCES)} sources, in the daemon and in Redis (${out.trim()})`);
  const clients = Array.from({ length: CLIENTS }, () => new PofClient({ path: sock, maxInFlight: 64 }));
  const readers = Array.from({ length: CLIENTS }, () => new StoreReader({ url, keyPrefix: prefix, cacheTtlMs: 0, timeoutMs: 5000, maxInFlight: 10_000 }));
  try {
    await Promise.all(readers.map((r) => r.ready()));
    const viaSocket: Ask[] = clients.map((c) => async (i) => {
      const t = tuple(i);
      const a = await c.queryJson({ cli: t.cli, cli_port: t.cliPort, srv: t.srv, srv_port: t.srvPort });
      return a.status === 'ok' && 'conn' in a && a.conn != null;
    });
    const viaRedis: Ask[] = readers.map((r) => async (i) => {
      const a = await r.connection(tuple(i));
      return a !== null && a.conn !== null;
    });
    const rounds: Record<'socket' | 'redis', Load[]> = { socket: [], redis: [] };
    // Alternating, so that the machine's drift hits both.
    for (let k = 0; k < 3; k++) {
      rounds.socket.push(await load(viaSocket, DEPTH));
      rounds.redis.push(await load(viaRedis, DEPTH));
    }
    const one = { socket: await load(viaSocket, 1), redis: await load(viaRedis, 1) };
    const med = (xs: Load[]): Load => [...xs].sort((a, b) => a.qps - b.qps)[1]!;
    for (const who of ['socket', 'redis'] as const) {
      const m = med(rounds[who]);
      const hit = m.found / Math.max(1, m.qps * SECONDS);
      console.log(
        `store: lookups via ${who === 'socket' ? 'the Unix socket' : 'Redis          '}  ${fmt(m.qps)}/s (rounds ${rounds[who].map((x) => fmt(x.qps)).join(', ')}), p50 ${m.p50.toFixed(3)} ms, p99 ${m.p99.toFixed(3)} ms ` +
          `[${CLIENTS} clients x ${DEPTH} in flight]; found ${(hit * 100).toFixed(1)}%, errors ${m.errors}`,
      );
      const o = one[who];
      console.log(`store: lookups via ${who === 'socket' ? 'the Unix socket' : 'Redis          '}  ${fmt(o.qps)}/s, p50 ${o.p50.toFixed(3)} ms, p99 ${o.p99.toFixed(3)} ms [${CLIENTS} clients, one in flight each]`);
    }
    const s = med(rounds.socket);
    const r = med(rounds.redis);
    console.log(`store: Redis/socket = ${(r.qps / s.qps).toFixed(2)}x lookups per second, p99 ${(r.p99 / s.p99).toFixed(2)}x; one in flight: ${(one.redis.qps / one.socket.qps).toFixed(2)}x, p99 ${(one.redis.p99 / one.socket.p99).toFixed(2)}x`);
  } finally {
    await Promise.all([...clients.map((c) => c.close()), ...readers.map((r) => r.close())]);
    daemon.kill('SIGTERM');
    await new Promise((r) => daemon.once('exit', r));
  }
}

// ---------------------------------------------------------------- publishing

/** CPU seconds of this process's main thread (the sensor's), from /proc (Linux). */
function mainThreadCpu(): number {
  try {
    const f = fs.readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
    const rest = f.slice(f.lastIndexOf(')') + 2).split(' ');
    return (Number(rest[11]) + Number(rest[12])) / 100;
  } catch {
    return NaN;
  }
}

interface PubRun {
  offered: number;
  /** Connection records Redis acknowledged per second (one per SYN when nothing is dropped). */
  connsPublished: number;
  hostsPublished: number;
  dropped: number;
  /** Sensor-thread CPU per SYN for the publisher (conn()/host() and the encoding): the run's minus a dry run's. */
  usPerSyn: number;
  /** CPU of the publishing threads per SYN. */
  workerUsPerSyn: number;
  lagP99Ms: number;
}

type Pool = { v: ReturnType<typeof makeVerdict>[]; h: ReturnType<typeof makeHost>[] };

/**
 * SYNs at `rate` for PUB_SECONDS: for each, its verdict given twice (the
 * SYN, then its MTU) and its host. Verdict objects are made beforehand;
 * with `pub` null the same loop runs with nothing behind the calls (the
 * dry run whose CPU is taken off).
 */
async function feed(pub: StorePublisher | null, rate: number, pool: Pool): Promise<{ seconds: number; mainCpu: number; procCpu: number; lagP99Ms: number }> {
  const lag = monitorEventLoopDelay({ resolution: 1 });
  const total = Math.round(rate * PUB_SECONDS);
  const sink = pub ?? { conn: (_v: unknown) => {}, host: (_h: unknown) => {} };
  let sent = 0;
  const c0 = mainThreadCpu();
  const p0 = process.cpuUsage();
  const t0 = performance.now();
  lag.enable();
  while (sent < total) {
    const due = Math.min(total, Math.floor(((performance.now() - t0) / 1000) * rate));
    for (; sent < due; sent++) {
      const v = pool.v[sent % pool.v.length]!;
      sink.conn(v);
      sink.conn(v);
      sink.host(pool.h[sent % pool.h.length]!);
    }
    // Sleep to the next batch, as capture waits for packets: the thread
    // is idle between batches, so its CPU time is the work done.
    await new Promise((r) => setTimeout(r, 1));
  }
  lag.disable();
  const seconds = (performance.now() - t0) / 1000;
  if (pub) await pub.flush(15_000);
  const pc = process.cpuUsage(p0);
  return { seconds, mainCpu: mainThreadCpu() - c0, procCpu: (pc.user + pc.system) / 1e6, lagP99Ms: lag.percentile(99) / 1e6 };
}

async function publishRun(url: string, rate: number, pool: Pool, threads: number): Promise<PubRun> {
  const dry = await feed(null, rate, pool);
  const pub = new StorePublisher({ url, keyPrefix: `pofpub${rate}t${threads}:`, connTtlS: 30, hostTtlS: 30, threads });
  for (const t = Date.now(); pub.unavailable() !== null; await sleep(10)) if (Date.now() - t > 10_000) throw new Error(`no redis: ${pub.unavailable()}`);
  const run = await feed(pub, rate, pool);
  const st = pub.stats;
  await pub.close();
  const total = Math.round(rate * PUB_SECONDS);
  return {
    offered: total / run.seconds,
    connsPublished: (st.published - st.encodedHosts) / run.seconds,
    hostsPublished: st.encodedHosts / run.seconds,
    dropped: st.dropped.full + st.dropped.down + st.dropped.tooLarge,
    usPerSyn: ((run.mainCpu - dry.mainCpu) * 1e6) / total,
    workerUsPerSyn: ((run.procCpu - run.mainCpu) * 1e6) / total,
    lagP99Ms: run.lagP99Ms,
  };
}

async function publishing(url: string): Promise<void> {
  for (const [label, sources] of [
    [`SYNs from ${fmt(SOURCES)} sources`, SOURCES],
    ['SYN flood, every source new', 0],
  ] as const) {
    // 100,000 distinct 4-tuples (and, for the flood, hosts), each used again
    // well after it was published: every SYN is a fresh record to publish.
    const n = 100_000;
    const span = sources === 0 ? n : sources;
    const pool: Pool = { v: [], h: [] };
    for (let i = 0; i < n; i++) pool.v.push(makeVerdict(i, span));
    for (let i = 0; i < n; i++) pool.h.push(makeHost(clientAddr(i, span)));
    if (sources) pool.h = pool.h.slice(0, sources);
    const plan: Array<[number, number]> = [];
    for (let rate = GOAL_SYN / 4; rate <= PUB_MAX; rate *= 2) plan.push([rate, 1]);
    plan.push([GOAL_SYN, 2]);
    for (const [rate, threads] of plan) {
      const r = await publishRun(url, rate, pool, threads);
      console.log(
        `publish: ${label}, ${fmt(rate)} SYN/s (${fmt(r.offered)} achieved), ${threads} thread${threads > 1 ? 's' : ''}: published ${fmt(r.connsPublished)} verdicts/s and ${fmt(r.hostsPublished)} hosts/s, dropped ${fmt(r.dropped)} records; ` +
          `sensor thread ${r.usPerSyn.toFixed(2)} us CPU per SYN, publishing threads ${r.workerUsPerSyn.toFixed(2)} us, event-loop delay p99 ${r.lagP99Ms.toFixed(2)} ms${rate === GOAL_SYN ? ' [the goal]' : ''}`,
      );
    }
  }
  console.log(`publish: ${os.cpus().length} CPUs, load average ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}`);
}

export async function store(): Promise<void> {
  if (spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status !== 0) return void console.log('store: skipped (redis-server not installed)');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pof-bench-store-'));
  const redis = await startRedis(dir);
  try {
    const which = process.env.STORE_BENCH_PARTS ?? 'lookups,publish,sensor';
    if (which.includes('lookups')) await lookups(dir, redis.url);
    if (which.includes('publish')) await publishing(redis.url);
    if (which.includes('sensor')) await storeSensor(redis.url);
  } finally {
    redis.proc.kill('SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

// Run alone: node --import tsx bench/store.ts
if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) await store();
