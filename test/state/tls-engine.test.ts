/**
 * TLS over TCP through the engine: ClientHellos that arrive whole, split
 * over segments out of order, retransmitted, overlapping, cut short; after
 * clear text (STARTTLS); after a HelloRetryRequest; the ServerHello's
 * facts; the bounds; and what the outputs make of the hello's wire strings.
 * Every packet is built here (test/helpers/packet-build.ts, test/tls/build.ts).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseSignatures } from '../../src/db/parse.js';
import { decodeFrame, newDecodeState } from '../../src/decode/index.js';
import { Engine } from '../../src/engine.js';
import { parseClientHello } from '../../src/fingerprint/tls/hello.js';
import { ja3 } from '../../src/fingerprint/tls/ja3.js';
import { ja4 } from '../../src/fingerprint/tls/ja4.js';
import type { Observation } from '../../src/observation.js';
import { formatConsoleBlock } from '../../src/output/console.js';
import { formatJsonLine } from '../../src/output/json.js';
import { formatLogLine } from '../../src/output/p0f-log.js';
import type { TupleKey } from '../../src/state/flows.js';
import { TlsGatherer } from '../../src/state/tls-gather.js';
import { fillTupleKey } from '../../src/state/tls-table.js';
import { newTlsStats } from '../../src/state/tls-report.js';
import type { EngineContext } from '../../src/state/module.js';
import { ethernet, record, tcp4, LinkType } from '../helpers/packet-build.js';
import { alpn, clientHelloBody, ext, handshake, records, serverHelloBody, sni, supportedVersions } from '../tls/build.js';

const SYN = 0x02;
const ACK = 0x10;
const PSH_ACK = 0x18;
const FIN_ACK = 0x11;
const RST = 0x04;
const CLI = { src: '10.1.1.1', dst: '10.2.2.2' };
const SRV = { src: '10.2.2.2', dst: '10.1.1.1' };
const ISN = 1000;
const SISN = 5000;

function db() {
  const p = parseSignatures('', 'empty');
  assert.ok(p.ok);
  return p.db;
}

function run(frames: Buffer[], opts: { tls?: boolean } = {}): { obs: Observation[]; engine: Engine } {
  const obs: Observation[] = [];
  const engine = new Engine({ db: db(), ...opts }, (o) => obs.push(o));
  let t = 0;
  for (const f of frames) engine.handle(record(f, LinkType.ETHERNET, { tsSec: 1700000000, tsUsec: t++ }));
  return { obs, engine };
}

const tlsOf = (obs: Observation[]): Observation[] => obs.filter((o) => o.mod === 'tls');
const field = (o: Observation, k: string): string | null | undefined => o.fields.find((f) => f[0] === k)?.[1];

/** A client segment: data at stream offset `off` (ISN + 1 + off). */
function cli(off: number, payload: Buffer, flags = PSH_ACK, sport = 50000): Buffer {
  return ethernet(tcp4(CLI, { sport, dport: 443, seq: (ISN + 1 + off) >>> 0, ack: SISN + 1, flags, payload }));
}
function srv(off: number, payload: Buffer, flags = PSH_ACK, dport = 50000): Buffer {
  return ethernet(tcp4(SRV, { sport: 443, dport, seq: (SISN + 1 + off) >>> 0, ack: ISN + 1, flags, payload }));
}
const syn = (sport = 50000): Buffer => ethernet(tcp4(CLI, { sport, dport: 443, seq: ISN, flags: SYN, options: [{ mss: 1460 }] }));
const synAck = (dport = 50000): Buffer => ethernet(tcp4(SRV, { sport: 443, dport, seq: SISN, ack: ISN + 1, flags: SYN | ACK, options: [{ mss: 1460 }] }));

