/**
 * `npm run bench tls` (or `node --import tsx bench/tls.ts`): how many
 * ClientHellos per second pof's TLS code takes, on the real hellos of the
 * corpus (every one scripts/tls-check.ts finds in ../shared/corpus: TCP
 * hellos as their records, QUIC hellos as their Initial datagrams).
 *
 * Each pass runs over all of them; the stages are timed in alternating
 * rounds so that machine drift hits each alike, and the median is printed:
 *
 *   parse      frame the records + parse the ClientHello (the baseline)
 *   +ja4       ... and JA4 with its three variants
 *   +ja3       ... and JA3 (the whole per-hello cost on the packet path)
 *   quic       Initial keys from the DCID, header protection, AES-GCM,
 *              CRYPTO reassembly, then parse + JA4 + JA3, per QUIC hello
 *
 * The hellos are cached in $POF_BENCH_DIR/tls-hellos.bin (default
 * /tmp/pofbench), made by `scripts/tls-check.ts --save-hellos` when absent.
 * BENCH_RUNS sets the rounds (default 5).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CryptoAssembly } from '../src/decode/quic/crypto-assembly.js';
import { walkInitialFrames } from '../src/decode/quic/frames.js';
import { initialKeys, openPacket, parseLongHeader, type InitialKeys } from '../src/decode/quic/initial.js';
import { parseClientHello } from '../src/fingerprint/tls/hello.js';
import { ja3 } from '../src/fingerprint/tls/ja3.js';
import { ja4 } from '../src/fingerprint/tls/ja4.js';
import { frameHandshake } from '../src/fingerprint/tls/records.js';
import { median } from './stats.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const shared = process.env.POF_SHARED ?? path.resolve(root, '../shared');
const dir = process.env.POF_BENCH_DIR ?? '/tmp/pofbench';
const runs = Number(process.env.BENCH_RUNS ?? 5);

interface Entry {
  kind: 'tcp' | 'quic';
  parts: Buffer[];
}

function load(file: string): Entry[] {
  const b = fs.readFileSync(file);
  const out: Entry[] = [];
  for (let p = 0; p < b.length; ) {
    const kind = b[p] === 1 ? 'tcp' : 'quic';
    const n = b.readUInt16BE(p + 1);
    p += 3;
    const parts: Buffer[] = [];
    for (let i = 0; i < n; i++) {
      const len = b.readUInt32BE(p);
      parts.push(b.subarray(p + 4, p + 4 + len));
      p += 4 + len;
    }
    out.push({ kind, parts });
  }
  return out;
}

function ensureHellos(): Entry[] | null {
  const file = path.join(dir, 'tls-hellos.bin');
  if (!fs.existsSync(file)) {
    if (!fs.existsSync(path.join(shared, 'corpus', 'dev', 'ja4.tsv'))) {
      console.log(`tls: skipped (no ${shared}/corpus: the hellos come from its captures)`);
      return null;
    }
    fs.mkdirSync(dir, { recursive: true });
    console.log(`tls: gathering the corpus hellos into ${file} (tshark, about a minute)...`);
    const r = spawnSync('node', ['--import', 'tsx', path.join(root, 'scripts', 'tls-check.ts'), '--quiet', '--corpus', path.join(shared, 'corpus'), '--save-hellos', file], { stdio: ['ignore', 'ignore', 'inherit'], cwd: root });
    if (!fs.existsSync(file)) throw new Error(`tls-check.ts --save-hellos failed (status ${r.status})`);
  }
  return load(file);
}

let sink = 0;

type Stage = 'parse' | '+ja4' | '+ja3';

function tcpPass(tcp: Buffer[], stage: Stage): void {
  for (const rec of tcp) {
    const f = frameHandshake(rec);
    if (f.kind !== 'complete') continue;
    const h = parseClientHello(f.body);
    if (!h.ok) continue;
    sink += h.hello.ciphers.length;
    if (stage === 'parse') continue;
    sink += ja4(h.hello, 'tcp').ja4.length;
    if (stage === '+ja3') sink += ja3(h.hello).ja3.length;
  }
}

function quicPass(quic: Buffer[][]): void {
  for (const datagrams of quic) {
    let keys: InitialKeys | null = null;
    const asm = new CryptoAssembly();
    for (const d of datagrams) {
      for (let off = 0; off < d.length; ) {
        const r = parseLongHeader(d, off);
        if (!r.ok) break;
        off = r.header.end;
        if (r.header.type !== 'initial') continue;
        keys ??= initialKeys(r.header.dcid, r.header.version);
        if (keys === null) continue;
        const o = openPacket(d, r.header, keys);
        if (o.ok) walkInitialFrames(o.payload, asm);
      }
    }
    const m = asm.message(1);
    if (m.kind !== 'complete') continue;
    const h = parseClientHello(m.body);
    if (!h.ok) continue;
    sink += ja4(h.hello, 'quic').ja4.length + ja3(h.hello).ja3.length;
  }
}

/** Passes per second over `ms` milliseconds. */
function rate(fn: () => void, ms: number): number {
  let n = 0;
  const t0 = process.hrtime.bigint();
  let el = 0;
  do {
    fn();
    n++;
    el = Number(process.hrtime.bigint() - t0) / 1e6;
  } while (el < ms);
  return (n * 1000) / el;
}

export function tls(): void {
  const entries = ensureHellos();
  if (entries === null) return;
  const tcp = entries.filter((e) => e.kind === 'tcp').map((e) => e.parts[0]);
  const quic = entries.filter((e) => e.kind === 'quic').map((e) => e.parts);
  const bytes = tcp.reduce((a, b) => a + b.length, 0);
  console.log(`tls: ${tcp.length} TCP hellos (${(bytes / tcp.length).toFixed(0)} bytes each on average), ${quic.length} QUIC hellos (${quic.reduce((a, q) => a + q.length, 0)} Initial datagrams)`);

  const stages: Stage[] = ['parse', '+ja4', '+ja3'];
  const results = new Map<string, number[]>([...stages, 'quic'].map((s) => [s, []]));
  // Warm up every path first.
  for (const s of stages) rate(() => tcpPass(tcp, s), 300);
  rate(() => quicPass(quic), 300);
  for (let r = 0; r < runs; r++) {
    const order = r % 2 === 0 ? stages : [...stages].reverse();
    for (const s of order) results.get(s)!.push(rate(() => tcpPass(tcp, s), 500) * tcp.length);
    results.get('quic')!.push(rate(() => quicPass(quic), 500) * quic.length);
  }
  const parse = median(results.get('parse')!);
  for (const s of stages) {
    const hz = median(results.get(s)!);
    const us = 1e6 / hz;
    const vs = s === 'parse' ? '(baseline)' : `(${(parse / hz).toFixed(2)}x the parse-only cost)`;
    console.log(`tls: ${s.padEnd(6)} ${Math.round(hz).toLocaleString('en-US').padStart(9)} hellos/s, ${us.toFixed(2)} µs each ${vs}`);
  }
  const q = median(results.get('quic')!);
  const full = median(results.get('+ja3')!);
  console.log(`tls: quic   ${Math.round(q).toLocaleString('en-US').padStart(9)} hellos/s, ${(1e6 / q).toFixed(2)} µs each (${(full / q).toFixed(2)}x a TCP hello's full cost: keys, header protection, AES-GCM, reassembly)`);
  if (sink === -1) console.log('');
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) tls();
