/**
 * Property tests: the decoder never throws, always answers with a known
 * outcome, never reads outside the record, and gives back what a packet
 * was built with.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { decodeFrame, decodePacket, newDecodeState, UdpPort, type DecodeState } from '../../src/decode/index.js';
import { TcpFlag, newTcpPacket, type TcpPacket } from '../../src/decode/types.js';
import * as B from '../helpers/packet-build.js';
import { LinkType } from '../helpers/packet-build.js';
import { VALID_OUTCOMES, layoutOf, quirkNames } from './util.js';

const LINK_TYPES = [
  LinkType.NULL,
  LinkType.ETHERNET,
  LinkType.PPP,
  LinkType.RAW_12,
  LinkType.RAW_14,
  LinkType.PPP_HDLC,
  LinkType.PPP_ETHER,
  LinkType.RAW,
  LinkType.C_HDLC,
  LinkType.LOOP,
  LinkType.LINUX_SLL,
  LinkType.ARCNET_LINUX,
  LinkType.IPV4,
  LinkType.IPV6,
  LinkType.NFLOG,
  LinkType.LINUX_SLL2,
  105,
  0xffff,
];

/** Everything a decode leaves in the view, with addresses made relative to the record. */
function snapshot(outcome: string, p: TcpPacket, base: number): unknown[] {
  if (outcome !== 'ok') return [outcome];
  return [
    outcome,
    p.ipVer,
    p.srcOff - base,
    p.dstOff - base,
    p.ttl,
    p.tos,
    p.ipOptLen,
    p.totHdr,
    p.quirks,
    p.sport,
    p.dport,
    p.flags,
    p.tcpType,
    p.seq,
    p.ack,
    p.win,
    layoutOf(p).join(','),
    p.optEolPad,
    p.mss,
    p.wscale,
    p.ts1,
    p.payOff - base,
    p.payLen,
    p.encap,
  ];
}

/**
 * Decode `frame` twice, with different junk around it: any read outside
 * the record would show as a difference. Returns the outcome.
 */
function decodeFenced(frame: Uint8Array, linkType: number, caplen?: number, wirelen?: number): string {
  const spec = { offset: 5, caplen, wirelen };
  const a = B.record(frame, linkType, { ...spec, fill: 0x00 });
  const b = B.record(frame, linkType, { ...spec, fill: 0xff });
  const pa = newTcpPacket();
  const pb = newTcpPacket();
  const oa = decodePacket(a, pa);
  const ob = decodePacket(b, pb);
  assert.ok(VALID_OUTCOMES.has(oa), `unknown outcome ${oa}`);
  assert.deepEqual(snapshot(ob, pb, b.offset), snapshot(oa, pa, a.offset));
  return oa;
}

