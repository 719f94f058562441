/**
 * Tunnels p0f drops and pof decodes down to the inner TCP segment: the
 * inner packet's TTL and quirks are the ones reported, and `encap` counts
 * the headers removed.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  LinkType,
  ayiya,
  erspan2,
  erspan3,
  ethernet,
  fourIn6,
  geneve,
  gre,
  greUdp,
  gtpu,
  hex,
  ipip,
  ipv4,
  ipv6,
  mpls,
  overIpv4,
  ppp,
  sixIn4,
  sixIn6,
  tcp4,
  tcp6,
  teredo,
  udp,
  vxlan,
  vxlanGpe,
} from '../helpers/packet-build.js';
import { SYN4, quirkNames, run } from './util.js';

/** Inner packets: TTL 61 (v4, quirk id-) and 57 (v6, quirk flow). */
const in4 = tcp4({ ttl: 61, id: 0, df: false }, { options: [{ mss: 1400 }, 'nop', { ws: 5 }, 'nop'] });
const in6 = tcp6({ ttl: 57, flow: 7 }, { options: [{ mss: 1380 }, 'nop', { ws: 6 }, 'nop'] });
const eth = (p: Uint8Array) => ethernet(p);
const overIp = (proto: number, inner: Uint8Array) => eth(overIpv4(proto, inner));

interface TunCase {
  name: string;
  frame: Uint8Array;
  outcome?: string;
  encap?: number;
  /** Inner IP version; 4 unless said. */
  v?: 4 | 6;
  /** Ethernet unless said. */
  linkType?: number;
}

const OUTER = '45 00 00 54 00 00 40 00 c8 2f 00 00 0a 00 00 01 0a 00 00 02';
const MACS = '02 00 00 00 00 02 02 00 00 00 00 01';

