/**
 * Reading captures for scripts/tls-check.ts and the corpus tests: tshark
 * serves only as a byte feeder (addresses, ports, TCP sequence numbers,
 * payloads, per packet in frame order); this puts each TCP direction's
 * bytes in sequence order (simply: the engine has its own reassembly),
 * finds the ClientHellos and ServerHellos in them with pof's framer
 * (STARTTLS-style clear text and OpenVPN's control channel included), and
 * decrypts QUIC Initials with pof's code.
 */
import { spawnSync } from 'node:child_process';
import { CryptoAssembly } from '../src/decode/quic/crypto-assembly.js';
import { walkInitialFrames } from '../src/decode/quic/frames.js';
import { initialKeys, openPacket, parseLongHeader, type InitialKeys } from '../src/decode/quic/initial.js';
import { parseClientHello, parseServerHello, type ClientHello } from '../src/fingerprint/tls/hello.js';
import { ja3 } from '../src/fingerprint/tls/ja3.js';
import { ja4 } from '../src/fingerprint/tls/ja4.js';
import { looksLikeOpenVpnTcp, openVpnTcpTls } from '../src/fingerprint/tls/openvpn.js';
import { frameHandshake, scanForHandshake } from '../src/fingerprint/tls/records.js';

/** Bytes of one TCP direction looked at (the check only; the engine keeps 16 KiB). */
const CHECK_STREAM_BYTES = 4 * 1024 * 1024;

export interface Found {
  file: string;
  transport: 'tcp' | 'udp';
  src: string;
  sport: number;
  dst: string;
  dport: number;
  /** The outermost IP header's addresses, where a tunnel wraps the hosts' own. */
  outerSrc: string;
  outerDst: string;
  /** For ordering hellos of one 4-tuple: the stream and the position within it. */
  stream: number;
  pos: number;
  sni: string | null;
  ja4: ReturnType<typeof ja4>;
  ja3: ReturnType<typeof ja3>;
  hello: ClientHello;
}

export interface ServerFacts {
  file: string;
  order: number;
  src: string;
  sport: number;
  version: number;
  cipher: number;
  alpn: string | null;
}

export interface Stats {
  files: number;
  tcpDirections: number;
  hellos: number;
  helloParseFailures: Map<string, number>;
  quicInitials: number;
  quicDecryptFailed: number;
  quicServerInitials: number;
  quicOther: Map<string, number>;
}

export function newStats(): Stats {
  return {
    files: 0,
    tcpDirections: 0,
    hellos: 0,
    helloParseFailures: new Map<string, number>(),
    quicInitials: 0,
    quicDecryptFailed: 0,
    quicServerInitials: 0,
    quicOther: new Map<string, number>(),
  };
}

/** One hello's bytes as pof first gets them (TCP records, QUIC Initial datagrams), for bench/tls.ts. */
export interface SavedHello {
  kind: 'tcp' | 'quic';
  parts: Buffer[];
}

/** What reading a capture adds to: counters, and the saved hellos when asked. */
export interface ReadContext {
  stats: Stats;
  saved: SavedHello[] | null;
}

const bump = (m: Map<string, number>, k: string): void => {
  m.set(k, (m.get(k) ?? 0) + 1);
};

export function last(field: string): string {
  const i = field.lastIndexOf(',');
  return i < 0 ? field : field.slice(i + 1);
}

// ---- TCP: per-direction byte streams --------------------------------------

interface Segment {
  seq: number;
  data: Buffer;
}
interface Direction {
  stream: number;
  src: string;
  sport: number;
  dst: string;
  dport: number;
  outerSrc: string;
  outerDst: string;
  isn: number; // -1 without a SYN
  firstFrame: number; // of the first segment with data
  segs: Segment[];
}

/** This direction's bytes in sequence order, up to the first gap. */
function assemble(d: Direction): Buffer {
  if (d.segs.length === 0) return Buffer.alloc(0);
  let base: number;
  if (d.isn >= 0) {
    base = (d.isn + 1) >>> 0;
  } else {
    // No SYN: start at the earliest sequence number seen (modulo 2^32).
    base = d.segs[0].seq;
    for (const s of d.segs) if (((s.seq - base) | 0) < 0) base = s.seq;
  }
  let size = 0;
  for (const s of d.segs) {
    const rel = (s.seq - base) | 0;
    if (rel < 0) continue;
    size = Math.max(size, Math.min(CHECK_STREAM_BYTES, rel + s.data.length));
  }
  const out = Buffer.alloc(size);
  const have = new Uint8Array(size);
  for (const s of d.segs) {
    const rel = (s.seq - base) | 0;
    if (rel < 0 || rel >= size) continue;
    const n = Math.min(s.data.length, size - rel);
    s.data.copy(out, rel, 0, n);
    have.fill(1, rel, rel + n);
  }
  let end = have.indexOf(0);
  if (end < 0) end = size;
  return out.subarray(0, end);
}

