/**
 * `npm run bench store` (part "sensor"): the publish rate the real daemon
 * sustains, through its real path: `pof -i lo --store redis://...` fed by
 * bench/api.ts's raw-socket sender (Linux loopback SYNs to a non-local
 * address, from 4,096 sources, paced), at rates doubling from 57,000 SYN/s
 * to the goal of 228,000. Each rate is run three ways, one after the
 * other: the sensor alone (the baseline), with --http (metrics and the
 * dashboard's summary fed), and with --http and --store. Reported per run:
 * packets processed and kernel drops (the daemon's exit summary: what
 * capture felt); with --store, the records (verdicts and hosts) Redis
 * acknowledged and those dropped, by reason, during the paced traffic
 * (the daemon's /metrics read before and after it); and the daemon's CPU
 * per SYN (all threads, publishing threads included) against the
 * baseline's.
 *
 * Needs root, the capture addon, cc and redis-server. Env: SENSOR_SECONDS
 * (default 3), SENSOR_MAX (default 228000).
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { addonAvailable } from '../src/capture/live.js';
import { buildSender, cpuSeconds, runSender } from './api.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const MAIN = path.join(root, 'src', 'cli', 'main.ts');
const SECONDS = Number(process.env.SENSOR_SECONDS ?? 3);
const MAX = Number(process.env.SENSOR_MAX ?? 228_000);
const SOURCES = 4096;
const FILTER = 'tcp dst port 9 and dst host 198.18.0.1';

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

type Mode = 'alone' | 'http' | 'http+store';

/** A counter's value in Prometheus text (labels as written by prom-client), 0 when absent. */
function counter(text: string, series: string): number {
  const i = text.indexOf(`\n${series} `);
  return i === -1 ? 0 : Number(text.slice(i + series.length + 2, text.indexOf('\n', i + 1)));
}

interface StoreCounts {
  published: number;
  full: number;
  down: number;
  tooLarge: number;
}

async function storeCounts(base: string): Promise<StoreCounts> {
  const t = await (await fetch(`${base}/metrics`)).text();
  return {
    published: counter(t, 'pof_store_published_total'),
    full: counter(t, 'pof_store_publish_dropped_total{reason="full"}'),
    down: counter(t, 'pof_store_publish_dropped_total{reason="down"}'),
    tooLarge: counter(t, 'pof_store_publish_dropped_total{reason="too_large"}'),
  };
}

interface Run {
  mode: Mode;
  rate: number;
  achieved: number;
  sent: number;
  processed: number;
  kernelDrops: number;
  published: number;
  dropped: { full: number; down: number; tooLarge: number };
  cpuUsPerSyn: number;
  /** The main thread alone (engine, outputs, the publisher's encoding): what capture waits on. */
  mainUsPerSyn: number;
}