const cases: TunCase[] = [
  // Hex fixtures.
  { name: 'GRE, hex', frame: hex(`${MACS} 08 00 ${OUTER} 00 00 08 00 ${SYN4}`), encap: 2 },
  {
    name: 'GRE with key and sequence, hex',
    frame: hex(`${MACS} 08 00 ${OUTER.replace('00 54', '00 5c')} 30 00 08 00 00 00 00 2a 00 00 00 01 ${SYN4}`),
    encap: 2,
  },
  { name: 'IP-in-IP, hex', frame: hex(`45 00 00 50 00 00 00 00 c8 04 00 00 0a 00 00 01 0a 00 00 02 ${SYN4}`), encap: 1, linkType: LinkType.RAW },
  {
    name: 'VXLAN, hex',
    frame: hex(
      `${MACS} 08 00 45 00 00 6e 00 00 40 00 c8 11 00 00 0a 00 00 01 0a 00 00 02 ` +
        `c3 50 12 b5 00 5a 00 00 08 00 00 00 00 00 2a 00 ${MACS} 08 00 ${SYN4}`,
    ),
    encap: 4,
  },

  // IP in IP.
  { name: 'IP-in-IP', frame: eth(ipip(in4)), encap: 1 },
  { name: '6in4', frame: eth(sixIn4(in6)), encap: 1, v: 6 },
  { name: '4in6', frame: eth(fourIn6(in4)), encap: 1 },
  { name: 'IPv6 in IPv6', frame: eth(sixIn6(in6)), encap: 1, v: 6 },
  { name: '4in6 behind a destination options header', frame: eth(fourIn6(in4, { ext: [{ type: 60 }] })), encap: 2 },

  // GRE.
  { name: 'GRE', frame: overIp(47, gre(in4)), encap: 2 },
  { name: 'GRE with checksum, key and sequence', frame: overIp(47, gre(in4, { checksum: true, key: 9, seq: 1 })), encap: 2 },
  { name: 'GRE carrying IPv6', frame: overIp(47, gre(in6)), encap: 2, v: 6 },
  { name: 'GRE over IPv6', frame: eth(ipv6(gre(in4, { key: 1 }), { next: 47 })), encap: 2 },
  { name: 'GRE transparent Ethernet bridging', frame: overIp(47, gre(eth(in4), { proto: 0x6558, key: 3 })), encap: 3 },
  {
    name: 'GRE bridging a VLAN-tagged frame',
    frame: overIp(47, gre(ethernet(in6, { tags: [42] }), { proto: 0x6558 })),
    encap: 4,
    v: 6,
  },
  { name: 'GRE carrying MPLS', frame: overIp(47, gre(mpls(in4), { proto: 0x8847 })), encap: 3 },
  { name: 'GRE carrying ARP', frame: overIp(47, gre(new Uint8Array(28), { proto: 0x0806 })), outcome: 'not-ip' },
  { name: 'GRE with source routing', frame: overIp(47, gre(in4, { routing: true })), outcome: 'not-ip' },
  { name: 'GRE version 2', frame: overIp(47, gre(in4, { version: 2 })), outcome: 'not-ip' },
  { name: 'GRE header cut short', frame: overIp(47, hex('30 00 08 00 00 00')), outcome: 'not-tcp' },
  { name: 'GRE-in-UDP (4754)', frame: overIp(17, greUdp(in4)), encap: 3 },

  // ERSPAN.
  { name: 'ERSPAN type I', frame: overIp(47, erspan2(eth(in4), { typeI: true })), encap: 3 },
  { name: 'ERSPAN type II', frame: overIp(47, erspan2(eth(in4))), encap: 4 },
  { name: 'ERSPAN type II, IPv6 inside', frame: overIp(47, erspan2(eth(in6))), encap: 4, v: 6 },
  {
    name: 'ERSPAN type II with a bad version',
    frame: overIp(47, gre(hex(`30 00 00 01 00 00 00 00 ${MACS} 08 00 ${SYN4}`), { proto: 0x88be, seq: 1 })),
    outcome: 'not-ip',
  },
  { name: 'ERSPAN type III', frame: overIp(47, erspan3(eth(in4))), encap: 4 },
  { name: 'ERSPAN type III with platform subheader', frame: overIp(47, erspan3(eth(in4), { subheader: true })), encap: 4 },
  {
    name: 'ERSPAN type III with a bad version',
    frame: overIp(47, gre(hex(`10 00 00 01 00 00 00 00 00 00 00 00 ${MACS} 08 00 ${SYN4}`), { proto: 0x22eb, seq: 1 })),
    outcome: 'not-ip',
  },

  // PPTP.
  {
    name: 'PPTP enhanced GRE',
    frame: overIp(47, gre(ppp(in4), { version: 1, proto: 0x880b, key: 0x00400001, seq: 3, ack: 2 })),
    encap: 2,
  },
  {
    name: 'PPTP with compressed PPP header',
    frame: overIp(47, gre(ppp(in4, { addressControl: false, compress: true }), { version: 1, proto: 0x880b, key: 1 })),
    encap: 2,
  },
  { name: 'PPTP without a key', frame: overIp(47, gre(ppp(in4), { version: 1, proto: 0x880b })), outcome: 'not-ip' },
  { name: 'PPTP with another protocol', frame: overIp(47, gre(ppp(in4), { version: 1, proto: 0x0800, key: 1 })), outcome: 'not-ip' },

  // UDP tunnels.
  { name: 'VXLAN', frame: overIp(17, vxlan(eth(in4))), encap: 4 },
  { name: 'VXLAN over IPv6', frame: eth(ipv6(vxlan(eth(in6)), { next: 17 })), encap: 4, v: 6 },
  {
    name: 'VXLAN recognised by source port',
    frame: overIp(17, udp(vxlan(eth(in4)).subarray(8), { sport: 4789, dport: 33333 })),
    encap: 4,
  },
  { name: 'VXLAN-GPE carrying IPv4', frame: overIp(17, vxlanGpe(in4)), encap: 3 },
  { name: 'VXLAN-GPE carrying IPv6', frame: overIp(17, vxlanGpe(in6)), encap: 3, v: 6 },
  { name: 'VXLAN-GPE carrying Ethernet', frame: overIp(17, vxlanGpe(eth(in4), { next: 3 })), encap: 4 },
  { name: 'VXLAN-GPE carrying NSH', frame: overIp(17, vxlanGpe(in4, { next: 4 })), outcome: 'not-ip' },
  { name: 'Geneve', frame: overIp(17, geneve(eth(in4))), encap: 4 },
  { name: 'Geneve with options', frame: overIp(17, geneve(eth(in6), { optionBytes: 24 })), encap: 4, v: 6 },
  { name: 'Geneve carrying IPv4 directly', frame: overIp(17, geneve(in4, { proto: 0x0800, optionBytes: 8 })), encap: 3 },
  { name: 'Geneve version 1', frame: overIp(17, geneve(eth(in4), { version: 1 })), outcome: 'not-ip' },
  {
    name: 'Geneve options past the end',
    frame: overIp(17, udp(hex('0f 00 65 58 00 00 2a 00 01 02 03 04'), { dport: 6081 })),
    outcome: 'truncated',
  },
  { name: 'GTP-U', frame: overIp(17, gtpu(in4)), encap: 3 },
  { name: 'GTP-U with sequence number', frame: overIp(17, gtpu(in6, { seq: 77 })), encap: 3, v: 6 },
  { name: 'GTP-U with an extension header', frame: overIp(17, gtpu(in4, { seq: 1, ext: true })), encap: 3 },
  {
    name: 'GTP-U echo request',
    frame: overIp(17, udp(hex('32 01 00 04 00 00 00 00 00 01 00 00'), { sport: 2152, dport: 2152 })),
    outcome: 'not-ip',
  },
  {
    name: 'GTP version 2',
    frame: overIp(17, udp(hex(`50 ff 00 3c 00 00 00 01 ${SYN4}`), { sport: 2152, dport: 2152 })),
    outcome: 'not-ip',
  },
  {
    name: 'GTP-U extension header of length 0',
    frame: overIp(17, udp(hex(`34 ff 00 44 00 00 00 01 00 00 00 85 00 00 00 00 ${SYN4}`), { sport: 2152, dport: 2152 })),
    outcome: 'not-ip',
  },
  { name: 'Teredo', frame: overIp(17, teredo(in6)), encap: 3, v: 6 },
  { name: 'Teredo with origin indication', frame: overIp(17, teredo(in6, { origin: true })), encap: 3, v: 6 },
  { name: 'Teredo with authentication and origin', frame: overIp(17, teredo(in6, { origin: true, auth: true })), encap: 3, v: 6 },
  { name: 'Teredo carrying IPv4', frame: overIp(17, udp(in4, { sport: 3544 })), outcome: 'not-ip' },
  { name: 'AYIYA carrying IPv6', frame: overIp(17, ayiya(in6)), encap: 3, v: 6 },
  { name: 'AYIYA carrying IPv4', frame: overIp(17, ayiya(in4)), encap: 3 },
  { name: 'AYIYA heartbeat', frame: overIp(17, ayiya(in6, { opcode: 0 })), outcome: 'not-ip' },
  { name: 'UDP on another port', frame: overIp(17, udp(in4, { sport: 5000, dport: 53 })), outcome: 'not-tcp' },

  // Drops inside and outside.
  { name: 'outer fragment', frame: eth(overIpv4(47, gre(in4), { mf: true })), outcome: 'fragment' },
  { name: 'UDP fragment', frame: eth(overIpv4(17, vxlan(eth(in4)), { fragOffset: 100 })), outcome: 'fragment' },
  { name: 'inner fragment', frame: overIp(47, gre(tcp4({ mf: true }))), outcome: 'fragment' },
  { name: 'inner packet longer than the outer one', frame: overIp(47, gre(tcp4({ totalLength: 100 }))), outcome: 'ip-length' },
  { name: 'inner UDP', frame: overIp(47, gre(ipv4(new Uint8Array(40), { proto: 17 }))), outcome: 'not-tcp' },
  { name: 'inner bad flags', frame: overIp(47, gre(tcp4({}, { flags: 0x03 }))), outcome: 'bad-tcp-flags' },
];

