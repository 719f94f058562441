/**
 * TCP header checks, quirks and option parsing, against p0f 3.09b's
 * parse_packet() behaviour (including its odd corners).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodePacket } from '../../src/decode/index.js';
import { IPV4_ONLY_QUIRKS, TcpFlag, newTcpPacket } from '../../src/decode/types.js';
import { LinkType, hex, record, tcp4, tcpSegment, type TcpSpec } from '../helpers/packet-build.js';
import { layoutOf, quirkNames, run } from './util.js';

const { FIN, SYN, RST, PSH, ACK, URG, ECE, CWR } = TcpFlag;

/** Decode an IPv4 packet carrying `tcp`; quirks without the IPv4-only ones. */
function tcp(spec: TcpSpec) {
  const d = run(tcp4({}, spec), LinkType.RAW);
  return { ...d, quirks: quirkNames(d.pkt.quirks & ~IPV4_ONLY_QUIRKS) };
}

describe('tcp header quirks', () => {
  const cases: Array<[string, TcpSpec, string]> = [
    ['plain SYN', {}, ''],
    ['ECE and CWR on a SYN', { flags: SYN | ECE | CWR }, 'ecn'],
    ['ECE alone', { flags: SYN | ECE }, 'ecn'],
    ['CWR alone', { flags: SYN | CWR }, 'ecn'],
    ['NS bit in the data-offset byte', { rsvd: 0x1 }, 'ecn'],
    ['other reserved bits are not looked at', { rsvd: 0xe }, ''],
    ['sequence number zero', { seq: 0 }, 'seq-'],
    ['ACK with ack number zero', { flags: SYN | ACK, ack: 0 }, 'ack-'],
    ['ACK with ack number set', { flags: ACK, ack: 1 }, ''],
    // p0f tests `ack & !RST` on the raw network-order word: only the
    // lowest bit of the first ack byte counts on a little-endian host.
    ['no ACK, ack byte 0 bit 0 set', { ack: 0x01000000 }, 'ack+'],
    ['no ACK, all bits set', { ack: 0xffffffff }, 'ack+'],
    ['no ACK, ack = 1 (missed by p0f)', { ack: 1 }, ''],
    ['no ACK, ack = 0xfe000000 (missed by p0f)', { ack: 0xfe000000 }, ''],
    ['RST without ACK is exempt', { flags: RST, ack: 0x01000000 }, ''],
    ['URG flag', { flags: SYN | URG, urg: 0 }, 'urgf+'],
    ['URG flag with pointer', { flags: SYN | URG, urg: 5 }, 'urgf+'],
    ['urgent pointer without URG', { urg: 0x0100 }, 'uptr+'],
    ['PSH', { flags: SYN | PSH }, 'pushf+'],
    ['everything at once', { flags: SYN | ECE | URG | PSH, seq: 0, ack: 0x01000000 }, 'ecn,seq-,ack+,urgf+,pushf+'],
  ];
  for (const [name, spec, quirks] of cases) {
    it(name, () => {
      const d = tcp(spec);
      assert.equal(d.outcome, 'ok');
      assert.equal(d.quirks, quirks);
    });
  }
});

describe('tcp flags p0f throws away', () => {
  const cases: Array<[string, number, string]> = [
    ['no flags', 0, 'bad-tcp-flags'],
    ['PSH only', PSH, 'bad-tcp-flags'],
    ['URG|ECE|CWR only', URG | ECE | CWR, 'bad-tcp-flags'],
    ['SYN+FIN', SYN | FIN, 'bad-tcp-flags'],
    ['SYN+RST', SYN | RST, 'bad-tcp-flags'],
    ['FIN+RST', FIN | RST, 'bad-tcp-flags'],
    ['SYN+ACK+FIN', SYN | ACK | FIN, 'bad-tcp-flags'],
    ['SYN', SYN, 'ok'],
    ['SYN+ACK', SYN | ACK, 'ok'],
    ['ACK', ACK, 'ok'],
    ['FIN', FIN, 'ok'],
    ['FIN+ACK', FIN | ACK, 'ok'],
    ['RST', RST, 'ok'],
    ['RST+ACK', RST | ACK, 'ok'],
    ['PSH+ACK', PSH | ACK, 'ok'],
  ];
  for (const [name, flags, outcome] of cases) {
    it(name, () => {
      const d = tcp({ flags, ack: 7 });
      assert.equal(d.outcome, outcome);
      if (outcome === 'ok') {
        assert.equal(d.pkt.flags, flags);
        assert.equal(d.pkt.tcpType, flags & (SYN | ACK | FIN | RST));
      }
    });
  }
});

