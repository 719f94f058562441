/**
 * `npm run bench`: the questions pof's issues ask of its speed, each
 * answered as a ratio against a baseline measured in the same run.
 *
 *   offline  pof -r bench.pcap -f /etc/p0f/p0f.fp -o LOG  vs  p0f -r bench.pcap -o LOG
 *            (alternating runs; wall time and peak RSS from /usr/bin/time)
 *   web      middleware and `pof proxy` requests/s against plain Node
 *            baselines (autocannon on loopback; see web.ts)
 *
 * The capture is built by ../shared/bench/make_bench_pcap.py (2M packets,
 * seed 1) into $POF_BENCH_DIR (default /tmp/pofbench) when missing. Set
 * BENCH_RUNS to change the number of alternating runs (default 3).
 *
 *   flood    1,000,000 spoofed SYNs with default limits: peak RSS, tables,
 *            regular clients kept (bench/flood.ts)
 *
 *   api      the daemon: p0f 3 queries per second and p99 latency (4 pipelining
 *            clients) and live packets per second on lo without loss, each
 *            against p0f 3.09b on the same machine (bench/api.ts)
 *
 *   store    the shared store: lookups per second and p99 through Redis beside
 *            the Unix socket (4 clients), and the publish rate the sensor's
 *            publisher sustains, with drops (bench/store.ts)
 *
 *   floodapi the daemon's query latency (p50/p99) and kernel drops during a
 *            20 s hping3 SYN flood on lo, in a network namespace, for pof and
 *            for p0f 3.09b (bench/floodapi.ts)
 *
 *   report   pof report bench.pcap against pof -r bench.pcap alone, wall and
 *            CPU time (bench/report.ts)
 *
 *   tls      ClientHellos per second: framing + parsing, JA4, JA3, and QUIC
 *            Initial decryption, on the corpus's real hellos (bench/tls.ts)
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { median } from './stats.js';

import { web } from './web.js';
import { api } from './api.js';
import { flood } from './flood.js';
import { floodapi } from './floodapi.js';
import { report } from './report.js';
import { tls } from './tls.js';
import { store } from './store.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const shared = process.env.POF_SHARED ?? path.resolve(root, '../shared');
const dir = process.env.POF_BENCH_DIR ?? '/tmp/pofbench';
const runs = Number(process.env.BENCH_RUNS ?? 3);
const only = process.argv.slice(2);

function have(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

function ensureCapture(): string | null {
  const out = path.join(dir, 'bench.pcap');
  if (fs.existsSync(out) && fs.statSync(out).size > 1e8) return out;
  const gen = path.join(shared, 'bench', 'make_bench_pcap.py');
  const dev = path.join(shared, 'corpus', 'dev');
  if (!fs.existsSync(gen) || !fs.existsSync(dev)) {
    console.log(`offline: skipped (no ${gen}; the benchmark capture is built from ../shared)`);
    return null;
  }
  fs.mkdirSync(dir, { recursive: true });
  const inputs = fs.readdirSync(dev).filter((f) => /\.(pcap|pcapng)$/.test(f)).map((f) => path.join(dev, f));
  console.log(`building ${out} (2,000,000 packets, seed 1)...`);
  const r = spawnSync('python3', [gen, '-n', '2000000', '--seed', '1', '-o', out, ...inputs], { stdio: ['ignore', 'ignore', 'inherit'] });
  if (r.status !== 0) throw new Error('make_bench_pcap.py failed');
  return out;
}

interface Timed {
  seconds: number;
  maxRssMb: number;
}

function timed(cmd: string[]): Timed {
  const r = spawnSync('/usr/bin/time', ['-f', '%e %M', ...cmd], { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  const last = r.stderr.trim().split('\n').pop() ?? '';
  const m = /^([\d.]+) (\d+)$/.exec(last);
  if (r.status !== 0 || !m) throw new Error(`${cmd.join(' ')} failed: ${r.stderr.slice(-500)}`);
  return { seconds: Number(m[1]), maxRssMb: Number(m[2]) / 1024 };
}

function offline(): void {
  const cap = ensureCapture();
  if (!cap) return;
  const cli = path.join(root, 'dist', 'cli', 'main.js');
  if (!fs.existsSync(cli)) throw new Error('run `npm run build` first');
  const p0fDb = '/etc/p0f/p0f.fp';
  const withP0f = have('p0f') && fs.existsSync(p0fDb);
  const pofT: Timed[] = [];
  const p0fT: Timed[] = [];
  const runPof = (): void => {
    const log1 = path.join(dir, 'pof.log');
    fs.rmSync(log1, { force: true });
    // Without p0f's database, pof's own (its default).
    pofT.push(timed(['node', cli, '-r', cap, ...(withP0f ? ['-f', p0fDb] : []), '-o', log1]));
  };
  const runP0f = (): void => {
    const log2 = path.join(dir, 'p0f.log');
    fs.rmSync(log2, { force: true });
    p0fT.push(timed(['p0f', '-r', cap, '-o', log2]));
  };
  for (let i = 0; i < runs; i++) {
    // Each pair runs back to back, in alternating order, so that the
    // machine's drift (tens of percent within minutes here) hits both sides.
    if (!withP0f) runPof();
    else if (i % 2) {
      runP0f();
      runPof();
    } else {
      runPof();
      runP0f();
    }
  }
  const pofS = median(pofT.map((t) => t.seconds));
  const pofRss = Math.max(...pofT.map((t) => t.maxRssMb));
  console.log(`offline: pof  ${pofS.toFixed(2)} s (runs ${pofT.map((t) => t.seconds).join(', ')}), peak RSS ${pofRss.toFixed(0)} MB`);
  if (withP0f) {
    const p0fS = median(p0fT.map((t) => t.seconds));
    const p0fRss = Math.max(...p0fT.map((t) => t.maxRssMb));
    console.log(`offline: p0f  ${p0fS.toFixed(2)} s (runs ${p0fT.map((t) => t.seconds).join(', ')}), peak RSS ${p0fRss.toFixed(0)} MB`);
    const pairs = pofT.map((t, k) => p0fT[k]!.seconds / t.seconds);
    console.log(`offline: pof is ${(p0fS / pofS).toFixed(2)}x p0f's speed (ratio of medians; median of per-pair ratios ${median(pairs).toFixed(2)}x, pairs ${pairs.map((x) => x.toFixed(2)).join(', ')}) (goal >= 2x), peak RSS ${pofRss.toFixed(0)} MB (goal < 200 MB)`);
    const a = fs.readFileSync(path.join(dir, 'pof.log'), 'utf8').split('\n').length;
    const b = fs.readFileSync(path.join(dir, 'p0f.log'), 'utf8').split('\n').length;
    console.log(`offline: log lines pof ${a - 1}, p0f ${b - 1}`);
  } else {
    console.log('offline: p0f not installed (apt-get install p0f): no baseline');
  }
}

const benches: Record<string, () => void | Promise<void>> = { offline, flood, api, web, floodapi, tls, store, report: () => report(ensureCapture(), runs) };
for (const [name, fn] of Object.entries(benches)) {
  if (only.length && !only.includes(name)) continue;
  await fn();
}
