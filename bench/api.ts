/**
 * `npm run bench api`: the daemon's two speed questions, each against
 * Debian's p0f 3.09b run on the same machine with the same load.
 *
 * 1. Queries: pof and p0f both capture loopback while HOSTS connections
 *    (HTTP GETs, each from its own 127.10.x.y address) fill their host
 *    tables. Then one load generator speaks the p0f 3 protocol to each in
 *    turn: 4 clients, each keeping DEPTH queries in flight (pipelining),
 *    5/6 of the queries for known hosts, 1/6 for unknown ones. Reported:
 *    answers per second, p50/p99 latency (send to answer, per query), and
 *    the same with no pipelining (depth 1). Goal: >= 50,000 q/s, p99 < 1 ms,
 *    not slower than p0f.
 *
 * 2. Packets: a small raw-socket sender (C, built here with cc) puts Linux
 *    loopback SYNs (and, in the mixed run, 9 ACKs of unknown flows per SYN)
 *    on lo at a paced rate, to a non-local address so the kernel answers
 *    nothing. The rate doubles until a sensor falls behind (kernel drops,
 *    or fewer packets processed than sent); the highest clean rate is
 *    reported for pof and for p0f.
 *
 * Needs root, the native addon and, for the baseline, /usr/sbin/p0f. Env:
 * API_BENCH_HOSTS (default 5000), API_BENCH_SECONDS (default 3),
 * API_BENCH_DEPTH (default 8), API_BENCH_ROUNDS (default 3), PPS_SECONDS
 * (default 2), PPS_MAX (default 3200000).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { median } from './stats.js';
import { addonAvailable } from '../src/capture/live.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const MAIN = path.join(root, 'src', 'cli', 'main.ts');
const P0F = '/usr/sbin/p0f';
const P0F_DB = '/etc/p0f/p0f.fp';
const dir = path.join(process.env.POF_BENCH_DIR ?? '/tmp/pofbench', 'api');
const HOSTS = Number(process.env.API_BENCH_HOSTS ?? 5000);
const SECONDS = Number(process.env.API_BENCH_SECONDS ?? 3);
const DEPTH = Number(process.env.API_BENCH_DEPTH ?? 8);
const ROUNDS = Number(process.env.API_BENCH_ROUNDS ?? 3);
const CLIENTS = 4;
const PPS_SECONDS = Number(process.env.PPS_SECONDS ?? 2);
const PPS_MAX = Number(process.env.PPS_MAX ?? 3_200_000);

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');

// ---------------------------------------------------------------- sensors

interface Sensor {
  name: string;
  proc: ChildProcess;
  /** stderr, and for p0f the head and tail of its stdout (where it reports). */
  messages(): string;
  stop(): Promise<string>;
}

/** Reads the first and last few KB of a file that may be large. */
function headTail(file: string): string {
  let fd = -1;
  try {
    fd = fs.openSync(file, 'r');
    const size = fs.fstatSync(fd).size;
    const head = Buffer.alloc(Math.min(size, 4096));
    fs.readSync(fd, head, 0, head.length, 0);
    if (size <= 8192) {
      const all = Buffer.alloc(size);
      fs.readSync(fd, all, 0, size, 0);
      return all.toString();
    }
    const tail = Buffer.alloc(4096);
    fs.readSync(fd, tail, 0, 4096, size - 4096);
    return head.toString() + '\n...\n' + tail.toString();
  } catch {
    return '';
  } finally {
    if (fd !== -1) fs.closeSync(fd);
  }
}

/**
 * Starts a sensor with its console output going to a file (both alike: p0f
 * cannot be silenced, so pof prints too), waiting for "Entered main event loop".
 */