/** Valid frames of every kind the decoder knows, for prefix and mutation tests. */
function sampleFrames(): Array<[string, number, Uint8Array]> {
  const syn4 = B.tcp4({ ttl: 61 }, { options: [{ mss: 1460 }, 'sok', { ts: [7, 0] }, 'nop', { ws: 7 }], payload: 'abc' });
  const syn6 = B.tcp6({ flow: 5, ext: [{ type: 0 }] }, { options: [{ mss: 1440 }, 'nop', { ws: 8 }, 'nop', 'nop', 'sok'] });
  const eth = (p: Uint8Array) => B.ethernet(p);
  return [
    ['raw v4', LinkType.RAW, syn4],
    ['raw v6', LinkType.RAW, syn6],
    ['ethernet', LinkType.ETHERNET, eth(syn4)],
    ['vlan', LinkType.ETHERNET, B.ethernet(syn6, { tags: [1, { tpid: 0x88a8, vid: 2 }, { tpid: 0x8926 }] })],
    ['snap', LinkType.ETHERNET, B.ethernet(syn4, { snap: true })],
    ['mpls pw', LinkType.ETHERNET, B.ethernet(B.mpls(eth(syn4), [1, 2], { controlWord: true }), { type: 0x8847 })],
    ['pppoe', LinkType.ETHERNET, B.pppoeEthernet(syn6, { tags: [3] })],
    ['sll', LinkType.LINUX_SLL, B.sll(syn4)],
    ['sll2', LinkType.LINUX_SLL2, B.sll2(syn6)],
    ['null', LinkType.NULL, B.nullLink(syn6)],
    ['loop', LinkType.LOOP, B.loopLink(syn4)],
    ['ppp', LinkType.PPP, B.ppp(syn4, { compress: true })],
    ['ppp hdlc', LinkType.PPP_HDLC, B.ciscoHdlc(syn6)],
    ['c hdlc', LinkType.C_HDLC, B.ciscoHdlc(syn4)],
    ['ppp ether', LinkType.PPP_ETHER, B.pppoe(syn4)],
    ['ipv4', LinkType.IPV4, syn4],
    ['ipv6', LinkType.IPV6, syn6],
    // NFLOG pads its TLVs to 4 bytes: keep the packet a multiple of 4 so no cut is padding only.
    ['nflog', LinkType.NFLOG, B.nflog(B.tcp4())],
    ['arcnet', LinkType.ARCNET_LINUX, B.hex(`50 be ea 00 d4 00 01 66 ${B.toHex(syn4)}`)],
    ['gre', LinkType.ETHERNET, eth(B.overIpv4(47, B.gre(syn6, { checksum: true, key: 1, seq: 2 })))],
    ['gre teb', LinkType.ETHERNET, eth(B.overIpv4(47, B.gre(eth(syn4), { proto: 0x6558 })))],
    ['erspan2', LinkType.ETHERNET, eth(B.overIpv4(47, B.erspan2(eth(syn4))))],
    ['erspan3', LinkType.ETHERNET, eth(B.overIpv4(47, B.erspan3(eth(syn6), { subheader: true })))],
    ['pptp', LinkType.ETHERNET, eth(B.overIpv4(47, B.gre(B.ppp(syn4), { version: 1, proto: 0x880b, key: 1, seq: 1, ack: 1 })))],
    ['vxlan', LinkType.ETHERNET, eth(B.overIpv4(17, B.vxlan(eth(syn4))))],
    ['vxlan-gpe', LinkType.ETHERNET, eth(B.overIpv4(17, B.vxlanGpe(syn6)))],
    ['geneve', LinkType.ETHERNET, eth(B.ipv6(B.geneve(eth(syn4), { optionBytes: 8 }), { next: 17 }))],
    ['gtp-u', LinkType.ETHERNET, eth(B.overIpv4(17, B.gtpu(syn4, { seq: 1, ext: true })))],
    ['gre-udp', LinkType.ETHERNET, eth(B.overIpv4(17, B.greUdp(syn4)))],
    ['teredo', LinkType.ETHERNET, eth(B.overIpv4(17, B.teredo(syn6, { auth: true, origin: true })))],
    ['ayiya', LinkType.ETHERNET, eth(B.overIpv4(17, B.ayiya(syn6)))],
    ['ipip', LinkType.ETHERNET, eth(B.ipip(syn4))],
    ['6in4', LinkType.ETHERNET, eth(B.sixIn4(syn6))],
    ['4in6', LinkType.ETHERNET, eth(B.fourIn6(syn4))],
  ];
}