describe('tcp data offset', () => {
  it('below 20 is a bad header', () => {
    assert.equal(tcp({ doff: 16 }).outcome, 'bad-tcp-header');
    assert.equal(tcp({ doff: 0 }).outcome, 'bad-tcp-header');
  });
  it('past the end of the packet is a bad header', () => {
    assert.equal(tcp({ doff: 24 }).outcome, 'bad-tcp-header');
    assert.equal(tcp({ doff: 60, options: new Uint8Array(36).fill(1) }).outcome, 'bad-tcp-header');
  });
  it('exactly at the end leaves no payload', () => {
    const d = tcp({ options: [1, 1, 1, 1] });
    assert.equal(d.outcome, 'ok');
    assert.equal(d.pkt.payLen, 0);
    assert.equal(d.pkt.totHdr, 20 + 24);
  });
  it('payload is what follows the header within the IP length', () => {
    const d = run(tcp4({}, { flags: PSH | ACK, ack: 1, payload: 'GET / HTTP/1.1\r\n' }), LinkType.RAW);
    assert.equal(d.outcome, 'ok');
    assert.equal(d.pkt.payLen, 16);
    assert.equal(d.pkt.addr.toString('latin1', d.pkt.payOff, d.pkt.payOff + d.pkt.payLen), 'GET / HTTP/1.1\r\n');
  });
  it('reads ports, sequence, ack and window', () => {
    const d = tcp({ sport: 1, dport: 65535, seq: 0xfffffffe, ack: 0x80000000, flags: SYN | ACK, win: 5840 });
    assert.equal(d.pkt.sport, 1);
    assert.equal(d.pkt.dport, 65535);
    assert.equal(d.pkt.seq, 0xfffffffe);
    assert.equal(d.pkt.ack, 0x80000000);
    assert.equal(d.pkt.win, 5840);
  });
});

interface OptCase {
  name: string;
  /** Option bytes, hex. */
  opts: string;
  flags?: number;
  layout: number[];
  quirks?: string;
  eolPad?: number;
  mss?: number;
  wscale?: number;
  ts1?: number;
}

const SACK_BLOCK = '00 00 00 01 00 00 00 02';

