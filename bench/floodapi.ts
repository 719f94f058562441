/**
 * `npm run bench floodapi`: how fast the daemon answers while a SYN flood
 * pours in (issue 19, item 3), against Debian's p0f 3.09b under the same flood.
 *
 * Each sensor runs alone in a network namespace made here (only its lo is up,
 * no route leaves it, so the kernel's answers to the spoofed sources go
 * nowhere). `hping3 -S --flood --rand-source` aims at 127.0.0.1 inside it for
 * FLOOD_SECONDS while clients outside the namespace ask over the Unix socket
 * (a path, reachable from any namespace), one question at a time with
 * GAP_MS between an answer and the next question:
 *
 *   pof  `{"op":"status"}` (JSON lines) and a p0f 3 host query (21 bytes)
 *   p0f  the same p0f 3 host query
 *
 * Reported per sensor: answers, p50 / p99 / max latency (question sent to
 * answer read), packets the kernel offered the sensor and dropped for want
 * of room in its ring (the packet socket's own counters, read from outside
 * the same way for both: see PKTSTATS_C), and peak RSS (VmHWM).
 * Sensors run with stdout on /dev/null (pof then formats nothing, as with -q;
 * p0f cannot be silenced). Rounds alternate pof and p0f. Goal: pof's p99
 * under 20 ms, and peak RSS under the README's 200 MB.
 *
 * Needs root, hping3, ip (iproute2), cc, the native addon, and for the
 * baseline /usr/sbin/p0f. Env: FLOOD_SECONDS (20), FLOOD_ROUNDS (1),
 * FLOOD_GAP_MS (10), FLOOD_POF (the CLI to run, default dist/cli/main.js:
 * point it at another build to compare), FLOOD_SENSORS (pof,p0f: which to
 * run), FLOOD_NODE_ARGS (node flags for pof), FLOOD_NICE (a nice(1)
 * increment for both sensors, e.g. -10, so that a busy machine's other work
 * disturbs them less).
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { addonAvailable } from '../src/capture/live.js';
import { encodeV3Query, V3_RESP_SIZE } from '../src/api/v3.js';
import { median } from './stats.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const POF = process.env.FLOOD_POF ?? path.join(root, 'dist', 'cli', 'main.js');
const P0F = '/usr/sbin/p0f';
const P0F_DB = '/etc/p0f/p0f.fp';
const SECONDS = Number(process.env.FLOOD_SECONDS ?? 20);
const ROUNDS = Number(process.env.FLOOD_ROUNDS ?? 1);
const GAP_MS = Number(process.env.FLOOD_GAP_MS ?? 10);
const NODE_ARGS = (process.env.FLOOD_NODE_ARGS ?? '').split(' ').filter(Boolean);
const NICE = process.env.FLOOD_NICE ?? '';
const dir = path.join(process.env.POF_BENCH_DIR ?? '/tmp/pofbench', 'floodapi');
const NS = `pofflood${process.pid}`;
const PORT = 9; // nothing listens: the kernel's RSTs to the spoofed sources find no route

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');

function have(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

// ---------------------------------------------------------------- clients

type Ask = 'status' | 'v3';

/** One connection asking one question at a time; latencies in ms. */
class Asker {
  readonly lat: number[] = [];
  errors = 0;
  private sock: net.Socket | null = null;
  private stopped = false;
  private done: Promise<void> = Promise.resolve();

  constructor(
    private readonly path: string,
    readonly ask: Ask,
  ) {}

  start(): void {
    this.done = this.loop();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.sock?.destroy();
    await this.done;
  }

  private question(): { bytes: Buffer; answered: (buf: Buffer) => number } {
    if (this.ask === 'status') {
      return { bytes: Buffer.from('{"op":"status"}\n'), answered: (b) => b.indexOf(10) + 1 };
    }
    return { bytes: encodeV3Query(Uint8Array.of(127, 0, 0, 1)), answered: (b) => (b.length >= V3_RESP_SIZE ? V3_RESP_SIZE : 0) };
  }

