/**
 * ClientHellos and User-Agents of a capture, for the scripts that gather
 * evidence (tls-evidence.ts) and score verdicts (verdict-eval.ts).
 *
 * tshark is only a byte feeder: it lists each packet's addresses, ports,
 * TCP sequence number and payload (or UDP payload). Each TCP direction's
 * bytes are put in sequence order up to the first gap (simply: this is a
 * script; the engine has its own reassembly), the ClientHellos in them are
 * found with pof's record framer and read with pof's parser; QUIC
 * Initials are decrypted with pof's code. User-Agents come from tshark's
 * HTTP dissector (`http.user_agent`), with the connection that sent them.
 */
import { spawnSync } from 'node:child_process';
import { CryptoAssembly } from '../src/decode/quic/crypto-assembly.js';
import { walkInitialFrames } from '../src/decode/quic/frames.js';
import { initialKeys, openPacket, parseLongHeader, type InitialKeys } from '../src/decode/quic/initial.js';
import { parseClientHello, type ClientHello } from '../src/fingerprint/tls/hello.js';
import { ja4, type Ja4Set } from '../src/fingerprint/tls/ja4.js';
import { looksLikeOpenVpnTcp, openVpnTcpTls } from '../src/fingerprint/tls/openvpn.js';
import { frameHandshake, scanForHandshake } from '../src/fingerprint/tls/records.js';

export interface Hello {
  file: string;
  transport: 'tcp' | 'quic';
  src: string;
  sport: number;
  dst: string;
  dport: number;
  /** tshark's tcp.stream / udp.stream. */
  stream: number;
  sni: string | null;
  alpn: string[] | null;
  ja4: Ja4Set;
  hello: ClientHello;
}

export interface UaSeen {
  src: string;
  sport: number;
  dst: string;
  dport: number;
  stream: number;
  ua: string;
}

/** Bytes of one TCP direction looked at. */
const STREAM_BYTES = 1 << 20;

function last(field: string): string {
  const i = field.lastIndexOf(',');
  return i < 0 ? field : field.slice(i + 1);
}

function tshark(path: string, extra: string[]): string[] {
  const r = spawnSync('tshark', ['-n', '-r', path, '-T', 'fields', '-E', 'separator=/t', '-E', 'occurrence=a', ...extra], {
    encoding: 'utf8',
    maxBuffer: 1 << 30,
  });
  if (r.error) throw r.error;
  return r.stdout.split('\n').filter((l) => l.length > 0);
}

interface Direction {
  stream: number;
  src: string;
  sport: number;
  dst: string;
  dport: number;
  isn: number;
  segs: Array<{ seq: number; data: Buffer }>;
}