describe('random bytes', () => {
  it('never throw, for every link type, and stay inside the record', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...LINK_TYPES),
        fc.uint8Array({ minLength: 0, maxLength: 200 }),
        fc.option(fc.integer({ min: 0, max: 250 })),
        (lt, bytes, wire) => {
          decodeFenced(bytes, lt, bytes.length, wire ?? bytes.length);
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('behind a real header of every kind, never throw and stay inside the record', () => {
    const heads: Array<[number, string]> = [
      [LinkType.ETHERNET, '02 00 00 00 00 02 02 00 00 00 00 01 08 00'],
      [LinkType.ETHERNET, '02 00 00 00 00 02 02 00 00 00 00 01 86 dd'],
      [LinkType.ETHERNET, '02 00 00 00 00 02 02 00 00 00 00 01 81 00'],
      [LinkType.ETHERNET, '02 00 00 00 00 02 02 00 00 00 00 01 88 47'],
      [LinkType.ETHERNET, '02 00 00 00 00 02 02 00 00 00 00 01 88 64 11 00 00 01 00 40 00 21'],
      [LinkType.RAW, '45 00 00 80 00 00 00 00 40 2f 00 00 0a 00 00 01 0a 00 00 02'],
      [LinkType.RAW, '45 00 00 80 00 00 00 00 40 11 00 00 0a 00 00 01 0a 00 00 02 c3 50 12 b5 00 6c 00 00'],
      [LinkType.RAW, '45 00 00 80 00 00 00 00 40 11 00 00 0a 00 00 01 0a 00 00 02 c3 50 17 c1 00 6c 00 00'],
      [LinkType.RAW, '45 00 00 80 00 00 00 00 40 11 00 00 0a 00 00 01 0a 00 00 02 08 68 08 68 00 6c 00 00'],
      [LinkType.RAW, '45 00 00 80 00 00 00 00 40 11 00 00 0a 00 00 01 0a 00 00 02 0d d8 9c 40 00 6c 00 00'],
      [LinkType.RAW, '45 00 00 80 00 00 00 00 40 11 00 00 0a 00 00 01 0a 00 00 02 13 d0 9c 40 00 6c 00 00'],
      [LinkType.RAW, '45 00 00 80 00 00 00 00 40 06 00 00 0a 00 00 01 0a 00 00 02'],
      [LinkType.RAW, '60 00 00 00 00 58 00 40 20 01 0d b8 00 00 00 00 00 00 00 00 00 00 00 01 20 01 0d b8 00 00 00 00 00 00 00 00 00 00 00 02'],
      [LinkType.RAW, '60 00 00 00 00 58 06 40 20 01 0d b8 00 00 00 00 00 00 00 00 00 00 00 01 20 01 0d b8 00 00 00 00 00 00 00 00 00 00 00 02'],
      [LinkType.NFLOG, '02 00 00 00'],
    ];
    fc.assert(
      fc.property(fc.constantFrom(...heads), fc.uint8Array({ minLength: 0, maxLength: 120 }), ([lt, head], tail) => {
        decodeFenced(Buffer.concat([B.hex(head), tail]), lt);
      }),
      { numRuns: 5000 },
    );
  });

  it('odd records (caplen past the buffer, NaN, negative) are truncated, not thrown', () => {
    const pkt = newTcpPacket();
    const rec = B.record(B.tcp4(), LinkType.RAW);
    for (const patch of [{ caplen: 1e9 }, { caplen: NaN }, { wirelen: -1 }, { offset: -3 }, { offset: 1e9 }, { offset: 2.5 }]) {
      const r = { ...rec, ...patch };
      const got = decodePacket(r, pkt);
      assert.ok(VALID_OUTCOMES.has(got), JSON.stringify(patch));
    }
    // A caplen beyond the buffer is cut to the buffer: the frame still decodes.
    assert.equal(decodePacket({ ...rec, caplen: 1e9, wirelen: 1e9 }, pkt), 'ok');
    assert.equal(decodePacket({ ...rec, caplen: NaN }, pkt), 'truncated');
  });
});

describe('valid frames', () => {
  const frames = sampleFrames();
  it('all decode', () => {
    for (const [name, lt, frame] of frames) assert.equal(decodeFenced(frame, lt), 'ok', name);
  });

  it('every strict prefix of a frame decodes to a drop, never a throw', () => {
    for (const [name, lt, frame] of frames) {
      for (let n = 0; n < frame.length; n++) {
        const got = decodeFenced(frame.subarray(0, n), lt);
        assert.notEqual(got, 'ok', `${name} cut at ${n}`);
        // The same cut, as a snapshot length shorter than the wire length.
        assert.notEqual(decodeFenced(frame.subarray(0, n), lt, n, frame.length), 'ok', `${name} snap ${n}`);
      }
    }
  });

  it('random byte changes never throw and stay inside the record', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...frames),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }),
        ([, lt, frame], edits) => {
          const f = Buffer.from(frame);
          for (const [at, v] of edits) f[at % f.length] = v;
          decodeFenced(f, lt);
        },
      ),
      { numRuns: 5000 },
    );
  });
});

// ----------------------------------------------------------- round trip

