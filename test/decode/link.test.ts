/**
 * Link layers, as hex fixtures: every link type pof decodes, the tags and
 * labels stacked on Ethernet, and what each gives for `encap`.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LinkType, ethernet, hex, sll, sll2, nullLink, loopLink, ppp, pppoe, pppoeEthernet, mpls, nflog, ciscoHdlc } from '../helpers/packet-build.js';
import { SYN4, SYN6, run } from './util.js';

const MACS = '02 00 00 00 00 02 02 00 00 00 00 01';
const ARP = '00 01 08 00 06 04 00 01 02 00 00 00 00 01 c0 00 02 01 00 00 00 00 00 00 c6 33 64 02';

interface LinkCase {
  name: string;
  linkType: number;
  /** Everything before the IP packet, hex. */
  hdr: string;
  /** The IP packet (or whatever follows), hex. */
  body?: string;
  outcome?: string;
  encap?: number;
  ipVer?: 4 | 6;
  /** What a frame cut inside `hdr` may give besides 'truncated'. */
  cut?: string;
}

const cases: LinkCase[] = [
  // Ethernet and what stacks on it.
  { name: 'Ethernet IPv4', linkType: LinkType.ETHERNET, hdr: `${MACS} 08 00` },
  { name: 'Ethernet IPv6', linkType: LinkType.ETHERNET, hdr: `${MACS} 86 dd`, body: SYN6, ipVer: 6 },
  { name: 'Ethernet ARP', linkType: LinkType.ETHERNET, hdr: `${MACS} 08 06`, body: ARP, outcome: 'not-ip' },
  { name: 'Ethernet LLDP', linkType: LinkType.ETHERNET, hdr: `${MACS} 88 cc`, body: ARP, outcome: 'not-ip' },
  { name: '802.1Q', linkType: LinkType.ETHERNET, hdr: `${MACS} 81 00 00 64 08 00`, encap: 1 },
  { name: '802.1Q with priority', linkType: LinkType.ETHERNET, hdr: `${MACS} 81 00 e0 64 86 dd`, body: SYN6, encap: 1, ipVer: 6 },
  { name: 'QinQ 802.1ad', linkType: LinkType.ETHERNET, hdr: `${MACS} 88 a8 00 05 81 00 00 64 08 00`, encap: 2 },
  {
    name: 'QinQinQ with 0x9100',
    linkType: LinkType.ETHERNET,
    hdr: `${MACS} 91 00 00 07 88 a8 00 05 81 00 00 64 86 dd`,
    body: SYN6,
    encap: 3,
    ipVer: 6,
  },
  {
    name: 'VN-tag between VLAN tags',
    linkType: LinkType.ETHERNET,
    hdr: `${MACS} 81 00 00 fa 89 26 80 00 00 33 81 00 00 fa 08 00`,
    encap: 3,
  },
  { name: 'VLAN tag carrying ARP', linkType: LinkType.ETHERNET, hdr: `${MACS} 81 00 00 64 08 06`, body: ARP, outcome: 'not-ip' },
  { name: '802.3 + LLC/SNAP', linkType: LinkType.ETHERNET, hdr: `${MACS} 00 44 aa aa 03 00 00 00 08 00`, encap: 1 },
  {
    name: '802.3 + SNAP with a vendor OUI',
    linkType: LinkType.ETHERNET,
    hdr: `${MACS} 00 44 aa aa 03 00 00 0c 08 00`,
    outcome: 'not-ip',
  },
  { name: '802.3 + STP LLC', linkType: LinkType.ETHERNET, hdr: `${MACS} 00 26 42 42 03 00 00 00 00 00`, outcome: 'not-ip' },
  { name: 'MPLS, one label', linkType: LinkType.ETHERNET, hdr: `${MACS} 88 47 00 01 01 40`, encap: 1 },
  {
    name: 'MPLS, two labels, IPv6',
    linkType: LinkType.ETHERNET,
    hdr: `${MACS} 88 47 00 06 40 40 00 0c 81 40`,
    body: SYN6,
    encap: 2,
    ipVer: 6,
  },
  { name: 'MPLS multicast', linkType: LinkType.ETHERNET, hdr: `${MACS} 88 48 00 01 01 40`, encap: 1 },
  {
    name: 'MPLS pseudowire with control word',
    linkType: LinkType.ETHERNET,
    hdr: `${MACS} 88 47 00 01 01 40 00 00 00 00 ${MACS} 08 00`,
    encap: 3,
  },
  { name: 'MPLS with neither IP nor a control word', linkType: LinkType.ETHERNET, hdr: `${MACS} 88 47 00 01 01 40`, body: `11 ${SYN4}`, outcome: 'not-ip' },
  { name: 'VLAN then MPLS', linkType: LinkType.ETHERNET, hdr: `${MACS} 81 00 00 0a 88 47 00 01 01 40`, encap: 2 },
  { name: 'PPPoE session', linkType: LinkType.ETHERNET, hdr: `${MACS} 88 64 11 00 12 34 00 3e 00 21`, encap: 1 },
  {
    name: 'PPPoE over QinQ, IPv6',
    linkType: LinkType.ETHERNET,
    hdr: `${MACS} 88 a8 00 05 81 00 00 64 88 64 11 00 12 34 00 4a 00 57`,
    body: SYN6,
    encap: 3,
    ipVer: 6,
  },
  { name: 'PPPoE LCP', linkType: LinkType.ETHERNET, hdr: `${MACS} 88 64 11 00 12 34 00 3e c0 21`, outcome: 'not-ip' },
  { name: 'PPPoE bad version', linkType: LinkType.ETHERNET, hdr: `${MACS} 88 64 12 00 12 34 00 3e 00 21`, outcome: 'not-ip' },
  { name: 'PPPoE discovery', linkType: LinkType.ETHERNET, hdr: `${MACS} 88 63 11 09 00 00 00 3e 00 21`, outcome: 'not-ip' },

  // Linux cooked captures.
  { name: 'SLL IPv4', linkType: LinkType.LINUX_SLL, hdr: '00 00 00 01 00 06 02 00 00 00 00 01 00 00 08 00' },
  { name: 'SLL IPv6 outgoing', linkType: LinkType.LINUX_SLL, hdr: '00 04 00 01 00 06 02 00 00 00 00 01 00 00 86 dd', body: SYN6, ipVer: 6 },
  { name: 'SLL ARP', linkType: LinkType.LINUX_SLL, hdr: '00 00 00 01 00 06 02 00 00 00 00 01 00 00 08 06', body: ARP, outcome: 'not-ip' },
  { name: 'SLL with an unstripped VLAN tag', linkType: LinkType.LINUX_SLL, hdr: '00 00 00 01 00 06 02 00 00 00 00 01 00 00 81 00 00 64 08 00', encap: 1 },
  { name: 'SLL 802.2 frame', linkType: LinkType.LINUX_SLL, hdr: '00 00 00 01 00 06 02 00 00 00 00 01 00 00 00 04', body: ARP, outcome: 'not-ip' },
  { name: 'SLL2 IPv4', linkType: LinkType.LINUX_SLL2, hdr: '08 00 00 00 00 00 00 02 00 01 00 06 02 00 00 00 00 01 00 00' },
  { name: 'SLL2 IPv6', linkType: LinkType.LINUX_SLL2, hdr: '86 dd 00 00 00 00 00 02 00 01 04 06 02 00 00 00 00 01 00 00', body: SYN6, ipVer: 6 },

  // BSD loopback, either byte order.
  { name: 'NULL IPv4, little-endian', linkType: LinkType.NULL, hdr: '02 00 00 00' },
  { name: 'NULL IPv4, big-endian', linkType: LinkType.NULL, hdr: '00 00 00 02' },
  { name: 'NULL IPv6 (24, BSD)', linkType: LinkType.NULL, hdr: '18 00 00 00', body: SYN6, ipVer: 6 },
  { name: 'NULL IPv6 (28, FreeBSD)', linkType: LinkType.NULL, hdr: '1c 00 00 00', body: SYN6, ipVer: 6 },
  { name: 'NULL IPv6 (30, Darwin)', linkType: LinkType.NULL, hdr: '1e 00 00 00', body: SYN6, ipVer: 6 },
  { name: 'NULL IPv6 (30), big-endian', linkType: LinkType.NULL, hdr: '00 00 00 1e', body: SYN6, ipVer: 6 },
  { name: 'NULL unknown family', linkType: LinkType.NULL, hdr: '07 00 00 00', outcome: 'not-ip' },
  { name: 'NULL nonsense family', linkType: LinkType.NULL, hdr: '02 00 00 02', outcome: 'not-ip' },
  { name: 'NULL IPv4 family with IPv6 inside', linkType: LinkType.NULL, hdr: '02 00 00 00', body: SYN6, outcome: 'bad-ip-header' },
  { name: 'LOOP IPv4 (p0f misreads it)', linkType: LinkType.LOOP, hdr: '00 00 00 02', encap: 1 },
  { name: 'LOOP IPv6', linkType: LinkType.LOOP, hdr: '00 00 00 18', body: SYN6, encap: 1, ipVer: 6 },

  // PPP and HDLC.
  { name: 'PPP IPv4', linkType: LinkType.PPP, hdr: 'ff 03 00 21' },
  { name: 'PPP IPv6', linkType: LinkType.PPP, hdr: 'ff 03 00 57', body: SYN6, ipVer: 6 },
  { name: 'PPP without address and control', linkType: LinkType.PPP, hdr: '00 21', encap: 1 },
  { name: 'PPP with a compressed protocol', linkType: LinkType.PPP, hdr: 'ff 03 21', encap: 1 },
  { name: 'PPP LCP', linkType: LinkType.PPP, hdr: 'ff 03 c0 21', outcome: 'not-ip' },
  { name: 'PPP link carrying Cisco HDLC', linkType: LinkType.PPP, hdr: '0f 00 08 00', encap: 1 },
  { name: 'PPP_HDLC IPv4 (p0f misreads it)', linkType: LinkType.PPP_HDLC, hdr: 'ff 03 00 21', encap: 1 },
  { name: 'PPP_HDLC carrying Cisco HDLC, IPv6', linkType: LinkType.PPP_HDLC, hdr: '8f 00 86 dd', body: SYN6, encap: 1, ipVer: 6 },
  { name: 'Cisco HDLC IPv4', linkType: LinkType.C_HDLC, hdr: '0f 00 08 00' },
  { name: 'Cisco HDLC SLARP', linkType: LinkType.C_HDLC, hdr: '8f 00 80 35', body: ARP, outcome: 'not-ip' },
  { name: 'PPP_ETHER (PPPoE session, no Ethernet)', linkType: LinkType.PPP_ETHER, hdr: '11 00 12 34 00 3e 00 21' },
  { name: 'PPP_ETHER IPv6', linkType: LinkType.PPP_ETHER, hdr: '11 00 12 34 00 4a 00 57', body: SYN6, ipVer: 6 },

  // Raw IP.
  { name: 'RAW (101) IPv4', linkType: LinkType.RAW, hdr: '' },
  { name: 'RAW (101) IPv6', linkType: LinkType.RAW, hdr: '', body: SYN6, ipVer: 6 },
  { name: 'DLT_RAW 12', linkType: LinkType.RAW_12, hdr: '' },
  { name: 'DLT_RAW 14', linkType: LinkType.RAW_14, hdr: '', body: SYN6, ipVer: 6 },
  { name: 'IPV4 (228)', linkType: LinkType.IPV4, hdr: '' },
  { name: 'IPV4 (228) holding IPv6', linkType: LinkType.IPV4, hdr: '', body: SYN6, outcome: 'bad-ip-header' },
  { name: 'IPV6 (229)', linkType: LinkType.IPV6, hdr: '', body: SYN6, ipVer: 6 },
  { name: 'IPV6 (229) holding IPv4', linkType: LinkType.IPV6, hdr: '', outcome: 'bad-ip-header' },

  // Beyond p0f.
  {
    name: 'NFLOG, little-endian TLVs',
    linkType: LinkType.NFLOG,
    hdr: '02 00 00 00 08 00 0a 00 70 66 78 00 40 00 09 00',
    encap: 1,
    cut: 'not-ip',
  },
  {
    name: 'NFLOG, big-endian TLVs, IPv6',
    linkType: LinkType.NFLOG,
    hdr: '0a 00 00 00 00 08 00 0a 70 66 78 00 00 4c 00 09',
    body: SYN6,
    encap: 1,
    ipVer: 6,
    cut: 'not-ip',
  },
  { name: 'NFLOG without a payload TLV', linkType: LinkType.NFLOG, hdr: '02 00 00 00 08 00 0a 00 70 66 78 00', body: '', outcome: 'not-ip', cut: 'not-ip' },
  { name: 'NFLOG with a zero-length TLV', linkType: LinkType.NFLOG, hdr: '02 00 00 00 00 00 0a 00', outcome: 'not-ip', cut: 'not-ip' },
  { name: 'ARCNET RFC 1201', linkType: LinkType.ARCNET_LINUX, hdr: '50 be ea 00 d4 00 01 66' },
  { name: 'ARCNET RFC 1201 fragment', linkType: LinkType.ARCNET_LINUX, hdr: '50 be ea 00 d4 01 01 66', outcome: 'fragment' },
  { name: 'ARCNET RFC 1051 (p0f misses it)', linkType: LinkType.ARCNET_LINUX, hdr: '50 be ed 00 f0', encap: 1 },
  { name: 'ARCNET ARP', linkType: LinkType.ARCNET_LINUX, hdr: '50 be ea 00 d5 00 01 66', body: ARP, outcome: 'not-ip' },

  // Not decoded.
  { name: '802.11', linkType: 105, hdr: '08 02 00 00', outcome: 'unsupported-link', cut: 'unsupported-link' },
  { name: 'radiotap', linkType: 127, hdr: '00 00 08 00', outcome: 'unsupported-link', cut: 'unsupported-link' },
  { name: 'FDDI', linkType: 10, hdr: '', outcome: 'unsupported-link', cut: 'unsupported-link' },
];