/** Every ClientHello in one direction's bytes, in order. */
function hellosIn(bytes: Buffer, expect: number): Array<{ pos: number; end: number; body: Buffer }> {
  const out: Array<{ pos: number; end: number; body: Buffer }> = [];
  let pos = 0;
  while (pos < bytes.length) {
    const at = bytes[pos] === 0x16 ? pos : scanForHandshake(bytes, pos, bytes.length, expect);
    if (at < 0) break;
    const f = frameHandshake(bytes, at, bytes.length, { expect, limit: 64 * 1024 });
    if (f.kind === 'complete') {
      out.push({ pos: at, end: f.end, body: f.body });
      pos = f.end;
    } else {
      pos = at + 1;
    }
  }
  return out;
}

// ---- QUIC ------------------------------------------------------------------

interface QuicFlow {
  /** The Initial datagrams that made up the hello so far (kept for --save-hellos). */
  datagrams: Buffer[];
  keys: InitialKeys | null;
  asm: CryptoAssembly;
  largestPn: number;
  done: boolean;
  hellos: number;
}

function quicDatagram(
  ctx: ReadContext,
  file: string,
  flows: Map<string, QuicFlow>,
  stream: number,
  frame: number,
  hosts: { src: string; dst: string; outerSrc: string; outerDst: string },
  sport: number,
  dport: number,
  dgram: Buffer,
  found: Found[],
): void {
  const { stats, saved } = ctx;
  const { src, dst } = hosts;
  const key = `${src}|${sport}|${dst}|${dport}`;
  let off = 0;
  while (off < dgram.length) {
    const r = parseLongHeader(dgram, off);
    if (!r.ok) {
      if (off === 0 && r.reason !== 'short-header') bump(stats.quicOther, r.reason);
      return;
    }
    const h = r.header;
    off = h.end;
    if (h.type !== 'initial') continue;
    stats.quicInitials++;
    let flow = flows.get(key);
    let opened = null;
    if (flow !== undefined && flow.keys !== null && flow.keys.version === h.version) {
      const o = openPacket(dgram, h, flow.keys, flow.largestPn);
      if (o.ok) opened = o;
    }
    if (opened === null) {
      // A first Initial, or a new attempt (after Retry or version
      // negotiation) with keys from this packet's own DCID.
      const k = initialKeys(h.dcid, h.version);
      if (k === null) continue;
      const o = openPacket(dgram, h, k);
      if (!o.ok) {
        // A server's Initials are sealed with keys of the client's DCID, which
        // their own header does not carry: expected failures, told apart here.
        if (flows.has(`${dst}|${dport}|${src}|${sport}`)) stats.quicServerInitials++;
        else stats.quicDecryptFailed++;
        continue;
      }
      opened = o;
      const hellos = flow?.hellos ?? 0;
      flow = { datagrams: [], keys: k, asm: new CryptoAssembly(), largestPn: -1, done: false, hellos };
      flows.set(key, flow);
    }
    const fl = flow as QuicFlow;
    if (opened.pn > fl.largestPn) fl.largestPn = opened.pn;
    if (fl.done) continue;
    if (saved !== null && !fl.datagrams.includes(dgram)) fl.datagrams.push(dgram);
    const w = walkInitialFrames(opened.payload, fl.asm);
    if (!w.ok) bump(stats.quicOther, 'frames:' + w.reason);
    const m = fl.asm.message(1);
    if (m.kind === 'complete') {
      fl.done = true;
      const p = parseClientHello(m.body);
      if (!p.ok) {
        bump(stats.helloParseFailures, 'quic:' + p.reason);
        continue;
      }
      stats.hellos++;
      saved?.push({ kind: 'quic', parts: fl.datagrams });
      found.push({
        file,
        transport: 'udp',
        src,
        sport,
        dst,
        dport,
        outerSrc: hosts.outerSrc,
        outerDst: hosts.outerDst,
        stream,
        pos: frame,
        sni: p.hello.sni,
        ja4: ja4(p.hello, 'quic'),
        ja3: ja3(p.hello),
        hello: p.hello,
      });
      fl.hellos++;
    } else if (m.kind === 'invalid') {
      fl.done = true;
      bump(stats.quicOther, 'crypto:' + m.reason);
    }
  }
}

// ---- one capture -------------------------------------------------------------

