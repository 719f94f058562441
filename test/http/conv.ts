/**
 * Helpers for the HTTP tests: a small signature database from p0f.fp text,
 * and whole TCP conversations (handshake, request and response bytes cut
 * into the segments a test asks for) as capture records, run through the
 * real engine with the HTTP module.
 */
import type { PacketRecord } from '../../src/capture/types.js';
import { parseSignatures } from '../../src/db/parse.js';
import type { SignatureDb } from '../../src/db/types.js';
import { Engine } from '../../src/engine.js';
import type { Observation } from '../../src/observation.js';
import { formatLogLine } from '../../src/output/p0f-log.js';
import { HttpModule } from '../../src/state/http-module.js';
import { ethernet, LinkType, record, tcp4 } from '../helpers/packet-build.js';

/** A database from p0f.fp text; throws with the diagnostics if it does not load. */
export function dbFrom(text: string): SignatureDb {
  const r = parseSignatures(text, 'test.fp');
  if (!r.ok) throw new Error(r.diagnostics.map((d) => `${d.line}: ${d.field}: ${d.message}`).join('\n'));
  return r.db;
}

/** A Linux-like SYN signature so the TCP side has something to match (or not). */
export const TCP_PART = `
classes = win,unix,other

[tcp:request]
label = s:unix:Linux:3.x
sig   = *:64:0:*:mss*20,7:mss,sok,ts,nop,ws:df,id+:0

[tcp:response]
label = s:unix:Linux:3.x
sig   = *:64:0:*:*,7:mss,sok,ts,nop,ws:df,id+:0
`;

export interface ConvSpec {
  cli?: string;
  srv?: string;
  sport?: number;
  dport?: number;
  /** Request bytes, and where to cut them (segment lengths; the rest goes in one more). */
  request?: string | Buffer;
  reqCuts?: number[];
  response?: string | Buffer;
  respCuts?: number[];
  /** Packet time of the first packet (s); each packet adds `step` µs. */
  tsSec?: number;
  step?: number;
  /** Send the response before the request has finished (interleaved). */
  responseFirst?: boolean;
  /** Client TTL (default 64). */
  ttl?: number;
}

const MSS_OPTS = [{ mss: 1460 }, 'sok', { ts: [1000, 0] }, 'nop', { ws: 7 }] as const;

function cut(data: Buffer, cuts: number[] | undefined): Buffer[] {
  const out: Buffer[] = [];
  let off = 0;
  for (const n of cuts ?? []) {
    if (off >= data.length) break;
    out.push(data.subarray(off, Math.min(data.length, off + n)));
    off += n;
  }
  if (off < data.length) out.push(data.subarray(off));
  return out;
}

/** Every n bytes. */
export function every(n: number, total: number): number[] {
  return new Array(Math.ceil(total / n)).fill(n);
}

/** The packets of one conversation, in order. */
export function conversation(spec: ConvSpec): PacketRecord[] {
  const cli = spec.cli ?? '10.0.0.1';
  const srv = spec.srv ?? '10.0.0.2';
  const sport = spec.sport ?? 40000;
  const dport = spec.dport ?? 80;
  const ttl = spec.ttl ?? 64;
  let t = (spec.tsSec ?? 1700000000) * 1e6;
  const step = spec.step ?? 1000;
  const recs: PacketRecord[] = [];
  const push = (frame: Buffer): void => {
    recs.push(record(frame, LinkType.ETHERNET, { tsSec: Math.floor(t / 1e6), tsUsec: t % 1e6 }));
    t += step;
  };
  const c2s = (seq: number, ack: number, flags: number, payload?: Buffer): Buffer =>
    ethernet(tcp4({ src: cli, dst: srv, ttl }, { sport, dport, seq, ack, flags, win: 29200, payload }));
  const s2c = (seq: number, ack: number, flags: number, payload?: Buffer): Buffer =>
    ethernet(tcp4({ src: srv, dst: cli, ttl: 64 }, { sport: dport, dport: sport, seq, ack, flags, win: 28960, payload }));

  let cseq = 1000;
  let sseq = 9000;
  push(ethernet(tcp4({ src: cli, dst: srv, ttl }, { sport, dport, seq: cseq, flags: 0x02, win: 29200, options: [...MSS_OPTS] })));
  cseq++;
  push(ethernet(tcp4({ src: srv, dst: cli }, { sport: dport, dport: sport, seq: sseq, ack: cseq, flags: 0x12, win: 28960, options: [...MSS_OPTS] })));
  sseq++;
  push(c2s(cseq, sseq, 0x10));

  const req = typeof spec.request === 'string' ? Buffer.from(spec.request, 'latin1') : (spec.request ?? Buffer.alloc(0));
  const resp = typeof spec.response === 'string' ? Buffer.from(spec.response, 'latin1') : (spec.response ?? Buffer.alloc(0));
  const sendReq = (): void => {
    for (const seg of cut(req, spec.reqCuts)) {
      push(c2s(cseq, sseq, 0x18, seg));
      cseq += seg.length;
    }
  };
  const sendResp = (): void => {
    for (const seg of cut(resp, spec.respCuts)) {
      push(s2c(sseq, cseq, 0x18, seg));
      sseq += seg.length;
    }
  };
  if (spec.responseFirst) {
    sendResp();
    sendReq();
  } else {
    sendReq();
    sendResp();
  }
  push(c2s(cseq, sseq, 0x11));
  return recs;
}

export interface RunResult {
  observations: Observation[];
  lines: string[];
  http: Observation[];
  engine: Engine;
  module: HttpModule;
}

/** Runs packets through an engine with the HTTP module. */
export function run(db: SignatureDb, packets: PacketRecord[], module = new HttpModule()): RunResult {
  const observations: Observation[] = [];
  const engine = new Engine({ db }, (o) => observations.push(o));
  engine.addModule(module);
  for (const p of packets) engine.handle(p);
  return {
    observations,
    lines: observations.map((o) => formatLogLine(o).replace(/\n$/, '').replace(/^\[[^\]]*\] /, '')),
    http: observations.filter((o) => o.mod === 'http request' || o.mod === 'http response'),
    engine,
    module,
  };
}

/** A field of an observation. */
export function field(o: Observation | undefined, key: string): string | null | undefined {
  return o?.fields.find(([k]) => k === key)?.[1];
}