describe('link layers', () => {
  for (const c of cases) {
    it(c.name, () => {
      const frame = hex(`${c.hdr} ${c.body ?? SYN4}`);
      const { outcome, pkt } = run(frame, c.linkType);
      assert.equal(outcome, c.outcome ?? 'ok');
      if (outcome !== 'ok') return;
      assert.equal(pkt.encap, c.encap ?? 0, 'encap');
      assert.equal(pkt.ipVer, c.ipVer ?? 4);
      assert.equal(pkt.ttl, 64);
      assert.equal(pkt.sport, 40000);
      assert.equal(pkt.addr[pkt.srcOff], c.ipVer === 6 ? 0x20 : 192);
      assert.equal(pkt.totHdr, c.ipVer === 6 ? 72 : 60);
    });
  }
});

describe('link headers cut short', () => {
  for (const c of cases) {
    const hdrLen = hex(c.hdr).length;
    if (hdrLen === 0 || (c.outcome ?? 'ok') !== 'ok') continue;
    it(c.name, () => {
      const frame = hex(`${c.hdr} ${c.body ?? SYN4}`);
      for (let n = 1; n < hdrLen; n++) {
        const got = run(frame.subarray(0, n), c.linkType).outcome;
        assert.ok(got === 'truncated' || got === c.cut, `cut at ${n}: ${got}`);
      }
    });
  }
  it('an empty record is truncated', () => {
    assert.equal(run(new Uint8Array(0), LinkType.ETHERNET).outcome, 'truncated');
  });
});