// A ClientHello of about 1.5 KiB (a large key share), so that it spans segments.
const body = clientHelloBody({
  sessionId: Buffer.alloc(32, 7),
  ciphers: [0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f],
  extensions: [sni('www.example.org'), alpn(['h2', 'http/1.1']), supportedVersions([0x0a0a, 0x0304, 0x0303]), ext(0x0033, Buffer.alloc(1200, 0x42)), ext(0x000d, Buffer.from([0, 4, 4, 3, 8, 4]))],
});
const hello = records(handshake(1, body));
const want = (() => {
  const p = parseClientHello(body);
  assert.ok(p.ok);
  return { ...ja4(p.hello, 'tcp'), ja3: ja3(p.hello).ja3 };
})();

/** The hello cut at these offsets into segments (each [offset, bytes]). */
function cut(data: Buffer, at: number[]): Array<[number, Buffer]> {
  const out: Array<[number, Buffer]> = [];
  let p = 0;
  for (const q of [...at, data.length]) {
    out.push([p, data.subarray(p, q)]);
    p = q;
  }
  return out;
}

function assertHello(o: Observation | undefined): void {
  assert.ok(o, 'a tls observation');
  assert.equal(o.subj, 'cli');
  assert.equal(o.cli, '10.1.1.1');
  assert.equal(o.cliPort, 50000);
  assert.equal(o.srv, '10.2.2.2');
  assert.equal(o.srvPort, 443);
  assert.equal(field(o, 'ja4'), want.ja4);
  assert.equal(field(o, 'ja4_r'), want.ja4_r);
  assert.equal(field(o, 'ja4_o'), want.ja4_o);
  assert.equal(field(o, 'ja4_ro'), want.ja4_ro);
  assert.equal(field(o, 'ja3'), want.ja3);
  assert.equal(field(o, 'sni'), 'www.example.org');
  assert.equal(field(o, 'alpn'), 'h2,http/1.1');
}