async function startSensor(name: 'pof' | 'p0f', args: string[]): Promise<Sensor> {
  const outFile = path.join(dir, `${name}.out`);
  const outFd = fs.openSync(outFile, 'w');
  const proc =
    name === 'pof'
      ? spawn(process.execPath, ['--import', 'tsx', MAIN, ...args], { cwd: root, stdio: ['ignore', outFd, 'pipe'] })
      : spawn(P0F, args, { stdio: ['ignore', outFd, 'pipe'] });
  fs.closeSync(outFd);
  let err = '';
  proc.stderr!.on('data', (d) => (err += d));
  const messages = (): string => (name === 'p0f' ? headTail(outFile) + err : err);
  const exited = new Promise<void>((r) => proc.on('exit', () => r()));
  const t0 = Date.now();
  while (!/Entered main event loop/.test(messages())) {
    if (proc.exitCode !== null) throw new Error(`${name} exited at start-up: ${messages()}`);
    if (Date.now() - t0 > 30000) throw new Error(`${name} did not start: ${messages()}`);
    await sleep(20);
  }
  return {
    name,
    proc,
    messages,
    async stop() {
      proc.kill('SIGINT');
      const t = setTimeout(() => proc.kill('SIGKILL'), 10000);
      await exited;
      clearTimeout(t);
      const m = messages();
      fs.rmSync(outFile, { force: true });
      return m;
    },
  };
}

// ---------------------------------------------------------------- feeding hosts

function hostAddr(i: number): string {
  return `127.10.${1 + Math.floor(i / 250)}.${1 + (i % 250)}`;
}