type Opt = B.OptItem;

const optArb: fc.Arbitrary<Opt> = fc.oneof(
  fc.constant<Opt>('nop'),
  fc.constant<Opt>('sok'),
  fc.integer({ min: 0, max: 65535 }).map((mss): Opt => ({ mss })),
  fc.integer({ min: 0, max: 14 }).map((ws): Opt => ({ ws })),
  fc.tuple(fc.nat({ max: 0xffffffff }), fc.constantFrom(0, 1, 0xffffffff)).map(([a, b]): Opt => ({ ts: [a, b] })),
  fc.integer({ min: 1, max: 3 }).map((sack): Opt => ({ sack })),
);

const OPT_LEN: Record<string, number> = { nop: 1, sok: 2, mss: 4, ws: 3, ts: 10 };
const optLen = (o: Opt): number =>
  typeof o === 'string' ? OPT_LEN[o]! : 'sack' in o ? 2 + 8 * o.sack : OPT_LEN[Object.keys(o)[0]!]!;
const optKind = (o: Opt): number => {
  if (typeof o === 'string') return o === 'nop' ? 1 : o === 'sok' ? 4 : 0;
  return 'mss' in o ? 2 : 'ws' in o ? 3 : 'ts' in o ? 8 : 5;
};

const { SYN, ACK, PSH, ECE, CWR, RST, FIN } = TcpFlag;

const synArb = fc.record({
  v6: fc.boolean(),
  ttl: fc.integer({ min: 1, max: 255 }),
  id: fc.constantFrom(0, 1, 0xbeef),
  df: fc.boolean(),
  mbz: fc.boolean(),
  tos: fc.integer({ min: 0, max: 255 }),
  flow: fc.constantFrom(0, 1, 0xfffff),
  sport: fc.integer({ min: 0, max: 65535 }),
  dport: fc.integer({ min: 0, max: 65535 }),
  seq: fc.constantFrom(0, 1, 0x80000000, 0xffffffff),
  ack: fc.constantFrom(0, 1, 0x01000000, 0xfe000000, 0xffffffff),
  flags: fc.constantFrom(SYN, SYN | ACK, SYN | ECE | CWR, ACK | PSH, FIN | ACK, RST, SYN | PSH),
  win: fc.integer({ min: 0, max: 65535 }),
  opts: fc.array(optArb, { maxLength: 16 }).filter((os) => os.reduce((n, o) => n + optLen(o), 0) <= 40),
  payload: fc.uint8Array({ maxLength: 40 }),
  wrap: fc.integer({ min: 0, max: 12 }),
  tags: fc.integer({ min: 0, max: 3 }),
});

type SynSpec = typeof synArb extends fc.Arbitrary<infer T> ? T : never;

/** Wrap an IP packet in one of several link layers / tunnels; gives frame, link type, encap. */
function wrap(s: Pick<SynSpec, 'v6' | 'wrap' | 'tags'>, ip: Uint8Array): [Uint8Array, number, number] {
  const eth = (p: Uint8Array, tags = 0) => B.ethernet(p, { tags: new Array(tags).fill(9) });
  switch (s.wrap) {
    case 0:
      return [ip, LinkType.RAW, 0];
    case 1:
      return [eth(ip, s.tags), LinkType.ETHERNET, s.tags];
    case 2:
      return [B.sll(ip), LinkType.LINUX_SLL, 0];
    case 3:
      return [B.nullLink(ip), LinkType.NULL, 0];
    case 4:
      return [B.ppp(ip), LinkType.PPP, 0];
    case 5:
      return [B.pppoeEthernet(ip, { tags: new Array(s.tags).fill(3) }), LinkType.ETHERNET, 1 + s.tags];
    case 6:
      return [B.ethernet(B.mpls(ip, new Array(s.tags + 1).fill(20)), { type: 0x8847 }), LinkType.ETHERNET, s.tags + 1];
    case 7:
      return [eth(B.overIpv4(47, B.gre(ip, { key: 1 }))), LinkType.ETHERNET, 2];
    case 8:
      return [eth(B.overIpv4(17, B.vxlan(eth(ip, s.tags)))), LinkType.ETHERNET, 4 + s.tags];
    case 9:
      return [eth(B.overIpv4(17, B.geneve(eth(ip), { optionBytes: 4 * s.tags }))), LinkType.ETHERNET, 4];
    case 10:
      return [eth(B.overIpv4(47, B.erspan2(eth(ip)))), LinkType.ETHERNET, 4];
    case 11:
      return [eth(B.overIpv4(17, B.gtpu(ip, { seq: 1 }))), LinkType.ETHERNET, 3];
    default:
      return [eth(s.v6 ? B.sixIn4(ip) : B.ipip(ip)), LinkType.ETHERNET, 1];
  }
}