describe('tunnels', () => {
  for (const c of cases) {
    it(c.name, () => {
      const { outcome, pkt } = run(c.frame, c.linkType ?? LinkType.ETHERNET);
      assert.equal(outcome, c.outcome ?? 'ok');
      if (outcome !== 'ok') return;
      assert.equal(pkt.encap, c.encap, 'encap');
      const v = c.v ?? 4;
      assert.equal(pkt.ipVer, v);
      if (c.frame.length > 0 && c.name.endsWith(', hex')) {
        assert.equal(pkt.ttl, 64);
        return;
      }
      // The inner packet's fields, never the outer one's.
      assert.equal(pkt.ttl, v === 4 ? 61 : 57);
      assert.equal(quirkNames(pkt.quirks), v === 4 ? 'id-' : 'flow');
      assert.equal(pkt.mss, v === 4 ? 1400 : 1380);
      assert.equal(pkt.totHdr, (v === 4 ? 20 : 40) + 32);
    });
  }
});

describe('tunnel depth', () => {
  const nest = (n: number, wrap: (p: Uint8Array) => Uint8Array, inner: Uint8Array = in4): Uint8Array => {
    let p = inner;
    for (let i = 0; i < n; i++) p = wrap(p);
    return p;
  };
  it('eight IP-in-IP layers decode', () => {
    const { outcome, pkt } = run(nest(8, (p) => ipip(p)), LinkType.RAW);
    assert.equal(outcome, 'ok');
    assert.equal(pkt.encap, 8);
    assert.equal(pkt.ttl, 61);
  });
  it('nine IP-in-IP layers are too deep', () => {
    assert.equal(run(nest(9, (p) => ipip(p)), LinkType.RAW).outcome, 'tunnel-depth');
  });
  it('nine GRE layers are too deep', () => {
    assert.equal(run(nest(9, (p) => overIpv4(47, gre(p))), LinkType.RAW).outcome, 'tunnel-depth');
  });
  it('eight VXLAN layers decode', () => {
    const { outcome, pkt } = run(nest(8, (p) => eth(overIpv4(17, vxlan(p))), eth(in4)), LinkType.ETHERNET);
    assert.equal(outcome, 'ok');
    assert.equal(pkt.encap, 8 * 4);
  });
  it('nested MPLS pseudowires count as tunnels', () => {
    const pw = (p: Uint8Array) => ethernet(mpls(p, [16], { controlWord: true }), { type: 0x8847 });
    assert.equal(run(nest(8, pw, eth(in4)), LinkType.ETHERNET).outcome, 'ok');
    assert.equal(run(nest(9, pw, eth(in4)), LinkType.ETHERNET).outcome, 'tunnel-depth');
  });
  it('a deep stack of VLAN tags is fine (a loop, not nesting)', () => {
    const { outcome, pkt } = run(ethernet(in4, { tags: new Array(50).fill(7) }), LinkType.ETHERNET);
    assert.equal(outcome, 'ok');
    assert.equal(pkt.encap, 50);
  });
});

describe('mirrored traffic seen through several tunnels', () => {
  it('GRE / ERSPAN II / VXLAN-GPE / Ethernet, like a cloud packet mirror', () => {
    const frame = eth(overIpv4(47, erspan2(eth(overIpv4(17, vxlanGpe(eth(in4), { next: 3 }))))));
    const { outcome, pkt } = run(frame, LinkType.ETHERNET);
    assert.equal(outcome, 'ok');
    // IP, GRE, ERSPAN, Ethernet, IP, UDP, VXLAN-GPE, Ethernet.
    assert.equal(pkt.encap, 8);
    assert.equal(pkt.ttl, 61);
    assert.equal(pkt.addr[pkt.srcOff], 192);
  });
});