  private async loop(): Promise<void> {
    const q = this.question();
    while (!this.stopped) {
      const s = await new Promise<net.Socket | null>((resolve) => {
        const c = net.connect(this.path);
        c.once('connect', () => resolve(c));
        c.once('error', () => resolve(null));
      });
      if (!s) {
        this.errors++;
        await sleep(50);
        continue;
      }
      this.sock = s;
      let buf: Buffer = Buffer.alloc(0);
      let waiting: ((ok: boolean) => void) | null = null;
      s.on('data', (d: Buffer) => {
        buf = buf.length ? Buffer.concat([buf, d]) : d;
        const n = q.answered(buf);
        if (n > 0 && waiting) {
          buf = buf.subarray(n);
          const w = waiting;
          waiting = null;
          w(true);
        }
      });
      s.on('error', () => undefined);
      s.on('close', () => waiting?.(false));
      while (!this.stopped && !s.destroyed) {
        const t0 = performance.now();
        const ok = await new Promise<boolean>((resolve) => {
          waiting = resolve;
          s.write(q.bytes);
        });
        if (!ok) break;
        this.lat.push(performance.now() - t0);
        await sleep(GAP_MS);
      }
      s.destroy();
      if (!this.stopped) this.errors++;
    }
  }
}

function pct(xs: number[], p: number): number {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(s.length * p) - 1)]!;
}

// ---------------------------------------------------------------- sensors

function netnsUp(): void {
  execFileSync('ip', ['netns', 'add', NS]);
  execFileSync('ip', ['-n', NS, 'link', 'set', 'lo', 'up']);
}

function netnsDown(): void {
  spawnSync('ip', ['netns', 'del', NS], { stdio: 'ignore' });
}

/*
 * Reads another process's packet-socket counters: pidfd_getfd(2) lends us
 * each of its descriptors, and PACKET_STATISTICS (read by the owner too:
 * reading resets them) answers for the packet sockets among them.
 */
const PKTSTATS_C = String.raw`
#define _GNU_SOURCE
#include <dirent.h>
#include <linux/if_packet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>
int main(int argc, char **argv) {
  if (argc < 2) return 2;
  int pid = atoi(argv[1]);
  int pfd = (int)syscall(SYS_pidfd_open, pid, 0);
  if (pfd < 0) { perror("pidfd_open"); return 1; }
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/fd", pid);
  DIR *d = opendir(path);
  if (!d) { perror(path); return 1; }
  unsigned long long packets = 0, drops = 0;
  int n = 0;
  struct dirent *e;
  while ((e = readdir(d))) {
    if (e->d_name[0] == '.') continue;
    int fd = (int)syscall(SYS_pidfd_getfd, pfd, atoi(e->d_name), 0);
    if (fd < 0) continue;
    struct tpacket_stats_v3 st;
    socklen_t len = sizeof st;
    memset(&st, 0, sizeof st);
    if (getsockopt(fd, SOL_PACKET, PACKET_STATISTICS, &st, &len) == 0) {
      packets += st.tp_packets; /* drops included */
      drops += st.tp_drops;
      n++;
    }
    close(fd);
  }
  printf("%d %llu %llu\n", n, packets, drops);
  return 0;
}
`;

function buildPktStats(): string | null {
  const src = path.join(dir, 'pktstats.c');
  const bin = path.join(dir, 'pktstats');
  fs.writeFileSync(src, PKTSTATS_C);
  const r = spawnSync('cc', ['-O2', '-o', bin, src], { encoding: 'utf8' });
  if (r.status !== 0) {
    console.log(`floodapi: cannot build the counter reader (${r.stderr.split('\n')[0]}): kernel drops not measured`);
    return null;
  }
  return bin;
}

/** Packets the kernel offered `pid`'s packet sockets and the ring had no room for, since they were last read. */
function socketStats(tool: string | null, pid: number): { packets: number; drops: number } | null {
  if (!tool) return null;
  const r = spawnSync(tool, [String(pid)], { encoding: 'utf8' });
  const m = /^(\d+) (\d+) (\d+)/.exec(r.stdout);
  if (r.status !== 0 || !m || m[1] === '0') return null;
  return { packets: Number(m[2]), drops: Number(m[3]) };
}