/** The quirks p0f would report for a spec, worked out independently of the decoder. */
function expectedQuirks(s: SynSpec): string {
  const q: string[] = [];
  if (!s.v6) {
    if (s.df) q.push('df');
    if (s.df && s.id !== 0) q.push('id+');
    if (!s.df && s.id === 0) q.push('id-');
  }
  const tclassEcn = (s.tos & 3) !== 0;
  const tcpEcn = (s.flags & (ECE | CWR)) !== 0;
  if (tclassEcn || tcpEcn) q.push('ecn');
  if (!s.v6 && s.mbz) q.push('0+');
  if (s.v6 && s.flow !== 0) q.push('flow');
  if (s.seq === 0) q.push('seq-');
  if (!(s.flags & ACK) && !(s.flags & RST) && ((s.ack >>> 24) & 1) === 1) q.push('ack+');
  if (s.flags & ACK && s.ack === 0) q.push('ack-');
  if (s.flags & PSH) q.push('pushf+');
  const ts = s.opts.filter((o): o is { ts: readonly [number, number] } => typeof o !== 'string' && 'ts' in o);
  if (ts.some((o) => o.ts[0] === 0)) q.push('ts1-');
  const pureSyn = (s.flags & (SYN | ACK | FIN | RST)) === SYN;
  if (pureSyn && ts.some((o) => o.ts[1] !== 0)) q.push('ts2+');
  return q.join(',');
}

describe('round trip', () => {
  it('a built packet decodes back to what it was built with', () => {
    fc.assert(
      fc.property(synArb, (s) => {
        const tcp: B.TcpSpec = {
          sport: s.sport,
          dport: s.dport,
          seq: s.seq,
          ack: s.ack,
          flags: s.flags,
          win: s.win,
          options: s.opts,
          payload: s.payload,
        };
        const ip = s.v6
          ? B.tcp6({ ttl: s.ttl, tclass: s.tos, flow: s.flow }, tcp)
          : B.tcp4({ ttl: s.ttl, id: s.id, df: s.df, mbz: s.mbz, tos: s.tos }, tcp);
        const [frame, lt, encap] = wrap(s, ip);
        const rec = B.record(frame, lt);
        const p = newTcpPacket();
        assert.equal(decodePacket(rec, p), 'ok');

        const optBytes = s.opts.reduce((n, o) => n + optLen(o), 0);
        const pad = (4 - (optBytes % 4)) % 4;
        const layout = s.opts.map(optKind);
        if (pad > 0) layout.push(0);
        const last = <K extends string>(k: K) =>
          s.opts.filter((o) => typeof o !== 'string' && k in o).at(-1) as Record<K, unknown> | undefined;

        assert.equal(p.encap, encap);
        assert.equal(p.ipVer, s.v6 ? 6 : 4);
        assert.equal(p.ttl, s.ttl);
        assert.equal(p.tos, s.tos >> 2);
        assert.equal(p.sport, s.sport);
        assert.equal(p.dport, s.dport);
        assert.equal(p.seq, s.seq);
        assert.equal(p.ack, s.ack);
        assert.equal(p.flags, s.flags);
        assert.equal(p.win, s.win);
        assert.deepEqual(layoutOf(p), layout);
        assert.equal(p.optEolPad, pad > 0 ? pad - 1 : 0);
        assert.equal(p.mss, (last('mss')?.mss as number | undefined) ?? 0);
        assert.equal(p.wscale, (last('ws')?.ws as number | undefined) ?? 0);
        assert.equal(p.ts1, (last('ts')?.ts as [number, number] | undefined)?.[0] ?? 0);
        assert.equal(quirkNames(p.quirks), expectedQuirks(s));
        assert.equal(p.ipOptLen, 0);
        assert.equal(p.totHdr, (s.v6 ? 40 : 20) + 20 + optBytes + pad);
        assert.equal(p.payLen, s.payload.length);
        assert.deepEqual(
          Buffer.from(p.addr.subarray(p.payOff, p.payOff + p.payLen)),
          Buffer.from(s.payload),
        );
        const srcHead = p.addr[p.srcOff];
        assert.equal(srcHead, s.v6 ? 0x20 : 192);
      }),
      { numRuns: 2000 },
    );
  });
});