describe('tcp options, as p0f walks them', () => {
  const cases: OptCase[] = [
    { name: 'none', opts: '', layout: [] },
    {
      name: 'Linux SYN',
      opts: '02 04 05 b4 04 02 08 0a 00 00 30 39 00 00 00 00 01 03 03 07',
      layout: [2, 4, 8, 1, 3],
      mss: 1460,
      wscale: 7,
      ts1: 12345,
    },
    {
      name: 'Windows SYN',
      opts: '02 04 05 b4 01 03 03 08 01 01 04 02',
      layout: [2, 1, 3, 1, 1, 4],
      mss: 1460,
      wscale: 8,
    },
    { name: 'EOL with zero padding', opts: '02 04 05 b4 00 00 00 00', layout: [2, 0], eolPad: 3, mss: 1460 },
    { name: 'EOL as the last byte', opts: '01 01 01 00', layout: [1, 1, 1, 0], eolPad: 0 },
    {
      name: 'non-zero byte in EOL padding: opt+',
      opts: '02 04 05 b4 00 00 01 00',
      layout: [2, 0],
      eolPad: 3,
      mss: 1460,
      quirks: 'opt+',
    },
    {
      name: 'EOL first, junk after it',
      opts: '00 02 04 05 b4 00 00 00',
      layout: [0],
      eolPad: 7,
      quirks: 'opt+',
    },
    {
      // p0f's scan steps over the first non-zero byte before comparing
      // against the end, so one in the very last position slips through.
      name: 'non-zero byte only in the last padding position: no opt+',
      opts: '02 04 05 b4 00 00 00 01',
      layout: [2, 0],
      eolPad: 3,
      mss: 1460,
    },
    { name: 'MSS with length 5: bad, value still read', opts: '02 05 05 b4', layout: [2], mss: 1460, quirks: 'bad' },
    { name: 'MSS cut short: abort, bad', opts: '01 01 02 04', layout: [1, 1, 2], quirks: 'bad' },
    { name: 'MSS kind as the last byte: abort, bad', opts: '01 01 01 02', layout: [1, 1, 1, 2], quirks: 'bad' },
    { name: 'WS 14 is fine', opts: '01 03 03 0e', layout: [1, 3], wscale: 14 },
    { name: 'WS 15: exws', opts: '01 03 03 0f', layout: [1, 3], wscale: 15, quirks: 'exws' },
    { name: 'WS 255: exws', opts: '01 03 03 ff', layout: [1, 3], wscale: 255, quirks: 'exws' },
    { name: 'WS with length 4: bad, 2 bytes consumed', opts: '03 04 07 00', layout: [3, 0], wscale: 7, quirks: 'bad' },
    { name: 'WS cut short: abort', opts: '01 01 01 03', layout: [1, 1, 1, 3], quirks: 'bad' },
    { name: 'SACKOK with length 3: bad', opts: '04 03 01 01', layout: [4, 1, 1], quirks: 'bad' },
    { name: 'SACKOK kind as the last byte: abort', opts: '01 01 01 04', layout: [1, 1, 1, 4], quirks: 'bad' },
    { name: 'SACK with one block', opts: `01 01 05 0a ${SACK_BLOCK}`, layout: [1, 1, 5] },
    { name: 'SACK length 9: abort', opts: `01 01 05 09 ${SACK_BLOCK}`, layout: [1, 1, 5], quirks: 'bad' },
    {
      name: 'SACK length 35: abort',
      opts: `01 01 05 23 ${SACK_BLOCK} ${SACK_BLOCK} ${SACK_BLOCK} ${SACK_BLOCK} 00 00 00 00`,
      layout: [1, 1, 5],
      quirks: 'bad',
    },
    { name: 'SACK longer than the options: abort', opts: `01 01 05 12 ${SACK_BLOCK}`, layout: [1, 1, 5], quirks: 'bad' },
    {
      name: 'timestamps on a SYN: ts1- and ts2+',
      opts: '01 01 08 0a 00 00 00 00 00 00 00 01',
      layout: [1, 1, 8],
      quirks: 'ts1-,ts2+',
    },
    {
      name: 'timestamps on a SYN+ACK: no ts2+',
      opts: '01 01 08 0a 00 00 00 00 00 00 00 01',
      flags: SYN | ACK,
      layout: [1, 1, 8],
      quirks: 'ack-,ts1-',
    },
    {
      name: 'timestamps on SYN+PSH (still a pure SYN by type): ts2+',
      opts: '01 01 08 0a 00 00 00 05 80 00 00 00',
      flags: SYN | PSH,
      layout: [1, 1, 8],
      ts1: 5,
      quirks: 'pushf+,ts2+',
    },
    {
      name: 'timestamp with length 12: bad, value read',
      opts: '01 01 08 0c 00 00 01 00 00 00 00 00',
      layout: [1, 1, 8],
      ts1: 256,
      quirks: 'bad',
    },
    { name: 'timestamp cut short: abort', opts: '08 0a 00 00 00 01 00 00', layout: [8], quirks: 'bad' },
    { name: 'unknown option, length 4', opts: '1e 04 aa bb', layout: [30] },
    { name: 'unknown option, length 40', opts: `fe 28 ${'00 '.repeat(38)}`, layout: [254] },
    { name: 'unknown option, length 1: abort', opts: '1e 01 01 01', layout: [30], quirks: 'bad' },
    { name: 'unknown option, length 41: abort', opts: `fe 29 ${'00 '.repeat(38)}`, layout: [254], quirks: 'bad' },
    { name: 'unknown option past the end: abort', opts: '1e 08 00 00', layout: [30], quirks: 'bad' },
    { name: 'unknown kind as the last byte: abort', opts: '01 01 01 1e', layout: [1, 1, 1, 30], quirks: 'bad' },
    { name: '24 options fill the layout', opts: '01 '.repeat(24), layout: new Array(24).fill(1) },
    {
      name: '25 options: 24 recorded, the rest is bad',
      opts: '01 '.repeat(28),
      layout: new Array(24).fill(1),
      quirks: 'bad',
    },
    {
      name: '24 options then EOL: the EOL is not reached, bad',
      opts: `${'01 '.repeat(24)}00 00 00 00`,
      layout: new Array(24).fill(1),
      quirks: 'bad',
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const bytes = hex(c.opts);
      assert.equal(bytes.length % 4, 0, 'fixture options must fill whole words');
      const d = run(tcp4({}, { options: bytes, flags: c.flags ?? SYN }), LinkType.RAW);
      assert.equal(d.outcome, 'ok');
      assert.deepEqual(layoutOf(d.pkt), c.layout);
      assert.equal(quirkNames(d.pkt.quirks & ~IPV4_ONLY_QUIRKS), c.quirks ?? '');
      assert.equal(d.pkt.optEolPad, c.eolPad ?? 0);
      assert.equal(d.pkt.mss, c.mss ?? 0);
      assert.equal(d.pkt.wscale, c.wscale ?? 0);
      assert.equal(d.pkt.ts1, c.ts1 ?? 0);
    });
  }

  it('never reads option bytes past the data offset into the payload', () => {
    // MSS kind as the last option byte, followed by a payload byte of 4:
    // p0f would peek at it; the result must be the same either way.
    const a = run(tcp4({}, { options: hex('01 01 01 02'), flags: PSH | ACK, ack: 1, payload: [4, 5, 6] }), LinkType.RAW);
    const b = run(tcp4({}, { options: hex('01 01 01 02'), flags: PSH | ACK, ack: 1, payload: [9, 9, 9] }), LinkType.RAW);
    assert.equal(a.pkt.quirks, b.pkt.quirks);
    assert.equal(quirkNames(a.pkt.quirks & ~IPV4_ONLY_QUIRKS), 'pushf+,bad');
  });

  it('resets option fields between packets on a reused view', () => {
    const pkt = newTcpPacket();
    const first = record(tcp4({}, { options: hex('02 04 05 b4 01 03 03 09 08 0a 00 00 00 07 00 00 00 00 00 00') }), LinkType.RAW);
    assert.equal(decodePacket(first, pkt), 'ok');
    assert.deepEqual([pkt.mss, pkt.wscale, pkt.ts1, pkt.optCnt], [1460, 9, 7, 5]);
    assert.equal(decodePacket(record(tcp4({}, {}), LinkType.RAW), pkt), 'ok');
    assert.deepEqual([pkt.mss, pkt.wscale, pkt.ts1, pkt.optCnt, pkt.optEolPad], [0, 0, 0, 0, 0]);
  });

  it('builds the TCP segment the fixture describes', () => {
    const seg = tcpSegment({ options: [{ mss: 1460 }, 'sok', { ts: [12345, 0] }, 'nop', { ws: 7 }] });
    assert.equal(seg.length, 40);
    assert.equal(seg[12], 0xa0);
  });
});
