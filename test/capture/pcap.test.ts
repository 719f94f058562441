import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MAX_RECORD_LEN } from '../../src/config.js';
import { SNAPLEN_SLACK } from '../../src/capture/pcap.js';
import { writePcap, type PcapPacket } from '../helpers/capture-write.js';
import { parseAll, parseChunks, type Rec } from './_collect.js';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

const PACKETS: PcapPacket[] = [
  { data: hex('45000028 0001 0000 4006 0000 0a000001 0a000002'), tsSec: 1700000000, tsUsec: 0 },
  { data: hex('00'), tsSec: 1700000001, tsUsec: 999999, wirelen: 1514 },
  { data: Buffer.alloc(0), tsSec: 0, tsUsec: 1 },
  { data: Buffer.alloc(300, 0xab), tsSec: 4294967295, tsUsec: 123456 },
];

function expected(packets: PcapPacket[], linkType: number): Rec[] {
  return packets.map((p) => ({
    linkType,
    tsSec: p.tsSec ?? 0,
    tsUsec: p.tsUsec ?? 0,
    data: p.data.toString('hex'),
    wirelen: p.wirelen ?? p.data.length,
  }));
}

describe('pcap', () => {
  const variants = [
    { bigEndian: false, nanos: false, linkType: 1 },
    { bigEndian: true, nanos: false, linkType: 1 },
    { bigEndian: false, nanos: true, linkType: 101 },
    { bigEndian: true, nanos: true, linkType: 113 },
    { bigEndian: false, nanos: false, linkType: 276 },
    { bigEndian: true, nanos: false, linkType: 0 },
  ];
  for (const v of variants) {
    test(`${v.bigEndian ? 'big' : 'little'}-endian, ${v.nanos ? 'ns' : 'us'}, link type ${v.linkType}`, () => {
      const file = writePcap(PACKETS, v);
      const whole = parseAll(file);
      assert.deepEqual(whole.summary, { format: 'pcap', packets: PACKETS.length });
      assert.deepEqual(whole.recs, expected(PACKETS, v.linkType));
      assert.deepEqual(parseChunks(file, [1]), whole);
      assert.deepEqual(parseChunks(file, [5, 17, 3]), whole);
    });
  }

  test('nanosecond fractions are truncated to microseconds', () => {
    const cases = [
      { ns: 0, us: 0 },
      { ns: 999, us: 0 },
      { ns: 1000, us: 1 },
      { ns: 123456789, us: 123456 },
      { ns: 999999999, us: 999999 },
    ];
    const file = writePcap(
      cases.map((c) => ({ data: hex('01'), tsSec: 10, tsNsec: c.ns })),
      { nanos: true },
    );
    assert.deepEqual(
      parseAll(file).recs.map((r) => [r.tsSec, r.tsUsec]),
      cases.map((c) => [10, c.us]),
    );
  });

  test('an out-of-range fraction is passed on unchanged, as libpcap does', () => {
    const us = writePcap([{ data: hex('01'), tsSec: 10, tsUsec: 2500000 }]);
    assert.deepEqual(parseAll(us).recs.map((r) => [r.tsSec, r.tsUsec]), [[10, 2500000]]);
    const ns = writePcap([{ data: hex('01'), tsSec: 10, tsNsec: 4294967295 }], { nanos: true });
    assert.deepEqual(parseAll(ns).recs.map((r) => [r.tsSec, r.tsUsec]), [[10, 4294967]]);
  });

  test('records longer than the declared snaplen are cut to it, as libpcap does', () => {
    const f = writePcap([{ data: hex('01 02 03 04 05 06') }], { snaplen: 4 });
    assert.deepEqual(parseAll(f).recs.map((r) => r.data), ['01020304']);
  });

  test('FCS bits above the link type are ignored', () => {
    const file = writePcap([{ data: hex('aa') }], { linkType: 1, linkTypeHigh: 0x14000000 });
    assert.equal(parseAll(file).recs[0]!.linkType, 1);
  });

  test('a header-only file has no packets and no problem', () => {
    for (const bigEndian of [false, true]) {
      assert.deepEqual(parseAll(writePcap([], { bigEndian })).summary, { format: 'pcap', packets: 0 });
    }
  });

  test('records a little over the snaplen are accepted', () => {
    const file = writePcap([{ data: Buffer.alloc(1514) }], { snaplen: 1500 });
    assert.equal(parseAll(file).summary.packets, 1);
    const edge = writePcap([{ data: Buffer.alloc(100 + SNAPLEN_SLACK) }], { snaplen: 100 });
    assert.equal(parseAll(edge).summary.problem, undefined);
  });

  test('snaplen 0 means no limit but MAX_RECORD_LEN', () => {
    const file = writePcap([{ data: Buffer.alloc(70000) }, { data: Buffer.alloc(MAX_RECORD_LEN) }], { snaplen: 0 });
    const { summary } = parseAll(file);
    assert.equal(summary.packets, 2);
    assert.equal(summary.problem, undefined);
  });

  describe("libpcap's modified format (magic 0xa1b2cd34, 24-byte record headers)", () => {
    const extra = PACKETS.map((p, i) => ({ ...p, ifindex: 0x01020304 + i, protocol: 0x0800, pktType: i }));
    for (const bigEndian of [false, true]) {
      test(`${bigEndian ? 'big' : 'little'}-endian: the same records as plain pcap, the extra fields skipped`, () => {
        const file = writePcap(extra, { modified: true, bigEndian, linkType: 113 });
        assert.equal(file.readUInt32BE(0), bigEndian ? 0xa1b2cd34 : 0x34cdb2a1);
        const whole = parseAll(file);
        assert.deepEqual(whole.summary, { format: 'pcap', packets: PACKETS.length });
        assert.deepEqual(whole.recs, expected(PACKETS, 113));
        assert.deepEqual(parseAll(writePcap(PACKETS, { bigEndian, linkType: 113 })).recs, whole.recs);
        assert.deepEqual(parseChunks(file, [1]), whole);
        assert.deepEqual(parseChunks(file, [5, 17, 3, 23]), whole);
      });
    }

    test("for Ethernet, libpcap's snaplen is 14 bytes more than the header says", () => {
      const data = Buffer.alloc(80, 0x5a);
      const eth = writePcap([{ data }], { modified: true, snaplen: 60, linkType: 1 });
      assert.equal(parseAll(eth).recs[0]!.data.length / 2, 74);
      const raw = writePcap([{ data }], { modified: true, snaplen: 60, linkType: 101 });
      assert.equal(parseAll(raw).recs[0]!.data.length / 2, 60);
    });

    test('a record cut short is reported at its offset', () => {
      const file = writePcap(extra, { modified: true });
      const cut = file.subarray(0, 24 + 24 + PACKETS[0]!.data.length + 20);
      const r = parseAll(cut);
      assert.equal(r.recs.length, 1);
      assert.deepEqual(r.summary.problem, { file: 'test', offset: 24 + 24 + PACKETS[0]!.data.length, message: 'truncated record: only 20 bytes present' });
    });
  });

  test('a record larger than a chunk is reassembled', () => {
    const big = Buffer.alloc(200000);
    for (let i = 0; i < big.length; i++) big[i] = (i * 7) & 255;
    const file = writePcap([{ data: hex('01') }, { data: big }, { data: hex('02') }], { snaplen: 262144 });
    const whole = parseAll(file);
    assert.equal(whole.recs[1]!.data, big.toString('hex'));
    assert.deepEqual(parseChunks(file, [4096]), whole);
    assert.deepEqual(parseChunks(file, [65521, 3]), whole);
  });
});