// ----------------------------------------------------------------- UDP

/** Both views after decodeFrame, with offsets relative to the record. */
function frameSnapshot(outcome: string, st: DecodeState, base: number): unknown[] {
  if (outcome === 'tcp') return snapshot('ok', st.tcp, base);
  if (outcome !== 'udp') return [outcome];
  const u = st.udp;
  return [outcome, u.ipVer, u.srcOff - base, u.dstOff - base, u.ttl, u.sport, u.dport, u.payOff - base, u.payLen, u.encap];
}

const FRAME_OUTCOMES: ReadonlySet<string> = new Set<string>(['tcp', 'udp', ...[...VALID_OUTCOMES].filter((o) => o !== 'ok')]);

/** decodeFenced for decodeFrame: junk around the record must change nothing; the UDP view stays inside it. */
function frameFenced(frame: Uint8Array, linkType: number, caplen?: number, wirelen?: number): string {
  const spec = { offset: 5, caplen, wirelen };
  const a = B.record(frame, linkType, { ...spec, fill: 0x00 });
  const b = B.record(frame, linkType, { ...spec, fill: 0xff });
  const sa = newDecodeState();
  const sb = newDecodeState();
  const oa = decodeFrame(a, sa);
  const ob = decodeFrame(b, sb);
  assert.ok(FRAME_OUTCOMES.has(oa), `unknown outcome ${oa}`);
  assert.deepEqual(frameSnapshot(ob, sb, b.offset), frameSnapshot(oa, sa, a.offset));
  if (oa === 'udp') {
    const u = sa.udp;
    const stop = a.offset + Math.min(a.caplen, a.wirelen);
    assert.ok(u.payLen >= 0 && u.payOff >= a.offset && u.payOff + u.payLen <= stop, 'payload inside the record');
    assert.ok(u.srcOff >= a.offset && u.dstOff + (u.ipVer === 4 ? 4 : 16) <= stop, 'addresses inside the record');
  }
  return oa;
}

const TUNNEL_PORTS: ReadonlySet<number> = new Set(Object.values(UdpPort));
const portArb = fc.integer({ min: 0, max: 65535 }).filter((p) => !TUNNEL_PORTS.has(p));

function udpFrames(): Array<[string, number, Uint8Array]> {
  const d4 = B.ipv4(B.udp(B.hex('c3 00 00 00 01 08 01 02 03'), { sport: 50000, dport: 443 }), { proto: 17 });
  const d6 = B.ipv6(B.udp(B.hex('40 01 02 03'), { sport: 443, dport: 50000 }), { next: 17, ext: [{ type: 60 }] });
  const eth = (p: Uint8Array) => B.ethernet(p);
  return [
    ['raw v4', LinkType.RAW, d4],
    ['raw v6', LinkType.RAW, d6],
    ['vlan', LinkType.ETHERNET, B.ethernet(d4, { tags: [1, 2] })],
    ['sll', LinkType.LINUX_SLL, B.sll(d6)],
    ['gre', LinkType.ETHERNET, eth(B.overIpv4(47, B.gre(d6, { key: 1 })))],
    ['vxlan', LinkType.ETHERNET, eth(B.overIpv4(17, B.vxlan(eth(d4))))],
    ['gtp-u', LinkType.ETHERNET, eth(B.overIpv4(17, B.gtpu(d4, { seq: 1, ext: true })))],
    ['teredo', LinkType.ETHERNET, eth(B.overIpv4(17, B.teredo(B.ipv6(B.udp(B.hex('01')), { next: 17 }), { origin: true })))],
  ];
}

