/**
 * Property tests (fast-check) for QUIC: random datagrams and mutated RFC
 * Initials never make the header parser, the decryption or the frame walk
 * throw; a mutated packet never decrypts to anything but its own payload;
 * CRYPTO data cut and shuffled any way reassembles to the same bytes.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { CryptoAssembly } from '../../src/decode/quic/crypto-assembly.js';
import { walkInitialFrames } from '../../src/decode/quic/frames.js';
import { QUIC_V1, initialKeys, openPacket, parseLongHeader } from '../../src/decode/quic/initial.js';
import { cryptoFrame } from './protect.js';
import * as V from './vectors.js';

const KEYS = initialKeys(V.RFC_DCID, QUIC_V1)!;
const bytes = (max: number) => fc.uint8Array({ maxLength: max }).map((a) => Buffer.from(a));

/** Everything a sensor does with a datagram, for any bytes. */
function datagram(d: Buffer, a: CryptoAssembly): Buffer[] {
  const payloads: Buffer[] = [];
  let off = 0;
  for (let n = 0; n < 8 && off < d.length; n++) {
    const h = parseLongHeader(d, off);
    if (!h.ok) break;
    assert.ok(h.header.end > off && h.header.end <= d.length);
    off = h.header.end;
    const keys = initialKeys(h.header.dcid, h.header.version);
    if (keys === null || h.header.type !== 'initial') continue;
    const o = openPacket(d, h.header, keys);
    if (!o.ok) {
      assert.ok(['too-short', 'decrypt-failed', 'no-payload'].includes(o.reason));
      continue;
    }
    payloads.push(o.payload);
    walkInitialFrames(o.payload, a);
    a.message(1);
  }
  return payloads;
}

describe('QUIC property tests', () => {
  it('random datagrams (some with a v1 or v2 long header in front) never throw', () => {
    const head = fc.constantFrom(Buffer.alloc(0), Buffer.from('c000000001', 'hex'), Buffer.from('d06b3343cf', 'hex'), Buffer.from('c3000000010800', 'hex'));
    fc.assert(
      fc.property(head, bytes(1300), (h, b) => {
        datagram(Buffer.concat([h, b]), new CryptoAssembly());
      }),
      { numRuns: 3000 },
    );
  });
  it('random frame payloads never throw the walk', () => {
    fc.assert(
      fc.property(bytes(200), (b) => {
        const w = walkInitialFrames(b, new CryptoAssembly(512, 4));
        assert.ok(w.ok || ['truncated', 'unexpected-frame', 'crypto-rejected'].includes(w.reason));
      }),
      { numRuns: 5000 },
    );
  });
  it('a mutated RFC Initial never decrypts to other frames', () => {
    const h0 = parseLongHeader(V.V1_CLIENT_INITIAL);
    assert.ok(h0.ok);
    const good = openPacket(V.V1_CLIENT_INITIAL, h0.header, KEYS);
    assert.ok(good.ok);
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(V.V1_CLIENT_INITIAL.length - 1), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 4 }), (flips) => {
        const d = Buffer.from(V.V1_CLIENT_INITIAL);
        for (const [at, x] of flips) d[at] ^= x;
        for (const p of datagram(d, new CryptoAssembly())) assert.ok(p.equals(good.payload));
      }),
      { numRuns: 1000 },
    );
  });
  it('CRYPTO data in any cuts and any order reassembles to the same bytes', () => {
    const msg = Buffer.concat([Buffer.from([1, 0, 0x03, 0xe8]), Buffer.from(Array.from({ length: 1000 }, (_, i) => i & 0xff))]);
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 1, max: msg.length - 1 }), { maxLength: 12 }), fc.infiniteStream(fc.nat()), fc.boolean(), (cuts, rnd, dup) => {
        const pts = [0, ...cuts.sort((x, y) => x - y), msg.length];
        let frames = pts.slice(1).map((e, i) => cryptoFrame(pts[i], msg.subarray(pts[i], e)));
        if (dup) frames = [...frames, ...frames.slice(0, 2)];
        const it = rnd[Symbol.iterator]();
        const order = frames.map((f) => [it.next().value as number, f] as const).sort((x, y) => x[0] - y[0]);
        const a = new CryptoAssembly();
        // Two "packets": the frames split at the middle.
        const half = order.length >> 1;
        for (const part of [order.slice(0, half), order.slice(half)]) {
          const w = walkInitialFrames(Buffer.concat(part.map(([, f]) => f)), a);
          assert.ok(w.ok);
        }
        const m = a.message(1);
        assert.ok(m.kind === 'complete' && m.body.equals(msg.subarray(4)));
      }),
      { numRuns: 500 },
    );
  });
});