function assemble(d: Direction): Buffer {
  if (d.segs.length === 0) return Buffer.alloc(0);
  let base = d.isn >= 0 ? (d.isn + 1) >>> 0 : d.segs[0]!.seq;
  if (d.isn < 0) for (const s of d.segs) if (((s.seq - base) | 0) < 0) base = s.seq;
  let size = 0;
  for (const s of d.segs) {
    const rel = (s.seq - base) | 0;
    if (rel >= 0) size = Math.max(size, Math.min(STREAM_BYTES, rel + s.data.length));
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
  const gap = have.indexOf(0);
  return out.subarray(0, gap < 0 ? size : gap);
}

function tcpHellos(bytes: Buffer): ClientHello[] {
  const out: ClientHello[] = [];
  let pos = 0;
  while (pos < bytes.length && out.length < 64) {
    const at = bytes[pos] === 0x16 ? pos : scanForHandshake(bytes, pos, bytes.length, 1);
    if (at < 0) break;
    const f = frameHandshake(bytes, at, bytes.length, { expect: 1, limit: 64 * 1024 });
    if (f.kind !== 'complete') {
      pos = at + 1;
      continue;
    }
    const p = parseClientHello(f.body);
    if (p.ok) out.push(p.hello);
    pos = f.end;
  }
  return out;
}

interface QuicFlow {
  keys: InitialKeys;
  asm: CryptoAssembly;
  largestPn: number;
  done: boolean;
}

function quicHello(flows: Map<string, QuicFlow>, key: string, dgram: Buffer): ClientHello | null {
  let off = 0;
  while (off < dgram.length) {
    const r = parseLongHeader(dgram, off);
    if (!r.ok) return null;
    const h = r.header;
    off = h.end;
    if (h.type !== 'initial') continue;
    let flow = flows.get(key);
    let opened = null;
    if (flow !== undefined && flow.keys.version === h.version) {
      const o = openPacket(dgram, h, flow.keys, flow.largestPn);
      if (o.ok) opened = o;
    }
    if (opened === null) {
      const k = initialKeys(h.dcid, h.version);
      if (k === null) continue;
      const o = openPacket(dgram, h, k);
      if (!o.ok) continue;
      opened = o;
      flow = { keys: k, asm: new CryptoAssembly(), largestPn: -1, done: false };
      flows.set(key, flow);
    }
    const fl = flow as QuicFlow;
    if (opened.pn > fl.largestPn) fl.largestPn = opened.pn;
    if (fl.done) continue;
    walkInitialFrames(opened.payload, fl.asm);
    const m = fl.asm.message(1);
    if (m.kind === 'complete') {
      fl.done = true;
      const p = parseClientHello(m.body);
      if (p.ok) return p.hello;
    } else if (m.kind === 'invalid') {
      fl.done = true;
    }
  }
  return null;
}

const FIELDS = ['frame.protocols', 'ip.src', 'ipv6.src', 'ip.dst', 'ipv6.dst', 'tcp.stream', 'tcp.srcport', 'tcp.dstport', 'tcp.seq_raw', 'tcp.flags', 'tcp.payload', 'udp.stream', 'udp.srcport', 'udp.dstport', 'udp.payload'];

function innerIsV6(protocols: string): boolean {
  const p = protocols.split(':');
  return p.lastIndexOf('ipv6') > p.lastIndexOf('ip');
}

/** Every ClientHello in a capture (TCP and QUIC), by connection. */
export function hellosOf(file: string, path: string): Hello[] {
  const dirs = new Map<string, Direction>();
  const quic = new Map<string, QuicFlow>();
  const found: Hello[] = [];
  for (const line of tshark(path, FIELDS.flatMap((f) => ['-e', f]))) {
    const [protocols = '', ...c] = line.split('\t');
    const v6 = innerIsV6(protocols);
    const src = last(v6 ? c[1]! : c[0]!);
    const dst = last(v6 ? c[3]! : c[2]!);
    if (c[5] !== '' && c[5] !== undefined) {
      const stream = Number(last(c[4]!));
      const sport = Number(last(c[5]));
      const key = `${stream}|${src}|${sport}`;
      let d = dirs.get(key);
      if (d === undefined) dirs.set(key, (d = { stream, src, sport, dst, dport: Number(last(c[6]!)), isn: -1, segs: [] }));
      const seq = Number(last(c[7]!)) >>> 0;
      if ((parseInt(last(c[8]!), 16) & 0x02) !== 0) d.isn = seq;
      const payload = last(c[9]!);
      if (payload.length > 0) d.segs.push({ seq, data: Buffer.from(payload, 'hex') });
    } else if (c[11] && c[13]) {
      const stream = Number(last(c[10]!));
      const sport = Number(last(c[11]));
      const dport = Number(last(c[12]!));
      const h = quicHello(quic, `${src}|${sport}|${dst}|${dport}`, Buffer.from(last(c[13]), 'hex'));
      if (h) found.push({ file, transport: 'quic', src, sport, dst, dport, stream, sni: h.sni, alpn: h.alpn, ja4: ja4(h, 'quic'), hello: h });
    }
  }
  for (const d of dirs.values()) {
    let bytes = assemble(d);
    if (looksLikeOpenVpnTcp(bytes)) {
      const o = openVpnTcpTls(bytes);
      if (o.kind === 'tls') bytes = o.bytes;
    }
    for (const h of tcpHellos(bytes)) {
      found.push({ file, transport: 'tcp', src: d.src, sport: d.sport, dst: d.dst, dport: d.dport, stream: d.stream, sni: h.sni, alpn: h.alpn, ja4: ja4(h, 'tcp'), hello: h });
    }
  }
  return found;
}

/** Every HTTP request's User-Agent in a capture, with its connection. */
export function userAgentsOf(path: string): UaSeen[] {
  const out: UaSeen[] = [];
  const f = ['frame.protocols', 'ip.src', 'ipv6.src', 'ip.dst', 'ipv6.dst', 'tcp.stream', 'tcp.srcport', 'tcp.dstport', 'http.user_agent'];
  for (const line of tshark(path, ['-Y', 'http.user_agent', ...f.flatMap((x) => ['-e', x])])) {
    const [protocols = '', ...c] = line.split('\t');
    const v6 = innerIsV6(protocols);
    const ua = c[7] ?? '';
    if (ua === '' || c[5] === '') continue;
    out.push({ src: last(v6 ? c[1]! : c[0]!), dst: last(v6 ? c[3]! : c[2]!), stream: Number(last(c[4]!)), sport: Number(last(c[5]!)), dport: Number(last(c[6]!)), ua });
  }
  return out;
}
