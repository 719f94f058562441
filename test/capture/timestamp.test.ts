import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { setTimestamp } from '../../src/capture/timestamp.js';
import type { PacketRecord } from '../../src/capture/types.js';
import { refSplit } from './_collect.js';

function split(raw: bigint, tsresol: number, offset = 0): [number, number] {
  const rec: PacketRecord = { linkType: 0, tsSec: 0, tsUsec: 0, data: Buffer.alloc(0), offset: 0, caplen: 0, wirelen: 0 };
  setTimestamp(rec, Number(raw >> 32n), Number(raw & 0xffffffffn), tsresol, offset);
  return [rec.tsSec, rec.tsUsec];
}

const MAX64 = (1n << 64n) - 1n;

describe('pcapng timestamps', () => {
  const table: [string, bigint, number, [number, number]][] = [
    ['us default', 1700000000123456n, 6, [1700000000, 123456]],
    ['ns', 1700000000123456789n, 9, [1700000000, 123456]],
    ['ns, past 2^53', 9007199254740993n, 9, [9007199, 254740]],
    ['ns, all ones', MAX64, 9, [18446744073, 709551]],
    ['ms', 1700000000123n, 3, [1700000000, 123000]],
    ['s', 1700000000n, 0, [1700000000, 0]],
    ['10^-1 s', 17000000005n, 1, [1700000000, 500000]],
    ['ps', 1700000000123456789012n & MAX64, 12, refSplit(1700000000123456789012n & MAX64, 12)],
    ['10^-19', MAX64, 19, [1, 844674]],
    ['10^-20', MAX64, 20, [0, 184467]],
    ['10^-127', MAX64, 127, [0, 0]],
    ['2^-0', 12345n, 0x80, [12345, 0]],
    ['2^-1', 3n, 0x81, [1, 500000]],
    ['2^-20', (1700000000n << 20n) + (1n << 19n), 0x80 | 20, [1700000000, 500000]],
    ['2^-32', (1700000000n << 32n) + (1n << 30n), 0x80 | 32, [1700000000, 250000]],
    ['2^-40', MAX64, 0x80 | 40, [16777215, 999999]],
    ['2^-64', MAX64, 0x80 | 64, [0, 999999]],
    ['2^-64, half', 1n << 63n, 0x80 | 64, [0, 500000]],
    ['2^-127', MAX64, 0xff, [0, 0]],
  ];
  for (const [name, raw, res, want] of table) {
    test(name, () => assert.deepEqual(split(raw, res), want));
  }

  test('if_tsoffset adds seconds', () => {
    assert.deepEqual(split(1500000n, 6, 100), [101, 500000]);
    assert.deepEqual(split(1500000n, 6, -1), [0, 500000]);
    assert.deepEqual(split(1500000000n, 9, 2 ** 40), [2 ** 40 + 1, 500000]);
  });

  test('exact for any 64-bit count and any unit (property)', () => {
    const raw = fc.bigInt({ min: 0n, max: MAX64 });
    const res = fc.oneof(
      fc.constantFrom(6, 9, 3, 0x80 | 20, 0x80 | 32),
      fc.integer({ min: 0, max: 255 }),
    );
    fc.assert(
      fc.property(raw, res, (r, t) => {
        assert.deepEqual(split(r, t), refSplit(r, t));
      }),
      { numRuns: 20000 },
    );
  });

  test('exact for counts below 2^53, the fast paths (property)', () => {
    const raw = fc.bigInt({ min: 0n, max: (1n << 53n) - 1n });
    fc.assert(
      fc.property(raw, fc.constantFrom(6, 9, 3, 0, 7), fc.integer({ min: -1000, max: 1000 }), (r, t, off) => {
        const [sec, usec] = refSplit(r, t);
        assert.deepEqual(split(r, t, off), [sec + off, usec]);
      }),
      { numRuns: 20000 },
    );
  });

  test('exact around the 2^53 boundary of the fast path', () => {
    for (const res of [0, 1, 3, 6, 7, 9]) {
      for (const hi of [0x1fffff, 0x200000, 0x200001, 0xffffffff]) {
        for (const lo of [0, 1, 999999, 0x7fffffff, 0xffffffff]) {
          const raw = (BigInt(hi) << 32n) | BigInt(lo);
          assert.deepEqual(split(raw, res), refSplit(raw, res), `hi ${hi} lo ${lo} res ${res}`);
        }
      }
    }
    for (const k of [1n, 1700000000n, 9007199253n, 9007199254n]) {
      for (const delta of [-1n, 0n, 1n]) {
        const raw = k * 1000000n + delta;
        assert.deepEqual(split(raw, 6), refSplit(raw, 6), `raw ${raw}`);
      }
    }
  });
});
