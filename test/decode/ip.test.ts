/**
 * IPv4 and IPv6: p0f 3.09b's length clamping, sanity checks and quirks,
 * and the IPv6 extension headers walked beyond it.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  LinkType,
  ethernet,
  hex,
  ipv4,
  ipv6,
  tcp4,
  tcp6,
  tcpSegment,
  type Ip4Spec,
  type Ip6Spec,
} from '../helpers/packet-build.js';
import { SYN4, SYN6, addrOf, quirkNames, run } from './util.js';

describe('ipv4 fixture', () => {
  it('decodes the reference SYN', () => {
    const { outcome, pkt } = run(SYN4, LinkType.RAW);
    assert.equal(outcome, 'ok');
    assert.equal(pkt.ipVer, 4);
    assert.equal(addrOf(pkt, 'src'), '192.0.2.1');
    assert.equal(addrOf(pkt, 'dst'), '198.51.100.2');
    assert.equal(pkt.ttl, 64);
    assert.equal(pkt.tos, 0);
    assert.equal(pkt.ipOptLen, 0);
    assert.equal(pkt.totHdr, 60);
    assert.equal(quirkNames(pkt.quirks), 'df,id+');
    assert.equal(pkt.sport, 40000);
    assert.equal(pkt.dport, 80);
    assert.equal(pkt.seq, 0x11223344);
    assert.equal(pkt.win, 65535);
    assert.equal(pkt.mss, 1460);
    assert.equal(pkt.wscale, 7);
    assert.equal(pkt.ts1, 12345);
    assert.equal(pkt.payLen, 0);
    assert.equal(pkt.encap, 0);
  });
  it('matches what the builder makes', () => {
    assert.deepEqual(
      tcp4({}, { options: [{ mss: 1460 }, 'sok', { ts: [12345, 0] }, 'nop', { ws: 7 }] }),
      hex(SYN4),
    );
  });
});

describe('ipv4 quirks and fields', () => {
  const cases: Array<[string, Ip4Spec, string, Partial<{ tos: number; ttl: number; ipOptLen: number; totHdr: number }>]> = [
    ['DF with a non-zero ID', {}, 'df,id+', {}],
    ['DF with ID zero', { id: 0 }, 'df', {}],
    ['no DF, ID zero', { df: false, id: 0 }, 'id-', {}],
    ['no DF, non-zero ID', { df: false }, '', {}],
    ['must-be-zero flag', { mbz: true, id: 0 }, 'df,0+', {}],
    ['ECT(0)', { tos: 0x02, id: 0 }, 'df,ecn', { tos: 0 }],
    ['ECT(1)', { tos: 0x01, id: 0 }, 'df,ecn', {}],
    ['CE', { tos: 0x03, id: 0 }, 'df,ecn', {}],
    ['DSCP EF without ECN', { tos: 0xb8, id: 0 }, 'df', { tos: 46 }],
    ['DSCP with ECN', { tos: 0xff, id: 0 }, 'df,ecn', { tos: 63 }],
    ['TTL is taken as is', { ttl: 1, id: 0 }, 'df', { ttl: 1 }],
    ['IP options', { options: [1, 1, 1, 0, 0x94, 0x04, 0, 0], id: 0 }, 'df', { ipOptLen: 8, totHdr: 48 }],
  ];
  for (const [name, spec, quirks, fields] of cases) {
    it(name, () => {
      const { outcome, pkt } = run(tcp4(spec), LinkType.RAW);
      assert.equal(outcome, 'ok');
      assert.equal(quirkNames(pkt.quirks), quirks);
      for (const [k, v] of Object.entries(fields)) assert.equal(pkt[k as keyof typeof pkt], v, k);
    });
  }
});

describe('ipv4 drops and clamping', () => {
  const syn = hex(SYN4);
  const cases: Array<[string, Uint8Array, string, { caplen?: number; wirelen?: number }?]> = [
    ['More Fragments', tcp4({ mf: true }), 'fragment'],
    ['fragment offset', tcp4({ fragOffset: 3 }), 'fragment'],
    ['MF without DF', tcp4({ mf: true, df: false }), 'fragment'],
    ['header length 16', tcp4({ hlen: 16 }), 'bad-ip-header'],
    ['header length 0', tcp4({ hlen: 0 }), 'bad-ip-header'],
    ['header length leaves no room for TCP', tcp4({ hlen: 60 }), 'bad-ip-header'],
    ['total length past the data', tcp4({ totalLength: 41 }), 'ip-length'],
    ['total length 65535 on a short packet', tcp4({ totalLength: 65535 }), 'ip-length'],
    ['total length under 40', tcp4({ totalLength: 39 }), 'bad-ip-header'],
    ['UDP', ipv4(new Uint8Array(30), { proto: 17 }), 'not-tcp'],
    ['ICMP', ipv4(new Uint8Array(30), { proto: 1 }), 'not-tcp'],
    ['ICMP fragment', ipv4(new Uint8Array(30), { proto: 1, mf: true }), 'not-tcp'],
    ['fewer than 40 bytes', syn.subarray(0, 39), 'truncated'],
    ['short non-TCP packet', ipv4(new Uint8Array(8), { proto: 17 }), 'not-tcp'],
    ['caplen below the total length', syn, 'ip-length', { caplen: 50, wirelen: 60 }],
    ['wire length below the total length', syn, 'ip-length', { wirelen: 59 }],
    ['version 5 on a raw link', tcp4({ version: 5 }), 'not-ip'],
    ['version 0 on a raw link', new Uint8Array(60), 'not-ip'],
  ];
  for (const [name, bytes, outcome, rec] of cases) {
    it(name, () => assert.equal(run(bytes, LinkType.RAW, rec).outcome, outcome));
  }

  it('a shorter total length wins over trailing bytes (etherleak)', () => {
    const padded = Buffer.concat([tcp4(), Buffer.from('leaked bytes')]);
    const { outcome, pkt } = run(padded, LinkType.RAW);
    assert.equal(outcome, 'ok');
    assert.equal(pkt.payLen, 0);
  });

  it('Ethernet minimum-size padding is not payload', () => {
    const tiny = tcp4({}, { flags: 0x10, ack: 1 });
    const frame = Buffer.concat([ethernet(tiny), Buffer.alloc(6)]);
    const { outcome, pkt } = run(frame, LinkType.ETHERNET);
    assert.equal(outcome, 'ok');
    assert.equal(pkt.payLen, 0);
  });

  it('an IPv6 header behind EtherType IPv4 is a bad header', () => {
    assert.equal(run(ethernet(tcp6(), { type: 0x0800 }), LinkType.ETHERNET).outcome, 'bad-ip-header');
  });

  it('looks at no more than 65535 bytes, link header included (p0f SNAPLEN)', () => {
    const payload = Buffer.alloc(65535 - 40, 0x41);
    const big = tcp4({}, { flags: 0x18, ack: 1, payload });
    assert.equal(big.length, 65535);
    assert.equal(run(big, LinkType.RAW).outcome, 'ok');
    assert.equal(run(ethernet(big), LinkType.ETHERNET).outcome, 'ip-length');
    const fits = tcp4({}, { flags: 0x18, ack: 1, payload: payload.subarray(14) });
    assert.equal(run(ethernet(fits), LinkType.ETHERNET).outcome, 'ok');
  });
});

describe('ipv6 fixture', () => {
  it('decodes the reference SYN', () => {
    const { outcome, pkt } = run(SYN6, LinkType.RAW);
    assert.equal(outcome, 'ok');
    assert.equal(pkt.ipVer, 6);
    assert.equal(addrOf(pkt, 'src'), '2001:db8:0:0:0:0:0:1');
    assert.equal(addrOf(pkt, 'dst'), '2001:db8:0:0:0:0:0:2');
    assert.equal(pkt.ttl, 64);
    assert.equal(pkt.ipOptLen, 0);
    assert.equal(pkt.totHdr, 72);
    assert.equal(quirkNames(pkt.quirks), 'flow');
    assert.deepEqual(Array.from(pkt.optLayout.subarray(0, pkt.optCnt)), [2, 1, 3, 1, 1, 4]);
    assert.equal(pkt.mss, 1440);
    assert.equal(pkt.wscale, 8);
  });
  it('matches what the builder makes', () => {
    assert.deepEqual(tcp6({ flow: 0x12345 }, { options: [{ mss: 1440 }, 'nop', { ws: 8 }, 'nop', 'nop', 'sok'] }), hex(SYN6));
  });
});

describe('ipv6 quirks and fields', () => {
  const cases: Array<[string, Ip6Spec, string, number]> = [
    ['no flow label', {}, '', 0],
    ['flow label', { flow: 1 }, 'flow', 0],
    ['flow label top bits', { flow: 0xf0000 }, 'flow', 0],
    ['ECT(0)', { tclass: 0x02 }, 'ecn', 0],
    ['CE', { tclass: 0x03 }, 'ecn', 0],
    ['DSCP AF41', { tclass: 0x88 }, '', 34],
    ['DSCP with ECN and flow', { tclass: 0xfd, flow: 0xfffff }, 'ecn,flow', 63],
  ];
  for (const [name, spec, quirks, tos] of cases) {
    it(name, () => {
      const { outcome, pkt } = run(tcp6(spec), LinkType.RAW);
      assert.equal(outcome, 'ok');
      assert.equal(quirkNames(pkt.quirks), quirks);
      assert.equal(pkt.tos, tos);
    });
  }
  it('hop limit is the TTL', () => assert.equal(run(tcp6({ ttl: 255 }), LinkType.RAW).pkt.ttl, 255));
});

describe('ipv6 drops and clamping', () => {
  const cases: Array<[string, Uint8Array, string]> = [
    ['payload length past the data', tcp6({ payloadLength: 21 }), 'ip-length'],
    ['payload length under 20', tcp6({ payloadLength: 19 }), 'bad-ip-header'],
    ['jumbogram (payload length 0)', tcp6({ payloadLength: 0 }), 'bad-ip-header'],
    ['fewer than 60 bytes', tcp6().subarray(0, 59), 'truncated'],
    ['fewer than 40 bytes', tcp6().subarray(0, 39), 'truncated'],
    ['UDP', ipv6(new Uint8Array(30), { next: 17 }), 'not-tcp'],
    ['no next header', ipv6(new Uint8Array(30), { next: 59 }), 'not-tcp'],
    ['ICMPv6', ipv6(new Uint8Array(30), { next: 58 }), 'not-tcp'],
    ['a non-first fragment', ipv6(tcpSegment(), { ext: [{ type: 44, offset: 10 }] }), 'fragment'],
    ['an extension header cut short', ipv6(new Uint8Array(20), { next: 0, payloadLength: 20 }), 'truncated'],
  ];
  for (const [name, bytes, outcome] of cases) {
    it(name, () => assert.equal(run(bytes, LinkType.RAW).outcome, outcome));
  }
  it('a shorter payload length cuts the payload', () => {
    const p = tcp6({ payloadLength: 25 }, { flags: 0x18, ack: 1, payload: 'hello world' });
    const { outcome, pkt } = run(p, LinkType.RAW);
    assert.equal(outcome, 'ok');
    assert.equal(pkt.payLen, 5);
  });
  it('an extension header running past the packet is truncated', () => {
    const p = ipv6(tcpSegment(), { ext: [{ type: 60, len: 16 }] });
    p[40 + 1] = 200; // header length far beyond the packet
    assert.equal(run(p, LinkType.RAW).outcome, 'truncated');
  });
  it('TCP header cut by extension headers is truncated', () => {
    const p = ipv6(new Uint8Array(10), { ext: [{ type: 60, len: 16 }] });
    assert.equal(run(p, LinkType.RAW).outcome, 'truncated');
  });
});

describe('ipv6 extension headers (beyond p0f)', () => {
  const cases: Array<[string, Ip6Spec['ext'], number, number]> = [
    ['hop-by-hop', [{ type: 0 }], 1, 8],
    ['destination options, 16 bytes', [{ type: 60, len: 16 }], 1, 16],
    ['routing', [{ type: 43, len: 24 }], 1, 24],
    ['first fragment (M set)', [{ type: 44, more: true }], 1, 8],
    ['atomic fragment', [{ type: 44 }], 1, 8],
    ['authentication header', [{ type: 51, len: 24 }], 1, 24],
    ['all of them', [{ type: 0 }, { type: 60 }, { type: 43, len: 24 }, { type: 44 }, { type: 51 }], 5, 60],
  ];
  for (const [name, ext, encap, extLen] of cases) {
    it(name, () => {
      const { outcome, pkt } = run(tcp6({ ext, ttl: 33 }, { options: [{ mss: 1220 }] }), LinkType.RAW);
      assert.equal(outcome, 'ok');
      assert.equal(pkt.encap, encap);
      assert.equal(pkt.ttl, 33);
      assert.equal(pkt.mss, 1220);
      assert.equal(pkt.ipOptLen, 0);
      assert.equal(pkt.totHdr, 40 + extLen + 24);
    });
  }
});
