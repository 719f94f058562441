/**
 * Property tests (fast-check) of the engine's TLS and QUIC gathering:
 * random and mutated TCP payloads and UDP datagrams through Engine.handle
 * never throw and never write a log line that is not one line; a hello cut
 * anywhere into segments, delivered in any order with any repeats, is
 * reported exactly once, as the whole hello would be; the gatherers give
 * back every byte they held once their connections are gone.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { parseSignatures } from '../../src/db/parse.js';
import { initialKeys, QUIC_V1, QUIC_V2 } from '../../src/decode/quic/initial.js';
import { Engine } from '../../src/engine.js';
import type { Observation } from '../../src/observation.js';
import { formatLogLine } from '../../src/output/p0f-log.js';
import { ethernet, ipv4, record, tcp4, udp, LinkType } from '../helpers/packet-build.js';
import { cryptoFrame, protectInitial } from '../quic/protect.js';
import { alpn, clientHelloBody, ext, handshake, records, sni, supportedVersions } from '../tls/build.js';

function db() {
  const p = parseSignatures('', 'empty');
  assert.ok(p.ok);
  return p.db;
}

const body = clientHelloBody({
  sessionId: Buffer.alloc(32, 9),
  ciphers: [0x0a0a, 0x1301, 0x1302, 0xc02c],
  extensions: [sni('fuzz.example'), alpn(['h2']), supportedVersions([0x0304, 0x0303]), ext(0x0033, Buffer.alloc(900, 5))],
});
const hello = records(handshake(1, body), [300, 300]);
const dcid = Buffer.from('0011223344556677', 'hex');
const initial = (v: number): Buffer =>
  protectInitial({ version: v, dcid, pn: 0, pnLen: 2, payload: Buffer.concat([cryptoFrame(0, handshake(1, body)), Buffer.alloc(200)]), keys: initialKeys(dcid, v)! });

/** Every observation's log line is one line with its fields in place. */
function checkObservation(o: Observation): void {
  const line = formatLogLine(o);
  assert.equal(line.indexOf('\n'), line.length - 1);
  if (o.mod === 'tls') assert.match(line, /\|subj=cli\|ja4=[^|]*\|ja3=[^|]*\|sni=[^|]*\|alpn=[^|]*\n$/);
}

const ISN = 0x7ffffff0; // sequence numbers wrap in the middle of the hello

const segment = fc.record({
  flags: fc.constantFrom(0x02, 0x12, 0x10, 0x18, 0x11, 0x04, 0x19),
  toSrv: fc.boolean(),
  seqDelta: fc.integer({ min: -50, max: 3000 }),
  payload: fc.oneof(
    fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)),
    // A piece of a real hello, maybe damaged.
    fc.tuple(fc.nat(hello.length), fc.nat(600), fc.array(fc.tuple(fc.nat(), fc.nat(255)), { maxLength: 3 })).map(([at, n, flips]) => {
      const b = Buffer.from(hello.subarray(at, at + n));
      for (const [i, v] of flips) if (b.length) b[i % b.length] = v;
      return b;
    }),
  ),
});

const datagram = fc.oneof(
  fc.uint8Array({ maxLength: 1400 }).map((a) => Buffer.from(a)),
  // Long-header-looking junk of a supported version.
  fc.tuple(fc.constantFrom(0xc0, 0xd0, 0xc3, 0xe0), fc.constantFrom(QUIC_V1, QUIC_V2), fc.uint8Array({ maxLength: 1300 })).map(([first, v, rest]) => {
    const b = Buffer.alloc(5 + rest.length);
    b[0] = first;
    b.writeUInt32BE(v, 1);
    Buffer.from(rest).copy(b, 5);
    return b;
  }),
  // A real Initial, damaged or cut.
  fc.tuple(fc.constantFrom(QUIC_V1, QUIC_V2), fc.array(fc.tuple(fc.nat(), fc.nat(255)), { maxLength: 4 }), fc.option(fc.nat(1400))).map(([v, flips, cutAt]) => {
    const b = Buffer.from(initial(v));
    for (const [i, x] of flips) b[i % b.length] = x;
    return cutAt === null ? b : b.subarray(0, cutAt);
  }),
);