function peakRssMb(pid: number): number {
  const s = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const m = /^VmHWM:\s*(\d+) kB/m.exec(s);
  return m ? Number(m[1]) / 1024 : NaN;
}

interface FloodRun {
  who: 'pof' | 'p0f';
  /** Packets the kernel offered the sensor's packet socket (drops included), and those it dropped. */
  offered: number | null;
  drops: number | null;
  status: number[];
  v3: number[];
  errors: number;
  /** pof's own count of packets its engine took. */
  processed: number | null;
  rssMb: number;
}

async function waitAnswer(sock: string, proc: ChildProcess, err: () => string): Promise<void> {
  const t0 = Date.now();
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`sensor exited at start-up: ${err()}`);
    if (Date.now() - t0 > 30_000) throw new Error(`sensor did not answer: ${err()}`);
    const ok = await new Promise<boolean>((resolve) => {
      const c = net.connect(sock);
      c.once('error', () => resolve(false));
      c.once('connect', () => c.write(encodeV3Query(Uint8Array.of(127, 0, 0, 1))));
      let n = 0;
      c.on('data', (d: Buffer) => {
        n += d.length;
        if (n >= V3_RESP_SIZE) {
          c.destroy();
          resolve(true);
        }
      });
    });
    if (ok) return;
    await sleep(50);
  }
}