describe('builders match the fixtures', () => {
  const syn4 = hex(SYN4);
  const syn6 = hex(SYN6);
  const same = (a: Uint8Array, b: string) => assert.deepEqual(Buffer.from(a), hex(b));
  it('ethernet', () => same(ethernet(syn4), `${MACS} 08 00 ${SYN4}`));
  it('ethernet with tags', () =>
    same(ethernet(syn4, { tags: [{ tpid: 0x88a8, vid: 5 }, 100] }), `${MACS} 88 a8 00 05 81 00 00 64 08 00 ${SYN4}`));
  it('SNAP', () => same(ethernet(syn4, { snap: true }), `${MACS} 00 44 aa aa 03 00 00 00 08 00 ${SYN4}`));
  it('SLL', () => same(sll(syn4), `00 00 00 01 00 06 02 00 00 00 00 01 00 00 08 00 ${SYN4}`));
  it('SLL2', () => same(sll2(syn4), `08 00 00 00 00 00 00 02 00 01 00 06 02 00 00 00 00 01 00 00 ${SYN4}`));
  it('NULL', () => same(nullLink(syn6), `1e 00 00 00 ${SYN6}`));
  it('LOOP', () => same(loopLink(syn4), `00 00 00 02 ${SYN4}`));
  it('PPP', () => same(ppp(syn4), `ff 03 00 21 ${SYN4}`));
  it('Cisco HDLC', () => same(ciscoHdlc(syn4), `0f 00 08 00 ${SYN4}`));
  it('PPPoE', () => same(pppoe(syn4), `11 00 12 34 00 3e 00 21 ${SYN4}`));
  it('PPPoE over Ethernet', () => same(pppoeEthernet(syn4), `${MACS} 88 64 11 00 12 34 00 3e 00 21 ${SYN4}`));
  it('MPLS', () => same(mpls(syn4, [100, 200]), `00 06 40 40 00 0c 81 40 ${SYN4}`));
  it('NFLOG', () => same(nflog(syn4), `02 00 00 00 08 00 0a 00 70 66 78 00 40 00 09 00 ${SYN4}`));
});