/** utime + stime of one thread of a process, seconds (the main thread's id is the pid). */
function threadCpuSeconds(pid: number, tid: number): number {
  const st = fs.readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
  const f = st.slice(st.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / 100;
}

/** pof_packets_total, once it has stopped growing (the engine has caught up), or after 10 s. */
async function caughtUp(base: string): Promise<void> {
  let last = -1;
  for (const end = Date.now() + 10_000; Date.now() < end; await sleep(300)) {
    const n = counter(await (await fetch(`${base}/metrics`)).text(), 'pof_packets_total');
    if (n === last) return;
    last = n;
  }
}

async function runOnce(sender: string, redisUrl: string, mode: Mode, rate: number): Promise<Run> {
  const args = ['-i', 'lo'];
  const base = `http://127.0.0.1:${await freePort()}`;
  if (mode !== 'alone') args.push('--http', base.slice('http://'.length));
  if (mode === 'http+store') args.push('--store', redisUrl);
  // The console on /dev/null: pof formats nothing for it (as with -q, which would hide the lines waited for).
  const proc = spawn(process.execPath, ['--import', 'tsx', MAIN, ...args, FILTER], { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  proc.stderr!.on('data', (d) => (err += d));
  const exited = new Promise<void>((r) => proc.on('exit', () => r()));
  const t0 = Date.now();
  const ready = (): boolean => err.includes('Entered main event loop') && (mode !== 'http+store' || err.includes('Store: publishing verdicts'));
  while (!ready()) {
    if (proc.exitCode !== null || Date.now() - t0 > 30_000) throw new Error(`pof did not start: ${err}`);
    await sleep(20);
  }
  await sleep(300);
  const warm = runSender(sender, 25_000, 1, { label: '', synEvery: 1, sources: SOURCES });
  await sleep(500);
  const before = mode === 'http+store' ? await storeCounts(base) : null;
  const cpu0 = cpuSeconds(proc.pid!);
  const main0 = threadCpuSeconds(proc.pid!, proc.pid!);
  const run = runSender(sender, rate, SECONDS, { label: '', synEvery: 1, sources: SOURCES });
  // The sensor and the publisher catch up.
  if (mode === 'alone') await sleep(1500);
  else await caughtUp(base);
  await sleep(300);
  const cpu1 = cpuSeconds(proc.pid!);
  const main1 = threadCpuSeconds(proc.pid!, proc.pid!);
  const after = before ? await storeCounts(base) : null;
  proc.kill('SIGINT');
  await exited;
  const m = /processed (\d+) packets .*kernel dropped (\d+), interface dropped (\d+)/.exec(err);
  if (!m) throw new Error(`pof gave no totals: ${err.slice(-400)}`);
  return {
    mode,
    rate,
    sent: run.sent,
    achieved: run.sent / run.seconds,
    processed: Number(m[1]) - warm.sent,
    kernelDrops: Number(m[2]) + Number(m[3]),
    published: before && after ? after.published - before.published : 0,
    dropped: before && after ? { full: after.full - before.full, down: after.down - before.down, tooLarge: after.tooLarge - before.tooLarge } : { full: 0, down: 0, tooLarge: 0 },
    cpuUsPerSyn: ((cpu1 - cpu0) * 1e6) / Math.max(1, run.sent),
    mainUsPerSyn: ((main1 - main0) * 1e6) / Math.max(1, run.sent),
  };
}

/** The daemon with --store (and --http) at rising rates, each beside the daemon alone. */
export async function storeSensor(redisUrl: string): Promise<void> {
  if (process.getuid?.() !== 0) return void console.log('store sensor: skipped (needs root for live capture on lo)');
  if (!addonAvailable()) return void console.log('store sensor: skipped (native addon not built: npm run build:native)');
  fs.mkdirSync(path.join(process.env.POF_BENCH_DIR ?? '/tmp/pofbench', 'api'), { recursive: true });
  const sender = buildSender();
  if (!sender) return;
  console.log(`store sensor: pof -i lo --store ... fed ${SECONDS} s of SYNs from ${fmt(SOURCES)} sources per run (after 1 s at 25,000/s)`);
  for (let rate = 57_000; rate <= MAX; rate *= 2) {
    const runs: Run[] = [];
    for (const mode of ['alone', 'http', 'http+store'] as const) runs.push(await runOnce(sender, redisUrl, mode, rate));
    const base = runs[0]!;
    for (const r of runs) {
      const dropped = r.dropped.full + r.dropped.down + r.dropped.tooLarge;
      console.log(
        `store sensor: ${r.mode.padEnd(10)} at ${fmt(r.rate)} SYN/s (${fmt(r.achieved)} achieved): packets ${fmt(r.processed)}/${fmt(r.sent)}, kernel drops ${fmt(r.kernelDrops)}` +
          (r.mode !== 'http+store' ? '' : `; published ${fmt(r.published)} (${fmt(r.published / SECONDS)}/s of traffic), dropped ${fmt(dropped)} (full ${fmt(r.dropped.full)}, down ${fmt(r.dropped.down)})`) +
          `; CPU ${r.cpuUsPerSyn.toFixed(2)} us/SYN${r === base ? '' : ` (${(r.cpuUsPerSyn / base.cpuUsPerSyn).toFixed(2)}x alone)`}` +
          `, main thread ${r.mainUsPerSyn.toFixed(2)} us/SYN${r === base ? '' : ` (+${(r.mainUsPerSyn - base.mainUsPerSyn).toFixed(2)})`}`,
      );
    }
  }
}

// Run alone: node --import tsx bench/store-sensor.ts redis://127.0.0.1:PORT
if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  if (!process.argv[2]) throw new Error('give a Redis URL');
  await storeSensor(process.argv[2]);
}
