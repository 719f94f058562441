/**
 * UDP as a decoded layer: the UDP view (addresses, TTL, ports, payload) over
 * IPv4 and IPv6, behind VLAN tags and inside tunnels; the drops it shares
 * with TCP (fragments, lengths); tunnel ports still going to the tunnel; and
 * the TCP-only entry point, which calls UDP 'not-tcp' as p0f would.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeFrame, decodePacket, MAX_TUNNEL_DEPTH, newDecodeState } from '../../src/decode/index.js';
import { newTcpPacket } from '../../src/decode/types.js';
import {
  LinkType,
  ethernet,
  fourIn6,
  gre,
  gtpu,
  hex,
  ipip,
  ipv4,
  ipv6,
  overIpv4,
  record,
  tcp4,
  teredo,
  udp,
  vxlan,
  type Bytes,
  type RecordSpec,
} from '../helpers/packet-build.js';

const MACS = '02 00 00 00 00 02 02 00 00 00 00 01';

/**
 * IPv4 UDP, 36 bytes: TTL 64, 192.0.2.1:54321 -> 198.51.100.2:443, UDP
 * length 16, 8 payload bytes (the start of a QUIC long header).
 */
const UDP4 = `
  45 00 00 24 00 01 00 00 40 11 00 00 c0 00 02 01 c6 33 64 02
  d4 31 01 bb 00 10 00 00 c3 00 00 00 01 08 01 02`;

/** IPv6 UDP, 52 bytes: hop limit 57, [2001:db8::1]:53 -> [2001:db8::2]:50000, 4 payload bytes. */
const UDP6 = `
  60 00 00 00 00 0c 11 39 20 01 0d b8 00 00 00 00 00 00 00 00
  00 00 00 01 20 01 0d b8 00 00 00 00 00 00 00 00 00 00 00 02
  00 35 c3 50 00 0c 00 00 de ad be ef`;

interface View {
  outcome: string;
  ipVer?: number;
  src?: string;
  dst?: string;
  ttl?: number;
  sport?: number;
  dport?: number;
  payload?: string;
  encap?: number;
}

/** Decode a frame and give the UDP view as plain values (addresses as text, payload as hex). */
function udpView(frame: Bytes | string, linkType: number, spec?: RecordSpec): View {
  const bytes = typeof frame === 'string' ? hex(frame) : frame;
  const st = newDecodeState();
  const outcome = decodeFrame(record(bytes, linkType, spec), st);
  if (outcome !== 'udp') return { outcome };
  const u = st.udp;
  const addr = (off: number) =>
    u.ipVer === 4
      ? Array.from(u.addr.subarray(off, off + 4)).join('.')
      : Array.from({ length: 8 }, (_, i) => u.addr.readUInt16BE(off + 2 * i).toString(16)).join(':');
  return {
    outcome,
    ipVer: u.ipVer,
    src: addr(u.srcOff),
    dst: addr(u.dstOff),
    ttl: u.ttl,
    sport: u.sport,
    dport: u.dport,
    payload: u.addr.subarray(u.payOff, u.payOff + u.payLen).toString('hex'),
    encap: u.encap,
  };
}

const v4: View = {
  outcome: 'udp',
  ipVer: 4,
  src: '192.0.2.1',
  dst: '198.51.100.2',
  ttl: 64,
  sport: 54321,
  dport: 443,
  payload: 'c300000001080102',
  encap: 0,
};
const v6: View = {
  outcome: 'udp',
  ipVer: 6,
  src: '2001:db8:0:0:0:0:0:1',
  dst: '2001:db8:0:0:0:0:0:2',
  ttl: 57,
  sport: 53,
  dport: 50000,
  payload: 'deadbeef',
  encap: 0,
};

