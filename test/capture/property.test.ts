import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { writePcap, writePcapng, type PcapngSpec } from '../helpers/capture-write.js';
import { parseAll, parseChunks, refSplit } from './_collect.js';

const packetData = fc.uint8Array({ maxLength: 80 }).map((a) => Buffer.from(a));
const chunkLengths = fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1, maxLength: 8 });

const pcapArb = fc.record({
  packets: fc.array(
    fc.record({
      data: packetData,
      tsSec: fc.nat({ max: 0xffffffff }),
      tsUsec: fc.nat({ max: 999999 }),
      wirelen: fc.nat({ max: 0xffffffff }),
    }),
    { maxLength: 12 },
  ),
  linkType: fc.nat({ max: 0xffff }),
  nanos: fc.boolean(),
  bigEndian: fc.boolean(),
});

const resolution = fc.constantFrom(6, 9, 3, 0, 12, 0x80 | 20, 0x80 | 32, 0x80 | 40);
const sectionArb = fc
  .record({
    interfaces: fc.array(fc.record({ linkType: fc.nat({ max: 0xffff }), tsresol: resolution }), { minLength: 1, maxLength: 3 }),
    bigEndian: fc.boolean(),
    useSpb: fc.boolean(),
    n: fc.nat({ max: 8 }),
    data: fc.array(packetData, { minLength: 8, maxLength: 8 }),
    ts: fc.array(fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), { minLength: 8, maxLength: 8 }),
    ifaces: fc.array(fc.nat(), { minLength: 8, maxLength: 8 }),
  })
  .map(
    (s): PcapngSpec => ({
      interfaces: s.interfaces,
      bigEndian: s.bigEndian,
      useSpb: s.useSpb,
      packets: s.data.slice(0, s.n).map((data, i) => ({
        iface: s.useSpb ? 0 : s.ifaces[i]! % s.interfaces.length,
        data,
        ts: s.ts[i]!,
      })),
    }),
  );

describe('capture properties', () => {
  test('pcap: written packets read back, however the bytes are split', () => {
    fc.assert(
      fc.property(pcapArb, chunkLengths, (spec, cuts) => {
        const file = writePcap(spec.packets, spec);
        const whole = parseAll(file);
        assert.equal(whole.summary.problem, undefined);
        assert.deepEqual(
          whole.recs,
          spec.packets.map((p) => ({
            linkType: spec.linkType,
            tsSec: p.tsSec,
            tsUsec: p.tsUsec,
            data: p.data.toString('hex'),
            wirelen: p.wirelen,
          })),
        );
        assert.deepEqual(parseChunks(file, cuts), whole);
      }),
      { numRuns: 300 },
    );
  });

  test('pcapng: written packets read back, however the bytes are split', () => {
    fc.assert(
      fc.property(fc.array(sectionArb, { minLength: 1, maxLength: 3 }), chunkLengths, (sections, cuts) => {
        const file = writePcapng(sections);
        const whole = parseAll(file);
        assert.equal(whole.summary.problem, undefined);
        const want = sections.flatMap((s) =>
          s.packets.map((p) => {
            const iface = s.interfaces[p.iface]!;
            const [tsSec, tsUsec] = s.useSpb ? [0, 0] : refSplit(p.ts!, iface.tsresol ?? 6);
            // An SPB's wire length is the data length, so its padding is cut off.
            return { linkType: iface.linkType, tsSec, tsUsec, data: p.data.toString('hex'), wirelen: p.data.length };
          }),
        );
        assert.deepEqual(whole.recs, want);
        assert.deepEqual(parseChunks(file, cuts), whole);
      }),
      { numRuns: 300 },
    );
  });

  const pcapHead = writePcap([]);
  const ngHead = writePcapng({ interfaces: [{ linkType: 1 }], packets: [] });
  for (const [name, head] of [
    ['pcap', pcapHead],
    ['pcapng', ngHead],
  ] as const) {
    test(`${name}: random bytes after a valid header never throw or hang`, () => {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 600 }), chunkLengths, (tail, cuts) => {
          const file = Buffer.concat([head, tail]);
          const whole = parseAll(file);
          assert.equal(whole.summary.format, name);
          if (whole.summary.problem) {
            assert.ok(whole.summary.problem.offset >= head.length && whole.summary.problem.offset < file.length);
          }
          assert.deepEqual(parseChunks(file, cuts), whole);
        }),
        { numRuns: 1500 },
      );
    });
  }

  test('random mutations of a valid file never throw, and agree split or whole', () => {
    const base = Buffer.concat([
      writePcapng([
        { interfaces: [{ linkType: 1 }, { linkType: 101, tsresol: 9 }], packets: [0, 1, 0, 1].map((iface, i) => ({ iface, data: Buffer.alloc(i * 9 + 1, i), tsSec: i, tsUsec: i })) },
        { bigEndian: true, useSpb: true, interfaces: [{ linkType: 113 }], packets: [{ iface: 0, data: Buffer.alloc(7, 7) }] },
      ]),
    ]);
    const pcap = writePcap([1, 2, 3].map((n) => ({ data: Buffer.alloc(n * 5, n) })));
    fc.assert(
      fc.property(
        fc.boolean(),
        fc.array(fc.tuple(fc.nat(), fc.nat({ max: 255 })), { minLength: 1, maxLength: 6 }),
        chunkLengths,
        (ng, edits, cuts) => {
          const file = Buffer.from(ng ? base : pcap);
          // Keep the magic so the format is still recognised.
          for (const [at, v] of edits) file[4 + (at % (file.length - 4))] = v;
          const whole = parseAll(file);
          assert.deepEqual(parseChunks(file, cuts), whole);
        },
      ),
      { numRuns: 1500 },
    );
  });
});