describe('TLS over TCP through the engine', () => {
  it('a hello in one segment after the handshake: one tls observation with JA4 (all forms), JA3, SNI, ALPN', () => {
    const { obs, engine } = run([syn(), synAck(), cli(0, hello)]);
    const t = tlsOf(obs);
    assert.equal(t.length, 1);
    assertHello(t[0]);
    assert.equal(want.ja4.slice(0, 10), 't13d0505h2');
    const d = t[0]!.detail;
    assert.ok(d && d.kind === 'tls');
    assert.equal(d.transport, 'tcp');
    assert.equal(d.version, 'TLS 1.3');
    assert.deepEqual(d.alpn, ['h2', 'http/1.1']);
    assert.equal(d.after_retry, false);
    assert.equal(engine.stats.tls.hellos.tcp, 1);
  });

  it('split over three segments that arrive out of order (3, 1, 2): the same hello, once', () => {
    const [a, b, c] = cut(hello, [500, 1000]);
    const { obs } = run([syn(), synAck(), cli(c![0], c![1]), cli(a![0], a![1]), cli(b![0], b![1])]);
    const t = tlsOf(obs);
    assert.equal(t.length, 1);
    assertHello(t[0]);
  });

  it('also in a capture that starts mid-connection (no SYN): 1, 3, 2', () => {
    const [a, b, c] = cut(hello, [700, 1100]);
    const { obs } = run([cli(a![0], a![1]), cli(c![0], c![1]), cli(b![0], b![1])]);
    assert.equal(tlsOf(obs).length, 1);
    assertHello(tlsOf(obs)[0]);
  });

  it('retransmitted segments, and a retransmission of the whole hello afterwards, give one hello', () => {
    const [a, b] = cut(hello, [800]);
    const { obs } = run([syn(), synAck(), cli(a![0], a![1]), cli(a![0], a![1]), cli(b![0], b![1]), cli(b![0], b![1]), cli(0, hello)]);
    assert.equal(tlsOf(obs).length, 1);
    assertHello(tlsOf(obs)[0]);
  });

  it('overlapping segments (each starting inside the one before) give the hello', () => {
    const segs: Array<[number, Buffer]> = [
      [0, hello.subarray(0, 600)],
      [400, hello.subarray(400, 1000)],
      [950, hello.subarray(950)],
    ];
    const { obs } = run([syn(), synAck(), ...segs.reverse().map(([o, d]) => cli(o, d))]);
    assert.equal(tlsOf(obs).length, 1);
    assertHello(tlsOf(obs)[0]);
  });

  it('a truncated hello is never reported, and is counted when the connection closes', () => {
    const part = hello.subarray(0, 900);
    for (const close of [cli(900, Buffer.alloc(0), FIN_ACK), cli(900, Buffer.alloc(0), RST)]) {
      const { obs, engine } = run([syn(), synAck(), cli(0, part), close]);
      assert.equal(tlsOf(obs).length, 0);
      assert.equal(engine.stats.tls.drops['tcp-incomplete'], 1);
      assert.equal(engine.tls!.tcp.held, 0, 'its bytes are given back');
      assert.equal(engine.tls!.tcp.size, 0);
    }
  });

  it('a FIN with a segment still missing before it waits for the retransmission', () => {
    const [a, b] = cut(hello, [700]);
    const { obs, engine } = run([syn(), synAck(), cli(a![0], a![1]), cli(hello.length, Buffer.alloc(0), FIN_ACK), cli(b![0], b![1])]);
    assert.equal(tlsOf(obs).length, 1);
    assert.equal(engine.stats.tls.drops['tcp-incomplete'], undefined);
  });

  it('a hello still incomplete when its entry ages out is counted as expired', () => {
    const obs: Observation[] = [];
    const engine = new Engine({ db: db(), connMaxAgeS: 30 }, (o) => obs.push(o));
    engine.handle(record(syn(), LinkType.ETHERNET, { tsSec: 1700000000 }));
    engine.handle(record(cli(0, hello.subarray(0, 300)), LinkType.ETHERNET, { tsSec: 1700000000 }));
    engine.handle(record(syn(50001), LinkType.ETHERNET, { tsSec: 1700000100 }));
    assert.equal(engine.stats.tls.drops['tcp-expired'], 1);
    assert.equal(engine.tls!.tcp.size, 1);
  });

  it('after clear text (SMTP STARTTLS): the hello is found in the first KiB', () => {
    const text = Buffer.from('EHLO client.example\r\nSTARTTLS\r\n', 'latin1');
    const { obs } = run([syn(), synAck(), srv(0, Buffer.from('220 mx ESMTP\r\n')), cli(0, text), srv(14, Buffer.from('220 go ahead\r\n')), cli(text.length, hello)]);
    assert.equal(tlsOf(obs).length, 1);
    assertHello(tlsOf(obs)[0]);
  });

  it('a plain HTTP connection leaves the table at its first bytes; payload with no entry creates none', () => {
    const { obs, engine } = run([syn(), synAck(), cli(0, Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n')), cli(100, Buffer.from('more'))]);
    assert.equal(tlsOf(obs).length, 0);
    assert.equal(engine.tls!.tcp.size, 0);
    const mid = run([cli(0, Buffer.from([0x17, 3, 3, 0, 10, 1, 2, 3, 4, 5]))]);
    assert.equal(mid.engine.tls!.tcp.size, 0);
  });

  it("the ServerHello's choices: version, cipher, ALPN (a 'tls server' observation)", () => {
    const sh = records(handshake(2, serverHelloBody({ cipher: 0x1301, extensions: [ext(0x002b, Buffer.from([3, 4])), alpn(['h2'])] })));
    const { obs, engine } = run([syn(), synAck(), cli(0, hello), srv(0, sh)]);
    const s = obs.filter((o) => o.mod === 'tls server');
    assert.equal(s.length, 1);
    assert.equal(s[0]!.subj, 'srv');
    assert.deepEqual(
      s[0]!.fields.map((f) => f.join('=')),
      ['version=TLS 1.3', 'cipher=0x1301', 'alpn=h2', 'params=none'],
    );
    assert.equal(engine.stats.tls.serverHellos.tcp, 1);
    assert.equal(engine.tls!.tcp.held, 0);
  });

  it('after a HelloRetryRequest (with ChangeCipherSpec after it), the second hello is read too', () => {
    const hrrRandom = Buffer.from('cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c', 'hex');
    const sv = ext(0x002b, Buffer.from([3, 4]));
    const hrr = Buffer.concat([records(handshake(2, serverHelloBody({ random: hrrRandom, cipher: 0x1301, extensions: [sv] }))), Buffer.from([20, 3, 3, 0, 1, 1])]);
    const body2 = clientHelloBody({ sessionId: Buffer.alloc(32, 7), ciphers: [0x1301], extensions: [sni('www.example.org'), supportedVersions([0x0304]), ext(0x0033, Buffer.alloc(40, 1))] });
    const ccsHello2 = Buffer.concat([Buffer.from([20, 3, 3, 0, 1, 1]), records(handshake(2 - 1, body2))]);
    const sh = records(handshake(2, serverHelloBody({ cipher: 0x1301, extensions: [sv] })));
    const { obs } = run([syn(), synAck(), cli(0, hello), srv(0, hrr), cli(hello.length, ccsHello2), srv(hrr.length, sh)]);
    const t = tlsOf(obs);
    assert.equal(t.length, 2);
    const d2 = t[1]!.detail;
    assert.ok(d2 && d2.kind === 'tls' && d2.after_retry);
    assert.equal(field(t[1]!, 'ja4')!.slice(0, 10), 't13d010300');
    const s = obs.filter((o) => o.mod === 'tls server').map((o) => field(o, 'params'));
    assert.deepEqual(s, ['retry', 'none']);
  });

  it('a hello larger than 16 KiB is dropped and counted, not held', () => {
    const big = Buffer.concat([Buffer.from([22, 3, 1, 0x40, 0x00, 1, 0, 0x50, 0]), Buffer.alloc(1000)]);
    const { obs, engine } = run([syn(), synAck(), cli(0, big)]);
    assert.equal(tlsOf(obs).length, 0);
    assert.equal(engine.stats.tls.drops['tcp-too-large'], 1);
    assert.equal(engine.tls!.tcp.held, 0);
  });

  it("the hello's wire strings cannot break a log line: '|', '\\', ',' and control bytes are escaped", () => {
    const evil = clientHelloBody({ ciphers: [0x1301], extensions: [sni('a|b\nmod=syn\\'), alpn(['h2', 'x,y', Buffer.from([0xff, 0x7c, 0x0a])])] });
    const { obs } = run([syn(), synAck(), cli(0, records(handshake(1, evil)))]);
    const o = tlsOf(obs)[0]!;
    assert.equal(field(o, 'sni'), 'a\\x7cb\\x0amod=syn\\x5c');
    assert.equal(field(o, 'alpn'), 'h2,x\\x2cy,\\xff\\x7c\\x0a');
    const line = formatLogLine(o);
    assert.equal(line.split('\n').length, 2);
    assert.match(line, /^\[[^\]]+\] mod=tls\|cli=10\.1\.1\.1\/50000\|srv=10\.2\.2\.2\/443\|subj=cli\|ja4=[^|]+\|ja3=[0-9a-f]{32}\|sni=[^|]+\|alpn=[^|]+\n$/);
    const d = o.detail;
    assert.ok(d && d.kind === 'tls');
    assert.equal(d.sni, 'a|b\nmod=syn\\', 'the detail keeps what was sent');
    const j = JSON.parse(formatJsonLine(o)) as { mod: string; subj: string; fields: Record<string, string>; detail: Record<string, unknown> };
    assert.deepEqual(Object.keys(j.fields).sort(), ['alpn', 'ja3', 'ja4', 'ja4_o', 'ja4_r', 'ja4_ro', 'sni']);
    assert.equal(j.mod, 'tls');
    assert.equal(j.subj, 'cli');
    assert.equal(j.detail.kind, 'tls');
    assert.equal(typeof j.detail.ja3_string, 'string');
    const block = formatConsoleBlock(o);
    assert.match(block, /\(tls\) \]-/);
    assert.doesNotMatch(block, /ja4_r/, 'the raw forms are for JSON only');
    assert.match(block, /\| app      = /);
  });

  it('without typed details (text formats only), a hello has JA4 alone, the same JA4', () => {
    const obs: Observation[] = [];
    const engine = new Engine({ db: db(), details: false }, (o) => obs.push(o));
    for (const f of [syn(), synAck(), cli(0, hello)]) engine.handle(record(f, LinkType.ETHERNET));
    const o = tlsOf(obs)[0]!;
    assert.deepEqual(
      o.fields.map((f) => f[0]),
      ['ja4', 'ja3', 'sni', 'alpn'],
    );
    assert.equal(field(o, 'ja4'), want.ja4);
    assert.equal(field(o, 'ja3'), want.ja3);
    assert.equal(o.detail, undefined);
  });

  it('with tls: false nothing is gathered, and p0f records are the same either way', () => {
    const frames = [syn(), synAck(), cli(0, hello)];
    const on = run(frames);
    const off = run(frames, { tls: false });
    assert.equal(off.engine.tls, null);
    assert.equal(tlsOf(off.obs).length, 0);
    assert.deepEqual(
      on.obs.filter((o) => o.mod !== 'tls').map((o) => formatLogLine(o)),
      off.obs.map((o) => formatLogLine(o)),
    );
  });
});

describe('the TLS gatherer bounds', () => {
  const seen: Observation[] = [];
  const key: TupleKey = { ipVer: 4, encap: false, a0: 0, a1: 0, a2: 0, a3: 0, b0: 0, b1: 0, b2: 0, b3: 0, aPort: 0, bPort: 0 };
  const ctx: EngineContext = {
    now: 0,
    details: true,
    key,
    emit: () => undefined,
    emitNat: () => undefined,
    emitObservation: (o) => void seen.push(o),
  };
  const st = newDecodeState();
  /** The decoder's view of a frame and its 4-tuple, as the engine hands them to the gatherer. */
  const decoded = (frame: Buffer) => {
    const rec = record(frame, LinkType.ETHERNET);
    assert.equal(decodeFrame(rec, st), 'tcp');
    fillTupleKey(key, st.tcp);
    return { pk: st.tcp, rec };
  };

  it('a full table drops its oldest entry, counting a hello it was still gathering', () => {
    const stats = newTlsStats();
    const g = new TlsGatherer({ maxConns: 4, budget: 1 << 20, maxAgeS: 30, labels: null, stats });
    for (let i = 0; i < 6; i++) {
      const s = decoded(syn(40000 + i));
      g.onTcp(ctx, s.pk, s.rec);
      const d = decoded(cli(0, hello.subarray(0, 200), PSH_ACK, 40000 + i));
      g.onTcp(ctx, d.pk, d.rec);
    }
    assert.equal(g.size, 4);
    assert.equal(stats.drops['tcp-evicted'], 2);
  });

  it('past the byte budget, new hellos are dropped and counted', () => {
    const stats = newTlsStats();
    const g = new TlsGatherer({ maxConns: 100, budget: 4096, maxAgeS: 30, labels: null, stats });
    for (let i = 0; i < 5; i++) {
      const d = decoded(cli(0, hello.subarray(0, 200), PSH_ACK, 41000 + i));
      g.onTcp(ctx, d.pk, d.rec);
    }
    assert.ok(g.held <= 4096 + 2048, `held ${g.held}`);
    assert.ok((stats.drops['tcp-budget'] ?? 0) >= 3);
  });
});