/** What the builder makes by default: [192.0.2.1]:50000 -> [198.51.100.2]:53 (v6: 2001:db8::1 -> ::2). */
const quic = hex('c0 00 00 00 01 08 aa bb');
const inner4 = ipv4(udp(quic, { sport: 50000, dport: 443 }), { proto: 17, ttl: 61 });
const inner6 = ipv6(udp(quic, { sport: 50000, dport: 443 }), { next: 17, ttl: 57 });
const b4: View = { outcome: 'udp', ipVer: 4, src: '192.0.2.1', dst: '198.51.100.2', ttl: 61, sport: 50000, dport: 443, payload: 'c00000000108aabb' };
const b6: View = { ...b4, ipVer: 6, src: '2001:db8:0:0:0:0:0:1', dst: '2001:db8:0:0:0:0:0:2', ttl: 57 };

describe('UDP view: hex fixtures', () => {
  const cases: Array<[string, string, number, View, RecordSpec?]> = [
    ['IPv4, raw', UDP4, LinkType.RAW, v4],
    ['IPv4, Ethernet', `${MACS} 08 00 ${UDP4}`, LinkType.ETHERNET, v4],
    ['IPv4, Ethernet padding cut by the IP length', `${MACS} 08 00 ${UDP4} 00 00 00 00 00 00 00 00 00 00`, LinkType.ETHERNET, v4],
    ['IPv6, Ethernet', `${MACS} 86 dd ${UDP6}`, LinkType.ETHERNET, v6],
    ['IPv4, 802.1Q', `${MACS} 81 00 00 64 08 00 ${UDP4}`, LinkType.ETHERNET, { ...v4, encap: 1 }],
    ['IPv6, QinQ', `${MACS} 88 a8 00 05 81 00 00 64 86 dd ${UDP6}`, LinkType.ETHERNET, { ...v6, encap: 2 }],
    ['IPv4, Linux SLL', `00 00 00 01 00 06 02 00 00 00 00 01 00 00 08 00 ${UDP4}`, LinkType.LINUX_SLL, v4],
    // The UDP length (12) is shorter than the IP payload (16): the datagram ends where UDP says.
    [
      'UDP length shorter than the IP payload',
      '45 00 00 24 00 01 00 00 40 11 00 00 c0 00 02 01 c6 33 64 02 d4 31 01 bb 00 0c 00 00 c3 00 00 00 01 08 01 02',
      LinkType.RAW,
      { ...v4, payload: 'c3000000' },
    ],
    // 28 bytes: below p0f's minimum for TCP (40), a whole UDP datagram all the same.
    [
      'IPv4, empty datagram',
      '45 00 00 1c 00 01 00 00 40 11 00 00 c0 00 02 01 c6 33 64 02 d4 31 01 bb 00 08 00 00',
      LinkType.RAW,
      { ...v4, payload: '' },
    ],
    // 48 bytes: below p0f's IPv6 minimum for TCP (60).
    [
      'IPv6, empty datagram',
      `60 00 00 00 00 08 11 39 20 01 0d b8 00 00 00 00 00 00 00 00 00 00 00 01 20 01 0d b8 00 00 00 00 00 00 00 00 00 00 00 02
       00 35 c3 50 00 08 00 00`,
      LinkType.RAW,
      { ...v6, payload: '' },
    ],
  ];
  for (const [name, frame, lt, want, spec] of cases) {
    it(name, () => assert.deepEqual(udpView(frame, lt, spec), want));
  }
});

