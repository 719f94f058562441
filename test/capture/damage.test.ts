import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MAX_RECORD_LEN } from '../../src/config.js';
import { isPofError } from '../../src/errors.js';
import { MAX_UNIT } from '../../src/capture/framer.js';
import { epbBlock, idbBlock, pcapngBlock, shbBlock, spbBlock, writePcap } from '../helpers/capture-write.js';
import { parseAll, parseChunks, type Parsed } from './_collect.js';

const bytes = (n: number, seed = 1) => Buffer.from(Array.from({ length: n }, (_, i) => (i * 31 + seed) & 255));

function put32(buf: Buffer, off: number, v: number): Buffer {
  const b = Buffer.from(buf);
  b.writeUInt32LE(v >>> 0, off);
  return b;
}

/** Parse whole and in small chunks; both must agree, and neither may throw. */
function parse(file: Buffer): Parsed {
  const whole = parseAll(file);
  assert.deepEqual(parseChunks(file, [1]), whole, 'byte by byte');
  assert.deepEqual(parseChunks(file, [3, 8]), whole, 'small chunks');
  return whole;
}

function formatError(file: Buffer): string {
  try {
    parseAll(file);
  } catch (e) {
    assert.ok(isPofError(e));
    assert.equal(e.code, 'E_CAPTURE_FORMAT');
    return e.message;
  }
  assert.fail('no error');
}

/** A file as units: [bytes, packets it holds]. */
type Unit = [Buffer, number];

/** Cut the file after every byte and check what is delivered and where the problem is. */
function checkEveryCut(units: Unit[], headerLen: number): void {
  const file = Buffer.concat(units.map((u) => u[0]));
  const starts: number[] = [];
  let at = 0;
  for (const [b] of units) {
    starts.push(at);
    at += b.length;
  }
  for (let cut = 0; cut <= file.length; cut++) {
    const part = file.subarray(0, cut);
    if (cut < 4) {
      assert.match(formatError(part), /not a pcap or pcapng capture/);
      continue;
    }
    let packets = 0;
    let problemAt = -1;
    units.forEach(([b, n], i) => {
      const s = starts[i]!;
      if (s + b.length <= cut) packets += n;
      else if (s < cut) problemAt = s;
    });
    const { summary, recs } = parse(part);
    assert.equal(summary.packets, packets, `cut ${cut}`);
    assert.equal(recs.length, packets);
    if (problemAt < 0) {
      assert.equal(summary.problem, undefined, `cut ${cut}`);
    } else {
      assert.equal(summary.problem?.offset, problemAt, `cut ${cut}`);
      assert.match(summary.problem.message, /^truncated/, `cut ${cut}`);
      assert.equal(summary.problem.file, 'test');
    }
  }
  assert.ok(headerLen > 0);
}

describe('truncation at every byte', () => {
  test('pcap', () => {
    const pk = [bytes(20), bytes(1), bytes(0), bytes(33)];
    const file = writePcap(pk.map((data) => ({ data })));
    const units: Unit[] = [[file.subarray(0, 24), 0]];
    let at = 24;
    for (const p of pk) {
      units.push([file.subarray(at, at + 16 + p.length), 1]);
      at += 16 + p.length;
    }
    checkEveryCut(units, 24);
  });

  test('pcapng', () => {
    const units: Unit[] = [
      [shbBlock(), 0],
      [idbBlock({ linkType: 1, tsresol: 9 }), 0],
      [epbBlock(0, 123n, bytes(21)), 1],
      [pcapngBlock(0xbad, bytes(10)), 0],
      [spbBlock(bytes(3)), 1],
      [shbBlock({ bigEndian: true }), 0],
      [idbBlock({ linkType: 1 }, true), 0],
      [epbBlock(0, 5n, bytes(4), 4, undefined, true), 1],
    ];
    checkEveryCut(units, 28);
  });
});

describe('bad magic', () => {
  test('not a capture', () => {
    assert.equal(
      formatError(Buffer.from('GIF89a and more')),
      'test: not a pcap or pcapng capture (starts with 0x47494638)',
    );
    assert.match(formatError(Buffer.from('0a0d0d0b00000000', 'hex')), /starts with 0x0a0d0d0b/);
  });

  test('empty and tiny files', () => {
    assert.equal(formatError(Buffer.alloc(0)), 'test: not a pcap or pcapng capture (empty file)');
    assert.equal(formatError(Buffer.from([0xd4, 0xc3])), 'test: not a pcap or pcapng capture (only 2 bytes)');
  });
});

