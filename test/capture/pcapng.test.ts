import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MAX_UNIT } from '../../src/capture/framer.js';
import {
  epbBlock,
  idbBlock,
  pbBlock,
  pcapngBlock,
  shbBlock,
  spbBlock,
  tsUnits,
  writePcapng,
  type PcapngSpec,
} from '../helpers/capture-write.js';
import { parseAll, parseChunks, refSplit, type Parsed } from './_collect.js';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const d1 = hex('4500001c000100004011000001020304');
const d2 = hex('0102030405');

/** Parse whole, in 1-byte chunks and in odd chunks; all must agree. */
function parse(file: Buffer): Parsed {
  const whole = parseAll(file);
  assert.deepEqual(parseChunks(file, [1]), whole, 'byte by byte');
  assert.deepEqual(parseChunks(file, [7, 13, 2]), whole, 'odd chunks');
  return whole;
}

describe('pcapng', () => {
  for (const bigEndian of [false, true]) {
    test(`${bigEndian ? 'big' : 'little'}-endian section, two interfaces`, () => {
      const spec: PcapngSpec = {
        bigEndian,
        interfaces: [{ linkType: 1 }, { linkType: 101, tsresol: 9 }],
        packets: [
          { iface: 0, data: d1, tsSec: 1700000000, tsUsec: 1 },
          { iface: 1, data: d2, tsSec: 1700000001, tsUsec: 999999, wirelen: 60 },
          { iface: 0, data: Buffer.alloc(0), tsSec: 5, tsUsec: 0 },
        ],
      };
      const { summary, recs } = parse(writePcapng(spec));
      assert.deepEqual(summary, { format: 'pcapng', packets: 3 });
      assert.deepEqual(recs, [
        { linkType: 1, tsSec: 1700000000, tsUsec: 1, data: d1.toString('hex'), wirelen: d1.length },
        { linkType: 101, tsSec: 1700000001, tsUsec: 999999, data: d2.toString('hex'), wirelen: 60 },
        { linkType: 1, tsSec: 5, tsUsec: 0, data: '', wirelen: 0 },
      ]);
    });
  }

  const resolutions = [6, 9, 3, 0, 1, 12, 0x80 | 10, 0x80 | 20, 0x80 | 30, 0x80 | 32, 0x80 | 40, 0x80 | 64];
  for (const tsresol of resolutions) {
    test(`if_tsresol 0x${tsresol.toString(16)}`, () => {
      const raws = [0n, 1n, 1700000000123456789n, (1n << 64n) - 1n, 123456789n];
      const file = writePcapng({
        interfaces: [{ linkType: 1, tsresol }],
        packets: raws.map((ts) => ({ iface: 0, data: d2, ts })),
      });
      const { recs } = parse(file);
      assert.deepEqual(
        recs.map((r) => [r.tsSec, r.tsUsec]),
        raws.map((r) => refSplit(r, tsresol)),
      );
    });
  }

  test('times written from seconds and microseconds read back exactly', () => {
    for (const tsresol of [6, 9, 10, 0x80 | 20, 0x80 | 30, 0x80 | 33]) {
      const file = writePcapng({
        interfaces: [{ linkType: 1, tsresol }],
        packets: [{ iface: 0, data: d2, tsSec: 1712345678, tsUsec: 654321 }],
      });
      assert.deepEqual(parseAll(file).recs.map((r) => [r.tsSec, r.tsUsec]), [[1712345678, 654321]], `0x${tsresol.toString(16)}`);
    }
  });

  test('if_tsoffset shifts times', () => {
    const file = writePcapng({
      interfaces: [{ linkType: 1, tsoffset: 1000000000 }, { linkType: 1, tsresol: 9, tsoffset: -5 }],
      packets: [
        { iface: 0, data: d2, ts: 700000000123456n },
        { iface: 1, data: d2, ts: 10000000001000n },
      ],
    });
    assert.deepEqual(parse(file).recs.map((r) => [r.tsSec, r.tsUsec]), [
      [1700000000, 123456],
      [9995, 1],
    ]);
  });

  test('options before if_tsresol and a malformed option list', () => {
    const opt = (code: number, val: Buffer) => {
      const h = Buffer.alloc(4);
      h.writeUInt16LE(code, 0);
      h.writeUInt16LE(val.length, 2);
      const pad = Buffer.alloc((4 - (val.length % 4)) % 4);
      return Buffer.concat([h, val, pad]);
    };
    const fixed = hex('0100 0000 ffff0000');
    const good = pcapngBlock(1, Buffer.concat([fixed, opt(2, Buffer.from('eth0')), opt(3, Buffer.from('x')), opt(9, hex('09')), hex('00000000')]));
    // An option claiming more bytes than the block has: the rest is ignored.
    const bad = pcapngBlock(1, Buffer.concat([fixed, hex('0900 ff00 03000000')]));
    const file = Buffer.concat([shbBlock(), good, bad, epbBlock(0, 1500000000n, d2), epbBlock(1, 1500000000n, d2)]);
    assert.deepEqual(parse(file).recs.map((r) => [r.tsSec, r.tsUsec]), [
      [1, 500000],
      [1500, 0],
    ]);
  });

  test('unknown and uninteresting blocks are skipped', () => {
    const file = Buffer.concat([
      shbBlock(),
      pcapngBlock(4, hex('0100 0800 0a000001 6100 0000 00000000')), // name resolution
      idbBlock({ linkType: 1 }),
      pcapngBlock(0xbad, Buffer.alloc(37, 1)),
      epbBlock(0, 1000000n, d1),
      pcapngBlock(5, Buffer.alloc(12)), // interface statistics
      pcapngBlock(0x40000bad, Buffer.alloc(8)),
      pcapngBlock(0x0a, Buffer.alloc(0)), // decryption secrets, empty
      epbBlock(0, 2000000n, d2, 100, hex('0100 0400 41424344 0000 0000')), // with a comment
    ]);
    const { summary, recs } = parse(file);
    assert.deepEqual(summary, { format: 'pcapng', packets: 2 });
    assert.deepEqual(recs.map((r) => [r.tsSec, r.data, r.wirelen]), [
      [1, d1.toString('hex'), d1.length],
      [2, d2.toString('hex'), 100],
    ]);
  });

  test('a block too big to buffer is streamed past', () => {
    const huge = pcapngBlock(0xbad, Buffer.alloc(MAX_UNIT * 2 + 4, 7));
    const file = Buffer.concat([shbBlock(), idbBlock({ linkType: 1 }), huge, epbBlock(0, 3000000n, d2)]);
    const whole = parseAll(file);
    assert.deepEqual(whole.summary, { format: 'pcapng', packets: 1 });
    assert.deepEqual(parseChunks(file, [4096]), whole);
    assert.deepEqual(parseChunks(file, [MAX_UNIT - 1, 5, 3]), whole);
    assert.deepEqual(parseChunks(file, [44 + 13]), whole); // block header split across pushes
  });

  test('simple packet blocks: interface 0, no time, caplen = min(wire, snaplen, body)', () => {
    const body = (data: Buffer, wire: number) => spbBlock(data, wire);
    const file = Buffer.concat([
      shbBlock(),
      idbBlock({ linkType: 113, snaplen: 0 }),
      idbBlock({ linkType: 1 }),
      body(hex('0102030405'), 5), // padded to 8, wire 5
      body(hex('010203040506'), 100), // wire longer than the body: the padding counts
      body(hex('0102'), 2),
    ]);
    assert.deepEqual(parse(file).recs, [
      { linkType: 113, tsSec: 0, tsUsec: 0, data: '0102030405', wirelen: 5 },
      { linkType: 113, tsSec: 0, tsUsec: 0, data: '0102030405060000', wirelen: 100 },
      { linkType: 113, tsSec: 0, tsUsec: 0, data: '0102', wirelen: 2 },
    ]);
    const snapped = Buffer.concat([shbBlock(), idbBlock({ linkType: 1, snaplen: 3 }), body(hex('0102030405'), 5)]);
    assert.deepEqual(parse(snapped).recs.map((r) => r.data), ['010203']);
  });

  test('writePcapng with useSpb', () => {
    for (const bigEndian of [false, true]) {
      const file = writePcapng({
        bigEndian,
        useSpb: true,
        interfaces: [{ linkType: 1 }],
        packets: [{ iface: 0, data: d1 }, { iface: 0, data: d2 }],
      });
      assert.deepEqual(parse(file).recs.map((r) => r.data), [d1.toString('hex'), d2.toString('hex')]);
    }
  });

  test('obsolete packet blocks', () => {
    for (const be of [false, true]) {
      const file = Buffer.concat([
        shbBlock({ bigEndian: be }),
        idbBlock({ linkType: 1 }, be),
        idbBlock({ linkType: 105, tsresol: 3 }, be),
        pbBlock(1, 1700000000123n, d2, 9, be),
        pbBlock(0, 42n, d1, undefined, be),
      ]);
      assert.deepEqual(parse(file).recs, [
        { linkType: 105, tsSec: 1700000000, tsUsec: 123000, data: d2.toString('hex'), wirelen: 9 },
        { linkType: 1, tsSec: 0, tsUsec: 42, data: d1.toString('hex'), wirelen: d1.length },
      ]);
    }
  });

  test('several sections, each with its byte order and interfaces', () => {
    const file = writePcapng([
      { interfaces: [{ linkType: 1 }], packets: [{ iface: 0, data: d1, tsSec: 1, tsUsec: 1 }] },
      {
        bigEndian: true,
        interfaces: [{ linkType: 101, tsresol: 9 }, { linkType: 12 }],
        packets: [
          { iface: 0, data: d2, tsSec: 2, tsUsec: 2 },
          { iface: 1, data: d2, tsSec: 3, tsUsec: 3 },
        ],
      },
      { interfaces: [{ linkType: 113 }], packets: [{ iface: 0, data: d1, tsSec: 4, tsUsec: 4 }] },
    ]);
    const { summary, recs } = parse(file);
    assert.deepEqual(summary, { format: 'pcapng', packets: 4 });
    assert.deepEqual(recs.map((r) => [r.linkType, r.tsSec, r.tsUsec]), [
      [1, 1, 1],
      [101, 2, 2],
      [12, 3, 3],
      [113, 4, 4],
    ]);
  });

  test('a new section forgets the interfaces of the last', () => {
    const file = Buffer.concat([
      shbBlock(),
      idbBlock({ linkType: 1 }),
      idbBlock({ linkType: 1 }),
      epbBlock(1, 0n, d2),
      shbBlock({ bigEndian: true }),
      idbBlock({ linkType: 1 }, true),
      epbBlock(1, 0n, d2, undefined, undefined, true),
    ]);
    const { summary } = parse(file);
    assert.equal(summary.packets, 1);
    assert.equal(summary.problem?.offset, file.length - 40);
    assert.match(summary.problem!.message, /interface 1/);
  });

  test('tsUnits writer helper rounds up', () => {
    assert.equal(tsUnits(1, 1, 6), 1000001n);
    assert.equal(tsUnits(1, 1, 9), 1000001000n);
    assert.equal(tsUnits(0, 1, 3), 1n);
  });
});