describe('UDP view: inside tunnels', () => {
  const eth = (p: Uint8Array) => ethernet(p);
  const cases: Array<[string, Uint8Array, View]> = [
    // Outer IP + GRE.
    ['GRE', eth(overIpv4(47, gre(inner4))), { ...b4, encap: 2 }],
    // Outer IP.
    ['IP-in-IP', eth(ipip(inner4)), { ...b4, encap: 1 }],
    ['4in6', eth(fourIn6(inner4)), { ...b4, encap: 1 }],
    // Outer IP, UDP, VXLAN, inner Ethernet (with a tag: one more).
    ['VXLAN', eth(overIpv4(17, vxlan(ethernet(inner4, { tags: [7] })))), { ...b4, encap: 5 }],
    // Outer IP, UDP, GTP-U: QUIC from a phone.
    ['GTP-U', eth(overIpv4(17, gtpu(inner6, { seq: 9, ext: true }))), { ...b6, encap: 3 }],
    ['Teredo', eth(overIpv4(17, teredo(inner6, { origin: true }))), { ...b6, encap: 3 }],
  ];
  for (const [name, frame, want] of cases) {
    it(name, () => assert.deepEqual(udpView(frame, LinkType.ETHERNET), want));
  }

  it('a tunnel port still leads into the tunnel, whatever the other port', () => {
    const st = newDecodeState();
    const frame = eth(overIpv4(17, vxlan(eth(tcp4()))));
    assert.equal(decodeFrame(record(frame, LinkType.ETHERNET), st), 'tcp');
    assert.equal(st.tcp.encap, 4);
  });

  it(`plain UDP needs no tunnel, so ${MAX_TUNNEL_DEPTH} IP-in-IP layers are fine and one more is too deep`, () => {
    let pkt: Uint8Array = inner4;
    for (let i = 0; i < MAX_TUNNEL_DEPTH; i++) pkt = ipip(pkt);
    assert.deepEqual(udpView(pkt, LinkType.RAW), { ...b4, encap: MAX_TUNNEL_DEPTH });
    assert.deepEqual(udpView(ipip(pkt), LinkType.RAW), { outcome: 'tunnel-depth' });
  });
});

describe('UDP drops', () => {
  const udp4 = (spec: Parameters<typeof ipv4>[1] = {}) => ipv4(udp(quic, { sport: 50000, dport: 443 }), { proto: 17, ...spec });
  const udp6 = (spec: Parameters<typeof ipv6>[1] = {}) => ipv6(udp(quic, { sport: 50000, dport: 443 }), { next: 17, ...spec });
  const cases: Array<[string, Uint8Array, string, RecordSpec?]> = [
    ['IPv4 first fragment (MF)', udp4({ mf: true }), 'fragment'],
    ['IPv4 later fragment', udp4({ fragOffset: 3 }), 'fragment'],
    ['IPv6 first fragment: its datagram is not all there', udp6({ ext: [{ type: 44, more: true }] }), 'fragment'],
    ['IPv6 later fragment', udp6({ ext: [{ type: 44, offset: 2 }] }), 'fragment'],
    ['IPv6 last fragment with offset 0 is a whole datagram', udp6({ ext: [{ type: 44 }] }), 'udp'],
    ['IPv6 behind a hop-by-hop header', udp6({ ext: [{ type: 0 }] }), 'udp'],
    ['captured short of the IP length', udp4(), 'ip-length', { caplen: 30 }],
    ['IPv4 length without room for the UDP header', udp4({ totalLength: 24 }), 'bad-ip-header'],
    ['IPv6 payload shorter than a UDP header', ipv6(hex('c3 50 01 bb 00 08'), { next: 17 }), 'truncated'],
  ];
  for (const [name, frame, want, spec] of cases) {
    it(name, () => assert.equal(udpView(frame, LinkType.RAW, spec).outcome, want));
  }

  it('names UDP as the protocol a UDP drop was for (so the engine need not count it as TCP)', () => {
    const st = newDecodeState();
    assert.equal(decodeFrame(record(udp4({ mf: true }), LinkType.RAW), st), 'fragment');
    assert.equal(st.proto, 17);
    assert.equal(decodeFrame(record(tcp4({ mf: true }), LinkType.RAW), st), 'fragment');
    assert.equal(st.proto, 6);
    assert.equal(decodeFrame(record(udp6({ ext: [{ type: 44, offset: 2 }] }), LinkType.RAW), st), 'fragment');
    assert.equal(st.proto, 17);
  });
});

describe('the TCP-only entry point', () => {
  it("calls a UDP datagram 'not-tcp', as p0f does", () => {
    assert.equal(decodePacket(record(hex(UDP4), LinkType.RAW), newTcpPacket()), 'not-tcp');
  });
  it('still decodes TCP, into the view it is given', () => {
    const a = newTcpPacket();
    const b = newTcpPacket();
    assert.equal(decodePacket(record(tcp4({ ttl: 33 }), LinkType.RAW), a), 'ok');
    assert.equal(decodePacket(record(tcp4({ ttl: 44 }), LinkType.RAW), b), 'ok');
    assert.equal(a.ttl, 33);
    assert.equal(b.ttl, 44);
  });
});