export async function feedHosts(port: number, n: number): Promise<void> {
  let next = 0;
  const one = (addr: string): Promise<void> =>
    new Promise((resolve) => {
      const req = http.get(
        { host: '127.0.0.1', port, localAddress: addr, agent: false, headers: { 'User-Agent': 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0', 'Accept-Language': 'en-US,en;q=0.5' } },
        (res) => {
          res.resume();
          res.on('end', () => resolve());
        },
      );
      req.on('error', () => resolve());
    });
  await Promise.all(
    Array.from({ length: 64 }, async () => {
      while (next < n) await one(hostAddr(next++));
    }),
  );
}

// ---------------------------------------------------------------- load generator

const Q = 21;
const A = 232;

export function buildQueries(known: number): Buffer {
  const unknown = Math.ceil(known / 5);
  const addrs: number[][] = [];
  for (let i = 0; i < known; i++) addrs.push(hostAddr(i).split('.').map(Number));
  for (let i = 0; i < unknown; i++) addrs.push([127, 200, 1 + Math.floor(i / 250), 1 + (i % 250)]);
  // a fixed shuffle, the same for both servers
  let seed = 12345;
  for (let i = addrs.length - 1; i > 0; i--) {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    const j = seed % (i + 1);
    [addrs[i], addrs[j]] = [addrs[j]!, addrs[i]!];
  }
  const b = Buffer.alloc(addrs.length * Q);
  addrs.forEach((a, i) => {
    b.writeUInt32LE(0x50304601, i * Q);
    b[i * Q + 4] = 4;
    b.set(a, i * Q + 5);
  });
  return b;
}

interface LoadResult {
  qps: number;
  p50: number;
  p99: number;
  ok: number;
  noMatch: number;
  bad: number;
}

const HIST_US = 200_000; // 1 us buckets up to 200 ms

function percentile(hist: Uint32Array, total: number, p: number): number {
  const want = Math.ceil(total * p);
  let acc = 0;
  for (let i = 0; i < hist.length; i++) {
    acc += hist[i]!;
    if (acc >= want) return i / 1000; // ms
  }
  return hist.length / 1000;
}

/** CLIENTS connections, each with `depth` queries in flight, for `seconds` after a short warm-up. */
export async function load(sock: string, queries: Buffer, depth: number, seconds: number): Promise<LoadResult> {
  const nq = queries.length / Q;
  const hist = new Uint32Array(HIST_US + 1);
  const counts = { ok: 0, noMatch: 0, bad: 0, total: 0 };
  const start = performance.now();
  const measureFrom = start + 300;
  const measureTo = measureFrom + seconds * 1000;
  const client = (k: number): Promise<void> =>
    new Promise((resolve, reject) => {
      const s = net.connect(sock);
      const sent = new Float64Array(depth);
      let head = 0; // next answer's slot
      let inFlight = 0;
      let idx = Math.floor((k * nq) / CLIENTS);
      let pend: Buffer | null = null;
      const send = (n: number): void => {
        const parts: Buffer[] = [];
        const now = performance.now();
        for (let i = 0; i < n; i++) {
          sent[(head + inFlight) % depth] = now;
          inFlight++;
          parts.push(queries.subarray(idx * Q, idx * Q + Q));
          idx = idx + 1 === nq ? 0 : idx + 1;
        }
        s.write(parts.length === 1 ? parts[0]! : Buffer.concat(parts));
      };
      s.on('connect', () => send(depth));
      s.on('error', reject);
      s.on('data', (d: Buffer) => {
        const buf = pend ? Buffer.concat([pend, d]) : d;
        const now = performance.now();
        const measuring = now >= measureFrom && now <= measureTo;
        let off = 0;
        let answered = 0;
        while (buf.length - off >= A) {
          const lat = now - sent[head]!;
          head = (head + 1) % depth;
          inFlight--;
          answered++;
          if (measuring) {
            const st = buf.readUInt32LE(off + 4);
            if (st === 0x10) counts.ok++;
            else if (st === 0x20) counts.noMatch++;
            else counts.bad++;
            counts.total++;
            hist[Math.min(HIST_US, Math.round(lat * 1000))]!++;
          }
          off += A;
        }
        pend = off < buf.length ? Buffer.from(buf.subarray(off)) : null;
        if (now < measureTo) {
          if (answered) send(answered);
        } else if (inFlight === 0) {
          s.destroy();
          resolve();
        }
      });
    });
  await Promise.all(Array.from({ length: CLIENTS }, (_, k) => client(k)));
  return {
    qps: counts.total / seconds,
    p50: percentile(hist, counts.total, 0.5),
    p99: percentile(hist, counts.total, 0.99),
    ok: counts.ok,
    noMatch: counts.noMatch,
    bad: counts.bad,
  };
}

async function queryBench(haveP0f: boolean): Promise<void> {
  const web = http.createServer((_q, r) => {
    r.setHeader('Connection', 'close');
    r.end('ok');
  });
  await new Promise<void>((r) => web.listen(0, '127.0.0.1', r));
  const port = (web.address() as AddressInfo).port;
  const pofSock = path.join(dir, 'pof.sock');
  const p0fSock = path.join(dir, 'p0f.sock');
  for (const f of [pofSock, p0fSock]) fs.rmSync(f, { force: true });
  const sensors: Sensor[] = [];
  try {
    sensors.push(await startSensor('pof', ['-i', 'lo', '-s', pofSock, '-f', P0F_DB, '-S', '20', `tcp port ${port}`]));
    if (haveP0f) sensors.push(await startSensor('p0f', ['-i', 'lo', '-s', p0fSock, '-f', P0F_DB, '-S', '20', `tcp port ${port}`]));
    await sleep(300);
    const t0 = performance.now();
    await feedHosts(port, HOSTS);
    await sleep(1000);
    console.log(`api: fed ${fmt(HOSTS)} hosts (HTTP GETs from 127.10.x.y) in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

    const queries = buildQueries(HOSTS);
    const targets = [{ name: 'pof', sock: pofSock }, ...(haveP0f ? [{ name: 'p0f', sock: p0fSock }] : [])];
    const runs: Record<string, LoadResult[]> = { pof: [], p0f: [] };
    for (let r = 0; r < ROUNDS; r++) {
      for (const t of targets) runs[t.name]!.push(await load(t.sock, queries, DEPTH, SECONDS));
    }
    const lat: Record<string, LoadResult> = {};
    for (const t of targets) lat[t.name] = await load(t.sock, queries, 1, SECONDS);

    const summary = (name: string): { qps: number; best: LoadResult } => {
      const rs = runs[name]!;
      const qps = median(rs.map((x) => x.qps));
      const best = rs.find((x) => x.qps === qps)!;
      const hit = best.ok / (best.ok + best.noMatch || 1);
      console.log(
        `api: ${name}  ${fmt(qps)} q/s (rounds ${rs.map((x) => fmt(x.qps)).join(', ')}), p50 ${best.p50.toFixed(3)} ms, p99 ${best.p99.toFixed(3)} ms ` +
          `[${CLIENTS} clients x ${DEPTH} in flight]; hits ${(hit * 100).toFixed(1)}%, bad ${best.bad}`,
      );
      const l = lat[name]!;
      console.log(`api: ${name}  ${fmt(l.qps)} q/s, p50 ${l.p50.toFixed(3)} ms, p99 ${l.p99.toFixed(3)} ms [${CLIENTS} clients, no pipelining]`);
      return { qps, best };
    };
    const pof = summary('pof');
    const goal = `goal >= 50,000 q/s and p99 < 1 ms: ${pof.qps >= 50000 && pof.best.p99 < 1 ? 'met' : 'NOT met'}`;
    if (haveP0f) {
      const p0f = summary('p0f');
      console.log(
        `api: pof/p0f = ${(pof.qps / p0f.qps).toFixed(2)}x q/s pipelined, ${(lat.pof!.qps / lat.p0f!.qps).toFixed(2)}x unpipelined; ` +
          `p99 ${(pof.best.p99 / p0f.best.p99).toFixed(2)}x p0f's; ${goal}; not slower than p0f: ${pof.qps >= p0f.qps ? 'yes' : 'NO'}`,
      );
    } else {
      console.log(`api: ${goal} (p0f not installed: no baseline)`);
    }
  } finally {
    for (const s of sensors) await s.stop();
    await new Promise<void>((r) => web.close(() => r()));
  }
}

// ---------------------------------------------------------------- packets per second

const SENDER_C = String.raw`
/* pof bench: paced raw-socket sender of Linux loopback SYNs (and ACKs) on lo. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netpacket/packet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>

static uint16_t ipsum(const uint8_t *p) {
  uint32_t s = 0;
  for (int i = 0; i < 20; i += 2) s += (uint32_t)(p[i] << 8 | p[i + 1]);
  while (s >> 16) s = (s & 0xffff) + (s >> 16);
  return (uint16_t)~s;
}

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec / 1e9;
}

/* Ethernet + IPv4 + TCP; the TCP header gets hlen bytes, options included. */
static int frame(uint8_t *f, int syn) {
  int thl = syn ? 40 : 32;
  memset(f, 0, 14 + 20 + thl);
  f[12] = 0x08;
  uint8_t *ip = f + 14, *tcp = ip + 20;
  ip[0] = 0x45;
  ip[2] = (20 + thl) >> 8; ip[3] = (20 + thl) & 0xff;
  ip[6] = 0x40; /* DF */
  ip[8] = 64; ip[9] = 6;
  ip[16] = 198; ip[17] = 18; ip[18] = 0; ip[19] = 1; /* not local: the kernel drops it quietly */
  tcp[2] = 0; tcp[3] = 9;
  tcp[12] = (uint8_t)((thl / 4) << 4);
  if (syn) {
    uint8_t o[20] = {2, 4, 0xff, 0xd7, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 1, 3, 3, 7};
    tcp[13] = 0x02; tcp[14] = 0xff; tcp[15] = 0xd7; /* win 65495 */
    memcpy(tcp + 20, o, 20);
  } else {
    uint8_t o[12] = {1, 1, 8, 10, 0, 0, 0, 2, 0, 0, 0, 1};
    tcp[13] = 0x10; tcp[14] = 0x02; tcp[15] = 0x00;
    memcpy(tcp + 20, o, 12);
  }
  return 14 + 20 + thl;
}

int main(int argc, char **argv) {
  if (argc < 5) { fprintf(stderr, "usage: rawsend RATE SECONDS SYN_EVERY SOURCES\n"); return 2; }
  double rate = atof(argv[1]), secs = atof(argv[2]);
  long every = atol(argv[3]), pool = atol(argv[4]);
  int fd = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_IP));
  if (fd < 0) { perror("socket"); return 1; }
  struct sockaddr_ll sa;
  memset(&sa, 0, sizeof sa);
  sa.sll_family = AF_PACKET;
  sa.sll_protocol = htons(ETH_P_IP);
  sa.sll_ifindex = (int)if_nametoindex("lo");
  sa.sll_halen = 6;
  enum { BATCH = 32 };
  static uint8_t frames[BATCH][80];
  struct iovec iov[BATCH];
  struct mmsghdr msgs[BATCH];
  memset(msgs, 0, sizeof msgs);
  long total = (long)(rate * secs), sent = 0, failed = 0;
  double t0 = now();
  for (long base = 0; base < total; base += BATCH) {
    double due = t0 + base / rate;
    while (now() < due) {}
    int n = (int)(total - base < BATCH ? total - base : BATCH);
    for (int k = 0; k < n; k++) {
      long i = base + k;
      int s = (every <= 1) || (i % every == 0);
      uint8_t *f = frames[k];
      int len = frame(f, s);
      uint8_t *ip = f + 14, *tcp = ip + 20;
      uint32_t src = (uint32_t)((i * 2654435761u) % (uint32_t)pool);
      ip[4] = (uint8_t)(i >> 8); ip[5] = (uint8_t)i | 1;
      ip[12] = 127; ip[13] = (uint8_t)(64 + ((src >> 16) & 63)); ip[14] = (uint8_t)(src >> 8); ip[15] = (uint8_t)src;
      uint16_t c = ipsum(ip);
      ip[10] = (uint8_t)(c >> 8); ip[11] = (uint8_t)c;
      uint16_t sport = (uint16_t)(1024 + (i % 60000));
      tcp[0] = (uint8_t)(sport >> 8); tcp[1] = (uint8_t)sport;
      tcp[4] = (uint8_t)(i >> 24); tcp[5] = (uint8_t)(i >> 16); tcp[6] = (uint8_t)(i >> 8); tcp[7] = (uint8_t)i;
      uint8_t *ts = tcp + (s ? 28 : 24); /* the TS value moves on */
      ts[0] = (uint8_t)(i >> 24); ts[1] = (uint8_t)(i >> 16); ts[2] = (uint8_t)(i >> 8); ts[3] = (uint8_t)i | 1;
      iov[k].iov_base = f;
      iov[k].iov_len = (size_t)len;
      msgs[k].msg_hdr.msg_name = &sa;
      msgs[k].msg_hdr.msg_namelen = sizeof sa;
      msgs[k].msg_hdr.msg_iov = &iov[k];
      msgs[k].msg_hdr.msg_iovlen = 1;
    }
    int done = 0;
    while (done < n) {
      int r = sendmmsg(fd, msgs + done, (unsigned)(n - done), 0);
      if (r <= 0) { failed += n - done; break; }
      done += r;
    }
    sent += done;
  }
  printf("%ld %ld %.4f\n", sent, failed, now() - t0);
  return 0;
}
`;

export function buildSender(): string | null {
  const src = path.join(dir, 'rawsend.c');
  const bin = path.join(dir, 'rawsend');
  fs.writeFileSync(src, SENDER_C);
  try {
    execFileSync('cc', ['-O2', '-o', bin, src], { stdio: ['ignore', 'ignore', 'pipe'] });
    return bin;
  } catch (e) {
    console.log(`pps: cannot build the sender (${(e as Error).message.split('\n')[0]}): skipped`);
    return null;
  }
}

interface PpsRun {
  rate: number;
  sent: number;
  achieved: number;
  /** Packets the sensor processed (pof's count; for p0f its SYN log lines). */
  processed: number;
  /** SYN log lines, and SYNs sent (warm-up included). */
  synLines: number;
  syns: number;
  kernelDrops: number | null;
  clean: boolean;
  /** CPU time of the sensor (all threads) per packet processed, microseconds. */
  cpuUsPerPacket: number;
}

export interface Traffic {
  label: string;
  /** One SYN every this many packets, the rest ACKs of unknown flows. */
  synEvery: number;
  /** Distinct source addresses. */
  sources: number;
}

const CLK_TCK = 100;

/** utime + stime of a process, seconds. */
export function cpuSeconds(pid: number): number {
  const st = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = st.slice(st.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / CLK_TCK;
}

export function runSender(sender: string, rate: number, seconds: number, t: Traffic): { sent: number; seconds: number; syns: number } {
  const out = execFileSync(sender, [String(rate), String(seconds), String(t.synEvery), String(t.sources)], { encoding: 'utf8' }).trim().split(' ');
  const sent = Number(out[0]);
  return { sent, seconds: Number(out[2]), syns: Math.ceil(sent / t.synEvery) };
}

/**
 * One run: the sensor logs to a file (-o; both with their console on
 * /dev/null: pof then formats nothing for it, as with -q, which would also
 * hide the start-up line waited for here), gets a 1 s warm-up at 25,000/s
 * (JIT, tables), then RATE for PPS_SECONDS. Clean means every SYN sent has
 * its log line (both), plus for pof: every packet processed, no kernel drop.
 */
async function ppsRun(who: 'pof' | 'p0f', sender: string, rate: number, t: Traffic): Promise<PpsRun> {
  const filter = 'tcp dst port 9 and dst host 198.18.0.1';
  const log = path.join(dir, `${who}-pps.log`);
  fs.rmSync(log, { force: true });
  const proc =
    who === 'pof'
      ? spawn(process.execPath, ['--import', 'tsx', MAIN, '-i', 'lo', '-f', P0F_DB, '-o', log, filter], { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] })
      : spawn(P0F, ['-i', 'lo', '-f', P0F_DB, '-o', log, filter], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  proc.stderr!.on('data', (d) => (err += d));
  const exited = new Promise<void>((r) => proc.on('exit', () => r()));
  const t0 = Date.now();
  const ready = (): boolean => (who === 'pof' ? err.includes('Entered main event loop') : fs.existsSync(log));
  while (!ready()) {
    if (proc.exitCode !== null || Date.now() - t0 > 30000) throw new Error(`${who} did not start: ${err}`);
    await sleep(20);
  }
  await sleep(500);
  const warm = runSender(sender, 25_000, 1, t);
  await sleep(500);
  const cpu0 = cpuSeconds(proc.pid!);
  const run = runSender(sender, rate, PPS_SECONDS, t);
  await sleep(1500); // let the sensor empty its buffer
  const cpu1 = cpuSeconds(proc.pid!);
  proc.kill('SIGINT');
  await exited;
  const text = fs.readFileSync(log, 'utf8');
  fs.rmSync(log, { force: true });
  let synLines = 0;
  for (let i = text.indexOf('] mod=syn|'); i !== -1; i = text.indexOf('] mod=syn|', i + 1)) synLines++;
  const syns = warm.syns + run.syns;
  let processed = synLines;
  let kernelDrops: number | null = null;
  let clean = synLines >= syns;
  if (who === 'pof') {
    const m = /processed (\d+) packets .*kernel dropped (\d+), interface dropped (\d+)/.exec(err);
    if (!m) throw new Error(`pof gave no totals: ${err.slice(-400)}`);
    processed = Number(m[1]);
    kernelDrops = Number(m[2]) + Number(m[3]);
    clean &&= kernelDrops === 0 && processed >= warm.sent + run.sent;
  }
  return {
    rate,
    sent: run.sent,
    achieved: run.sent / run.seconds,
    processed,
    synLines,
    syns,
    kernelDrops,
    clean,
    cpuUsPerPacket: ((cpu1 - cpu0) * 1e6) / Math.max(1, run.sent),
  };
}

/** Doubles the rate until the sensor falls behind (or the sender tops out); returns every run. */
async function ppsSeries(who: 'pof' | 'p0f', sender: string, t: Traffic): Promise<{ best: number; runs: PpsRun[] }> {
  let best = 0;
  let rate = 25_000;
  let failRate = 0;
  const runs: PpsRun[] = [];
  const line = (r: PpsRun): void =>
    console.log(
      `pps: ${who} ${t.label} at ${fmt(r.rate)}/s (sent ${fmt(r.sent)}, ${fmt(r.achieved)}/s achieved): SYNs logged ${fmt(r.synLines)}/${fmt(r.syns)}` +
        `${r.kernelDrops === null ? '' : `, packets ${fmt(r.processed)}, kernel drops ${fmt(r.kernelDrops)}`}, ${r.cpuUsPerPacket.toFixed(2)} us CPU/packet ${r.clean ? 'ok' : 'BEHIND'}`,
    );
  while (rate <= PPS_MAX) {
    const r = await ppsRun(who, sender, rate, t);
    runs.push(r);
    line(r);
    if (r.achieved < rate * 0.95) {
      if (r.clean) best = Math.max(best, r.achieved);
      console.log(`pps: the sender topped out near ${fmt(r.achieved)}/s${r.clean ? `; ${who} kept up with all of it` : ''}`);
      return { best, runs };
    }
    if (!r.clean) {
      failRate = rate;
      break;
    }
    best = rate;
    rate *= 2;
  }
  if (failRate && best) {
    const mid = Math.round((best + failRate) / 2);
    const r = await ppsRun(who, sender, mid, t);
    runs.push(r);
    line(r);
    if (r.clean) best = mid;
  }
  return { best, runs };
}

async function ppsBench(haveP0f: boolean): Promise<void> {
  const sender = buildSender();
  if (!sender) return;
  const traffic: Traffic[] = [
    { label: 'SYNs from 4,096 sources', synEvery: 1, sources: 4096 },
    { label: '1 SYN : 9 ACKs from 4,096 sources', synEvery: 10, sources: 4096 },
    { label: 'SYN flood, every source new', synEvery: 1, sources: 4_000_000 },
  ];
  for (const t of traffic) {
    const pof = await ppsSeries('pof', sender, t);
    if (!haveP0f) {
      console.log(`pps: ${t.label}: pof ${fmt(pof.best)}/s without loss (p0f not installed: no baseline)`);
      continue;
    }
    const p0f = await ppsSeries('p0f', sender, t);
    // CPU per packet compared at the highest rate both handled cleanly (else the lowest tried)
    const both = pof.runs.filter((a) => a.clean && p0f.runs.some((b) => b.rate === a.rate && b.clean)).map((a) => a.rate);
    const at = both.length ? Math.max(...both) : 25_000;
    const a = pof.runs.find((r) => r.rate === at);
    const b = p0f.runs.find((r) => r.rate === at);
    const cpu = a && b ? `; CPU per packet at ${fmt(at)}/s: pof ${a.cpuUsPerPacket.toFixed(2)} us, p0f ${b.cpuUsPerPacket.toFixed(2)} us (${(b.cpuUsPerPacket / a.cpuUsPerPacket).toFixed(2)}x)` : '';
    console.log(
      `pps: ${t.label}: without loss pof ${fmt(pof.best)}/s, p0f ${fmt(p0f.best)}/s: pof/p0f = ${p0f.best ? (pof.best / p0f.best).toFixed(2) + 'x' : 'p0f lost packets at every rate'}${cpu}`,
    );
  }
}

export async function api(): Promise<void> {
  if (process.getuid?.() !== 0) return void console.log('api: skipped (needs root for live capture on lo)');
  if (!addonAvailable()) return void console.log('api: skipped (native addon not built: npm run build:native)');
  fs.mkdirSync(dir, { recursive: true });
  const haveP0f = fs.existsSync(P0F) && fs.existsSync(P0F_DB);
  const which = process.env.API_BENCH_PARTS ?? 'queries,pps';
  if (which.includes('queries')) await queryBench(haveP0f);
  if (which.includes('pps')) await ppsBench(haveP0f);
}