describe('UDP, through decodeFrame', () => {
  it('random bytes never throw, for every link type, and stay inside the record', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...LINK_TYPES),
        fc.uint8Array({ minLength: 0, maxLength: 200 }),
        fc.option(fc.integer({ min: 0, max: 250 })),
        (lt, bytes, wire) => {
          frameFenced(bytes, lt, bytes.length, wire ?? bytes.length);
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('random bytes behind IPv4 and IPv6 headers that say UDP never throw', () => {
    const heads = [
      '45 00 00 40 00 00 00 00 40 11 00 00 0a 00 00 01 0a 00 00 02',
      '46 00 00 40 00 00 20 00 40 11 00 00 0a 00 00 01 0a 00 00 02 01 01 01 00',
      '60 00 00 00 00 20 11 40 20 01 0d b8 00 00 00 00 00 00 00 00 00 00 00 01 20 01 0d b8 00 00 00 00 00 00 00 00 00 00 00 02',
      '60 00 00 00 00 20 2c 40 20 01 0d b8 00 00 00 00 00 00 00 00 00 00 00 01 20 01 0d b8 00 00 00 00 00 00 00 00 00 00 00 02',
    ];
    fc.assert(
      fc.property(fc.constantFrom(...heads), fc.uint8Array({ minLength: 0, maxLength: 80 }), fc.boolean(), (head, tail, eth) => {
        const ip = Buffer.concat([B.hex(head), tail]);
        frameFenced(eth ? B.ethernet(ip) : ip, eth ? LinkType.ETHERNET : LinkType.RAW);
      }),
      { numRuns: 4000 },
    );
  });

  it('every UDP sample decodes; every strict prefix of one is a drop; byte changes never throw', () => {
    for (const [name, lt, frame] of udpFrames()) {
      assert.equal(frameFenced(frame, lt), 'udp', name);
      for (let n = 0; n < frame.length; n++) {
        assert.notEqual(frameFenced(frame.subarray(0, n), lt, n, frame.length), 'udp', `${name} snap ${n}`);
      }
    }
    fc.assert(
      fc.property(
        fc.constantFrom(...udpFrames()),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }),
        ([, lt, frame], edits) => {
          const f = Buffer.from(frame);
          for (const [at, v] of edits) f[at % f.length] = v;
          frameFenced(f, lt);
        },
      ),
      { numRuns: 5000 },
    );
  });

  it('a built datagram decodes back to what it was built with, however wrapped', () => {
    const arb = fc.record({
      v6: fc.boolean(),
      ttl: fc.integer({ min: 1, max: 255 }),
      sport: portArb,
      dport: portArb,
      payload: fc.uint8Array({ maxLength: 60 }),
      wrap: fc.integer({ min: 0, max: 12 }),
      tags: fc.integer({ min: 0, max: 3 }),
    });
    fc.assert(
      fc.property(arb, (s) => {
        const d = B.udp(s.payload, { sport: s.sport, dport: s.dport });
        const ip = s.v6 ? B.ipv6(d, { next: 17, ttl: s.ttl }) : B.ipv4(d, { proto: 17, ttl: s.ttl });
        const [frame, lt, encap] = wrap(s, ip);
        const st = newDecodeState();
        assert.equal(decodeFrame(B.record(frame, lt), st), 'udp');
        const u = st.udp;
        assert.equal(u.encap, encap);
        assert.equal(u.ipVer, s.v6 ? 6 : 4);
        assert.equal(u.ttl, s.ttl);
        assert.equal(u.sport, s.sport);
        assert.equal(u.dport, s.dport);
        assert.deepEqual(Buffer.from(u.addr.subarray(u.payOff, u.payOff + u.payLen)), Buffer.from(s.payload));
        assert.equal(u.addr[u.srcOff], s.v6 ? 0x20 : 192);
        assert.equal(u.addr[u.dstOff + (s.v6 ? 15 : 3)], 2);
      }),
      { numRuns: 2000 },
    );
  });
});