describe('corrupt lengths and fields', () => {
  const pcap3 = writePcap([{ data: bytes(10) }, { data: bytes(10) }, { data: bytes(10) }], { snaplen: 100 });
  const second = 24 + 26;

  const ng = (...blocks: Buffer[]) => Buffer.concat([shbBlock(), idbBlock({ linkType: 1, snaplen: 100 }), ...blocks]);
  const ngHead = shbBlock().length + idbBlock({ linkType: 1 }).length;
  const epb = epbBlock(0, 1n, bytes(10));

  const cases: { name: string; file: Buffer; packets: number; offset: number; message: RegExp }[] = [
    {
      name: 'pcap caplen over MAX_RECORD_LEN',
      file: put32(pcap3, second + 8, MAX_RECORD_LEN + 1),
      packets: 1,
      offset: second,
      message: new RegExp(`captured length ${MAX_RECORD_LEN + 1} exceeds ${MAX_RECORD_LEN}`),
    },
    {
      name: 'pcap caplen 0xffffffff',
      file: put32(pcap3, second + 8, 0xffffffff),
      packets: 1,
      offset: second,
      message: /exceeds/,
    },
    {
      name: 'pcap caplen far over the snaplen',
      file: put32(pcap3, second + 8, 400),
      packets: 1,
      offset: second,
      message: /exceeds snaplen 100/,
    },
    {
      name: 'pcapng block length not a multiple of 4',
      file: ng(epb, put32(epb, 4, 41), epb),
      packets: 1,
      offset: ngHead + epb.length,
      message: /not a multiple of 4/,
    },
    {
      name: 'pcapng block length below 12',
      file: ng(epb, put32(epb, 4, 8)),
      packets: 1,
      offset: ngHead + epb.length,
      message: /too small/,
    },
    {
      name: 'pcapng block length 0',
      file: ng(put32(epb, 4, 0)),
      packets: 0,
      offset: ngHead,
      message: /too small/,
    },
    {
      name: 'pcapng EPB shorter than its fixed part',
      file: ng(epb, pcapngBlock(6, bytes(16))),
      packets: 1,
      offset: ngHead + epb.length,
      message: /^enhanced packet block length 28 is too small$/,
    },
    {
      name: 'pcapng trailer mismatch',
      file: ng(epb, put32(epb, epb.length - 4, 48), epb),
      packets: 1,
      offset: ngHead + epb.length,
      message: /trailing block length 48 does not match 44/,
    },
    {
      name: 'pcapng trailer mismatch on a skipped block',
      file: ng(epb, put32(pcapngBlock(0xbad, bytes(8)), 16, 99), epb),
      packets: 1,
      offset: ngHead + epb.length,
      message: /trailing block length 99 does not match 20/,
    },
    {
      name: 'pcapng EPB caplen beyond its block',
      file: ng(epb, put32(epb, 20, 13)),
      packets: 1,
      offset: ngHead + epb.length,
      message: /overruns/,
    },
    {
      name: 'pcapng EPB caplen far over the snaplen',
      file: ng(epbBlock(0, 1n, bytes(1000))),
      packets: 0,
      offset: ngHead,
      message: /snaplen 100/,
    },
    {
      name: 'pcapng EPB on an undescribed interface',
      file: ng(epb, put32(epb, 8, 3)),
      packets: 1,
      offset: ngHead + epb.length,
      message: /interface 3/,
    },
    {
      name: 'pcapng SPB before any interface',
      file: Buffer.concat([shbBlock(), spbBlock(bytes(4))]),
      packets: 0,
      offset: 28,
      message: /before any interface/,
    },
    {
      name: 'pcapng packet block too large to buffer',
      file: ng(epb, put32(epb, 4, MAX_UNIT + 4)),
      packets: 1,
      offset: ngHead + epb.length,
      message: new RegExp(`^enhanced packet block length ${MAX_UNIT + 4} exceeds ${MAX_UNIT}$`),
    },
    {
      name: 'pcapng bad byte-order magic in a later section',
      file: ng(epb, put32(shbBlock(), 8, 0x12345678)),
      packets: 1,
      offset: ngHead + epb.length,
      message: /bad byte-order magic 0x78563412/,
    },
    {
      name: 'pcapng bad byte-order magic in the first section',
      file: put32(shbBlock(), 8, 0),
      packets: 0,
      offset: 0,
      message: /bad byte-order magic/,
    },
    {
      name: 'pcapng major version 2',
      file: ng(epb, shbBlock({ major: 2 })),
      packets: 1,
      offset: ngHead + epb.length,
      message: /unsupported pcapng version 2\.0/,
    },
    {
      name: 'pcapng unknown block with a huge length at the end',
      file: ng(epb, put32(pcapngBlock(0xbad, bytes(40)), 4, 0xfffffffc)),
      packets: 1,
      offset: ngHead + epb.length,
      message: /truncated block: 52 of 4294967292 bytes/,
    },
  ];

  for (const c of cases) {
    test(c.name, () => {
      const { summary } = parse(c.file);
      assert.equal(summary.packets, c.packets);
      assert.equal(summary.problem?.offset, c.offset);
      assert.match(summary.problem.message, c.message);
    });
  }

  test('pcapng EPB caplen over MAX_RECORD_LEN with snaplen 0', () => {
    const file = Buffer.concat([shbBlock(), idbBlock({ linkType: 1, snaplen: 0 }), epbBlock(0, 1n, bytes(MAX_RECORD_LEN + 1))]);
    const { summary } = parseAll(file);
    assert.equal(summary.packets, 0);
    assert.match(summary.problem!.message, new RegExp(`exceeds ${MAX_RECORD_LEN}$`));
  });

  test('nothing is read after damage', () => {
    const file = put32(pcap3, second + 8, 0xffffffff);
    const { recs } = parseChunks(Buffer.concat([file, pcap3]), [7]);
    assert.equal(recs.length, 1);
  });
});