const FIELDS = [
  'frame.number',
  'frame.protocols',
  'ip.src',
  'ipv6.src',
  'ip.dst',
  'ipv6.dst',
  'tcp.stream',
  'tcp.srcport',
  'tcp.dstport',
  'tcp.seq_raw',
  'tcp.flags',
  'tcp.payload',
  'udp.stream',
  'udp.srcport',
  'udp.dstport',
  'udp.payload',
];

function first(field: string): string {
  const i = field.indexOf(',');
  return i < 0 ? field : field.slice(0, i);
}

function outerIsV6(protocols: string): boolean {
  const p = protocols.split(':');
  const v4 = p.indexOf('ip');
  const v6 = p.indexOf('ipv6');
  return v6 >= 0 && (v4 < 0 || v6 < v4);
}

function innerIsV6(protocols: string): boolean {
  const p = protocols.split(':');
  return p.lastIndexOf('ipv6') > p.lastIndexOf('ip');
}

export function tshark(path: string, extra: string[]): string[] {
  const r = spawnSync('tshark', ['-n', '-r', path, '-T', 'fields', '-E', 'separator=/t', '-E', 'occurrence=a', ...extra], {
    encoding: 'utf8',
    maxBuffer: 1 << 30,
  });
  if (r.error) throw r.error;
  return r.stdout.split('\n').filter((l) => l.length > 0);
}

export function readCapture(file: string, path: string, found: Found[], servers: ServerFacts[], ctx: ReadContext): void {
  const { stats, saved } = ctx;
  stats.files++;
  const dirs = new Map<string, Direction>();
  const quic = new Map<string, QuicFlow>();
  const lines = tshark(path, FIELDS.flatMap((f) => ['-e', f]));
  for (const line of lines) {
    const [frameNo, protocols, ...c] = line.split('\t');
    const frame = Number(frameNo);
    // The innermost IP header names the hosts (tunnels list outer ones first).
    const v6 = innerIsV6(protocols);
    const src = last(v6 ? c[1] : c[0]);
    const dst = last(v6 ? c[3] : c[2]);
    const o6 = outerIsV6(protocols);
    const outerSrc = first(o6 ? c[1] : c[0]);
    const outerDst = first(o6 ? c[3] : c[2]);
    if (c[5] !== '') {
      const sport = Number(last(c[5]));
      const dport = Number(last(c[6]));
      const stream = Number(last(c[4]));
      const key = `${stream}|${src}|${sport}`;
      let d = dirs.get(key);
      if (d === undefined) {
        d = { stream, src, sport, dst, dport, outerSrc, outerDst, isn: -1, firstFrame: 0, segs: [] };
        dirs.set(key, d);
      }
      const seq = Number(last(c[7])) >>> 0;
      const flags = parseInt(last(c[8]), 16);
      if ((flags & 0x02) !== 0) d.isn = seq;
      const payload = last(c[9]);
      if (payload.length > 0) {
        if (d.segs.length === 0) d.firstFrame = frame;
        d.segs.push({ seq, data: Buffer.from(payload, 'hex') });
      }
    } else if (c[11] !== '' && c[13] !== '') {
      const payload = last(c[13]);
      quicDatagram(ctx, file, quic, Number(last(c[10])), frame, { src, dst, outerSrc, outerDst }, Number(last(c[11])), Number(last(c[12])), Buffer.from(payload, 'hex'), found);
    }
  }
  for (const d of dirs.values()) {
    stats.tcpDirections++;
    let bytes = assemble(d);
    if (looksLikeOpenVpnTcp(bytes)) {
      const o = openVpnTcpTls(bytes);
      if (o.kind === 'tls') bytes = o.bytes;
    }
    for (const { pos, end, body } of hellosIn(bytes, 1)) {
      const p = parseClientHello(body);
      if (!p.ok) {
        bump(stats.helloParseFailures, 'tcp:' + p.reason);
        continue;
      }
      stats.hellos++;
      saved?.push({ kind: 'tcp', parts: [Buffer.from(bytes.subarray(pos, end))] });
      found.push({
        file,
        transport: 'tcp',
        src: d.src,
        sport: d.sport,
        dst: d.dst,
        dport: d.dport,
        outerSrc: d.outerSrc,
        outerDst: d.outerDst,
        stream: d.stream,
        pos,
        sni: p.hello.sni,
        ja4: ja4(p.hello, 'tcp'),
        ja3: ja3(p.hello),
        hello: p.hello,
      });
    }
    for (const { pos, body } of hellosIn(bytes, 2)) {
      const p = parseServerHello(body);
      if (p.ok) servers.push({ file, order: d.firstFrame * 1e7 + pos, src: d.src, sport: d.sport, version: p.hello.selectedVersion, cipher: p.hello.cipher, alpn: p.hello.alpn });
    }
  }
}