async function floodRun(who: 'pof' | 'p0f', pktstats: string | null): Promise<FloodRun> {
  const sock = path.join(dir, `${who}.sock`);
  fs.rmSync(sock, { force: true });
  const args =
    who === 'pof'
      ? [process.execPath, ...NODE_ARGS, POF, '-i', 'lo', '-s', sock, '-f', P0F_DB]
      : [P0F, '-i', 'lo', '-s', sock, '-f', P0F_DB];
  const proc = spawn(NICE ? 'nice' : 'ip', [...(NICE ? ['-n', NICE, 'ip'] : []), 'netns', 'exec', NS, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  proc.stderr!.on('data', (d) => (err += d));
  const exited = new Promise<void>((r) => proc.on('exit', () => r()));
  await waitAnswer(sock, proc, () => err);
  await sleep(500);

  const askers = (who === 'pof' ? (['status', 'v3'] as const) : (['v3'] as const)).map((a) => new Asker(sock, a));
  for (const a of askers) a.start();
  await sleep(500);
  const flood = spawn('ip', ['netns', 'exec', NS, 'hping3', '-S', '--flood', '--rand-source', '-p', String(PORT), '127.0.0.1'], {
    stdio: 'ignore',
  });
  const floodDone = new Promise<void>((r) => flood.on('exit', () => r()));
  await sleep(SECONDS * 1000);
  flood.kill('SIGINT');
  await floodDone;
  await sleep(1000); // the sensor catches up; queries keep coming
  for (const a of askers) await a.stop();

  const st = socketStats(pktstats, proc.pid!);
  const rssMb = peakRssMb(proc.pid!);
  proc.kill('SIGINT');
  const kill = setTimeout(() => proc.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(kill);
  fs.rmSync(sock, { force: true });
  let offered = st?.packets ?? null;
  let drops = st?.drops ?? null;
  let processed: number | null = null;
  if (who === 'pof') {
    // pof read its counters last at exit: what came after ours (reading resets them).
    const m = /processed (\d+) packets? .*kernel dropped (\d+), interface dropped (\d+) of (\d+) received/.exec(err);
    if (m) {
      processed = Number(m[1]);
      if (offered !== null && drops !== null) {
        offered += Number(m[4]);
        drops += Number(m[2]);
      }
    }
  }
  const byAsk = (a: Ask): number[] => askers.find((x) => x.ask === a)?.lat ?? [];
  return {
    who,
    offered,
    status: byAsk('status'),
    v3: byAsk('v3'),
    errors: askers.reduce((n, a) => n + a.errors, 0),
    drops,
    processed,
    rssMb,
  };
}

function line(r: FloodRun): void {
  const lat = (name: string, xs: number[]): string =>
    xs.length ? `${name} p50 ${pct(xs, 0.5).toFixed(2)} ms, p99 ${pct(xs, 0.99).toFixed(2)} ms, max ${Math.max(...xs).toFixed(1)} ms (${fmt(xs.length)} answers)` : `${name}: no answers`;
  const parts = [
    `floodapi: ${r.who}  ${r.offered === null ? '?' : fmt(r.offered)} packets in ${SECONDS} s (${r.offered === null ? '?' : fmt(r.offered / SECONDS)}/s)`,
    ...(r.who === 'pof' ? [lat('status', r.status)] : []),
    lat('v3', r.v3),
    `kernel drops ${r.drops === null ? '?' : `${fmt(r.drops)} (${((100 * r.drops) / Math.max(1, r.offered ?? 0)).toFixed(1)}%)`}${r.processed === null ? '' : `, processed ${fmt(r.processed)}`}`,
    `peak RSS ${r.rssMb.toFixed(0)} MB`,
    ...(r.errors ? [`${r.errors} client errors`] : []),
  ];
  console.log(parts.join('; '));
}

export async function floodapi(): Promise<void> {
  if (process.getuid?.() !== 0) return void console.log('floodapi: skipped (needs root: network namespace, live capture)');
  for (const cmd of ['hping3', 'ip', 'cc']) if (!have(cmd)) return void console.log(`floodapi: skipped (no ${cmd})`);
  if (!addonAvailable()) return void console.log('floodapi: skipped (native addon not built: npm run build:native)');
  if (!fs.existsSync(POF)) return void console.log(`floodapi: skipped (${POF} missing: npm run build)`);
  const want = (process.env.FLOOD_SENSORS ?? 'pof,p0f').split(',');
  const withPof = want.includes('pof');
  const haveP0f = fs.existsSync(P0F) && fs.existsSync(P0F_DB);
  const withP0f = haveP0f && want.includes('p0f');
  fs.mkdirSync(dir, { recursive: true });
  const pktstats = buildPktStats();
  netnsDown();
  netnsUp();
  const runs: FloodRun[] = [];
  try {
    for (let i = 0; i < ROUNDS; i++) {
      const both: Array<'pof' | 'p0f'> = i % 2 ? ['p0f', 'pof'] : ['pof', 'p0f'];
      const order = both.filter((w) => (w === 'pof' ? withPof : withP0f));
      for (const who of order) {
        const r = await floodRun(who, pktstats);
        runs.push(r);
        line(r);
      }
    }
  } finally {
    netnsDown();
  }
  const pof = runs.filter((r) => r.who === 'pof');
  if (!pof.length) return;
  const p99 = median(pof.map((r) => pct([...r.status, ...r.v3], 0.99)));
  const rss = Math.max(...pof.map((r) => r.rssMb));
  let vs = haveP0f ? '' : ' (p0f not installed: no baseline)';
  const p0f = runs.filter((r) => r.who === 'p0f');
  if (p0f.length) {
    const q = median(p0f.map((r) => pct(r.v3, 0.99)));
    const d = (rs: FloodRun[]): string => rs.map((r) => (r.drops === null ? '?' : fmt(r.drops))).join(', ');
    vs = `; p0f's p99 ${q.toFixed(2)} ms; kernel drops pof ${d(pof)}, p0f ${d(p0f)}`;
  }
  console.log(
    `floodapi: pof's query p99 ${p99.toFixed(2)} ms (goal < 20 ms: ${p99 < 20 ? 'met' : 'NOT met'}), peak RSS ${rss.toFixed(0)} MB (cap 200 MB: ${rss <= 200 ? 'ok' : 'OVER'})${vs}`,
  );
}

if (process.argv[1]?.endsWith('floodapi.ts')) await floodapi();