describe('TLS and QUIC gathering, fast-check', () => {
  it('random and mutated TCP segments never throw; what is reported is well formed', () => {
    fc.assert(
      fc.property(fc.array(segment, { maxLength: 25 }), (segs) => {
        const e = new Engine({ db: db() }, checkObservation);
        for (const s of segs) {
          const ip = s.toSrv ? { src: '10.0.0.1', dst: '10.0.0.2' } : { src: '10.0.0.2', dst: '10.0.0.1' };
          const frame = ethernet(tcp4(ip, { sport: s.toSrv ? 40000 : 443, dport: s.toSrv ? 443 : 40000, seq: (ISN + s.seqDelta) >>> 0, flags: s.flags, payload: s.payload }));
          e.handle(record(frame, LinkType.ETHERNET));
        }
        assert.ok(e.tls!.tcp.held >= 0);
      }),
      { numRuns: 400 },
    );
  });

  it('random and mutated UDP datagrams never throw', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(datagram, fc.boolean()), { maxLength: 12 }), (ds) => {
        const e = new Engine({ db: db() }, checkObservation);
        for (const [d, up] of ds) {
          const frame = ethernet(ipv4(udp(d, up ? { sport: 50000, dport: 443 } : { sport: 443, dport: 50000 }), { proto: 17, src: up ? '10.0.0.1' : '10.0.0.2', dst: up ? '10.0.0.2' : '10.0.0.1' }));
          e.handle(record(frame, LinkType.ETHERNET));
        }
        assert.ok(e.tls!.quic!.held >= 0);
      }),
      { numRuns: 300 },
    );
  });

  it('a hello cut anywhere, delivered in any order with repeats, is reported once, as a whole one is', () => {
    const whole: Observation[] = [];
    const ref = new Engine({ db: db() }, (o) => void whole.push(o));
    const frameAt = (off: number, data: Buffer, flags = 0x18): Buffer =>
      ethernet(tcp4({ src: '10.0.0.1', dst: '10.0.0.2' }, { sport: 40000, dport: 443, seq: (ISN + 1 + off) >>> 0, flags, payload: data }));
    const syn = ethernet(tcp4({ src: '10.0.0.1', dst: '10.0.0.2' }, { sport: 40000, dport: 443, seq: ISN, flags: 0x02 }));
    ref.handle(record(syn, LinkType.ETHERNET));
    ref.handle(record(frameAt(0, hello), LinkType.ETHERNET));
    const want = whole.filter((o) => o.mod === 'tls').map((o) => o.fields);
    assert.equal(want.length, 1);
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 1, max: hello.length - 1 }), { maxLength: 8 }).map((a) => a.sort((x, y) => x - y)),
        fc.array(fc.nat(), { maxLength: 12 }),
        fc.boolean(),
        (cuts, order, withSyn) => {
          const pieces: Array<[number, Buffer]> = [];
          let p = 0;
          // Mid-connection, an entry starts at a segment holding a record's first six bytes (a real first segment holds a whole MSS).
          if (!withSyn) cuts = cuts.filter((c) => c >= 6);
          for (const q of [...cuts, hello.length]) {
            pieces.push([p, hello.subarray(p, q)]);
            p = q;
          }
          // Some order of the pieces, each at least once, some twice. Without a SYN the first piece must come first.
          const seq = pieces.map((_, i) => i);
          for (let i = seq.length - 1; i > (withSyn ? 0 : 1); i--) {
            const j = (withSyn ? 0 : 1) + ((order[i % Math.max(1, order.length)] ?? 0) % (i - (withSyn ? 0 : 1) + 1));
            [seq[i], seq[j]] = [seq[j]!, seq[i]!];
          }
          for (const x of order.slice(0, 3)) seq.push(x % pieces.length);
          const got: Observation[] = [];
          const e = new Engine({ db: db() }, (o) => void got.push(o));
          if (withSyn) e.handle(record(syn, LinkType.ETHERNET));
          for (const i of seq) e.handle(record(frameAt(pieces[i]![0], pieces[i]![1]), LinkType.ETHERNET));
          const t = got.filter((o) => o.mod === 'tls');
          assert.equal(t.length, 1, `order ${seq.join(',')} cuts ${cuts.join(',')}`);
          assert.deepEqual(t[0]!.fields, want[0]);
          // The connection closes: nothing stays held.
          e.handle(record(frameAt(hello.length, Buffer.alloc(0), 0x04), LinkType.ETHERNET));
          assert.equal(e.tls!.tcp.held, 0);
          assert.equal(e.tls!.tcp.size, 0);
        },
      ),
      { numRuns: 300 },
    );
  });
});
