/**
 * Packet builders for tests: make the exact bytes a test needs, layer by
 * layer, and wrap them in a capture record.
 *
 * Every builder takes the inner bytes first and an optional spec second,
 * and returns a fresh Buffer. Defaults give a valid, ordinary packet; every
 * field can be overridden, including into nonsense (lengths that lie, data
 * offsets past the end), because the decoder's drop paths need that.
 *
 *   // A Linux-like SYN, over Ethernet with one VLAN tag:
 *   const syn = tcp4({ ttl: 64 }, { options: [{ mss: 1460 }, 'sok', { ts: [1, 0] }, 'nop', { ws: 7 }] });
 *   const frame = ethernet(syn, { tags: [100] });
 *   const rec = record(frame, LinkType.ETHERNET);
 *
 * Layers:
 *   TCP         tcpSegment(spec), tcpOptions(layout)
 *   IP          ipv4(payload, spec), ipv6(payload, spec), tcp4(ip, tcp), tcp6(ip, tcp)
 *   link        ethernet (VLAN/QinQ/VN tags, SNAP), sll, sll2, nullLink (either
 *               byte order), loopLink, ppp, ciscoHdlc, pppoe (session header +
 *               PPP protocol, the PPP_ETHER body), pppoeEthernet, mpls, nflog
 *   tunnels     gre (checksum/key/seq, version 1 for PPTP), erspan2, erspan3,
 *               udp, vxlan, vxlanGpe, geneve, gtpu, greUdp, teredo, ayiya,
 *               ipip / sixIn4 / fourIn6 / sixIn6 (an outer IP header)
 *   records     record(frame, linkType, {caplen, wirelen, offset}) puts the
 *               frame at `offset` inside a larger buffer, so decoders that
 *               read outside [offset, offset + caplen) get caught.
 *   hex         hex('45 00 ...') -> Buffer, toHex(buf) -> 'ab cd ...'
 *
 * IP and UDP checksums are computed (TCP's is left zero: nothing checks it).
 */
import type { PacketRecord } from '../../src/capture/types.js';
import { EtherType, LinkType } from '../../src/decode/constants.js';

export type Bytes = Uint8Array | readonly number[];

const cat = (...parts: Bytes[]): Buffer => Buffer.concat(parts.map((p) => Buffer.from(p as Uint8Array)));
const u16 = (v: number): number[] => [(v >>> 8) & 0xff, v & 0xff];
const u32 = (v: number): number[] => [(v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff];

/** Bytes from hex text; whitespace and ':' are ignored. */
export function hex(text: string): Buffer {
  const clean = text.replace(/[\s:]/g, '');
  if (clean.length % 2 !== 0 || /[^0-9a-fA-F]/.test(clean)) throw new Error(`bad hex: ${text}`);
  return Buffer.from(clean, 'hex');
}

/** Hex text with a space between bytes. */
export function toHex(buf: Uint8Array): string {
  return Buffer.from(buf).toString('hex').replace(/(..)(?!$)/g, '$1 ');
}

// ---------------------------------------------------------------- TCP

/** One item of an option layout, in p0f's vocabulary. */
export type OptItem =
  | 'eol'
  | 'nop'
  | 'sok'
  | { mss: number; len?: number }
  | { ws: number; len?: number }
  | { ts: readonly [number, number]; len?: number }
  | { sack: number }
  | { kind: number; data?: readonly number[]; len?: number }
  | { raw: readonly number[] };

/** Option bytes for a layout (no padding). `len` overrides a length byte. */
export function tcpOptions(items: readonly OptItem[]): Buffer {
  const out: number[] = [];
  for (const it of items) {
    if (it === 'eol') out.push(0);
    else if (it === 'nop') out.push(1);
    else if (it === 'sok') out.push(4, 2);
    else if ('mss' in it) out.push(2, it.len ?? 4, ...u16(it.mss));
    else if ('ws' in it) out.push(3, it.len ?? 3, it.ws);
    else if ('ts' in it) out.push(8, it.len ?? 10, ...u32(it.ts[0]), ...u32(it.ts[1]));
    else if ('sack' in it) {
      out.push(5, 2 + 8 * it.sack);
      for (let i = 0; i < it.sack * 8; i++) out.push(i);
    } else if ('kind' in it) {
      const data = it.data ?? [];
      out.push(it.kind, it.len ?? 2 + data.length, ...data);
    } else out.push(...it.raw);
  }
  return Buffer.from(out);
}

export interface TcpSpec {
  sport?: number;
  dport?: number;
  seq?: number;
  ack?: number;
  /** Flags byte (see TcpFlag); default SYN. */
  flags?: number;
  win?: number;
  urg?: number;
  /** Low nibble of the data-offset byte: NS (0x01) and reserved bits. */
  rsvd?: number;
  /**
   * Options as raw bytes or a layout. Padded with zero bytes to a multiple
   * of 4 (p0f reads a zero as EOL) unless `doff` is given.
   */
  options?: Bytes | readonly OptItem[];
  /** Data offset in bytes, written as is (may lie about the header). */
  doff?: number;
  payload?: Bytes | string;
}

function optionBytes(o: TcpSpec['options']): Buffer {
  if (o === undefined) return Buffer.alloc(0);
  if (o instanceof Uint8Array) return Buffer.from(o);
  const arr = o as readonly unknown[];
  if (arr.every((x) => typeof x === 'number')) return Buffer.from(arr as number[]);
  return tcpOptions(arr as readonly OptItem[]);
}

function payloadBytes(p: Bytes | string | undefined): Buffer {
  if (p === undefined) return Buffer.alloc(0);
  if (typeof p === 'string') return Buffer.from(p, 'latin1');
  return Buffer.from(p as Uint8Array);
}

/** A TCP header with options and payload. */
export function tcpSegment(spec: TcpSpec = {}): Buffer {
  let opts = optionBytes(spec.options);
  if (spec.doff === undefined && opts.length % 4 !== 0) {
    opts = cat(opts, new Array(4 - (opts.length % 4)).fill(0));
  }
  const doff = spec.doff ?? 20 + opts.length;
  const hdr = cat(
    u16(spec.sport ?? 40000),
    u16(spec.dport ?? 80),
    u32(spec.seq ?? 0x11223344),
    u32(spec.ack ?? 0),
    [((doff >> 2) << 4) | ((spec.rsvd ?? 0) & 0x0f), spec.flags ?? 0x02],
    u16(spec.win ?? 65535),
    [0, 0],
    u16(spec.urg ?? 0),
  );
  return cat(hdr, opts, payloadBytes(spec.payload));
}

// ---------------------------------------------------------------- IP

function checksum(b: Uint8Array): number {
  let s = 0;
  for (let i = 0; i + 1 < b.length; i += 2) s += (b[i]! << 8) | b[i + 1]!;
  if (b.length % 2) s += b[b.length - 1]! << 8;
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return ~s & 0xffff;
}

function addr4(a: string | readonly number[] | undefined, dflt: number[]): number[] {
  if (a === undefined) return dflt;
  if (typeof a === 'string') return a.split('.').map(Number);
  return [...a];
}

function addr6(a: string | readonly number[] | undefined, dflt: number[]): number[] {
  if (a === undefined) return dflt;
  if (typeof a !== 'string') return [...a];
  const [head, tail] = a.includes('::') ? a.split('::') : [a, undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = [...h, ...new Array(8 - h.length - t.length).fill('0'), ...t];
  return groups.flatMap((g) => u16(parseInt(g, 16)));
}

export interface Ip4Spec {
  src?: string | readonly number[];
  dst?: string | readonly number[];
  /** Default 64. */
  ttl?: number;
  /** Default 0x1234. */
  id?: number;
  /** Default true. */
  df?: boolean;
  /** The reserved "must be zero" flag. */
  mbz?: boolean;
  mf?: boolean;
  /** Fragment offset in 8-byte units. */
  fragOffset?: number;
  /** The whole TOS byte (DSCP << 2 | ECN). */
  tos?: number;
  /** Default 6 (TCP). */
  proto?: number;
  /** Option bytes, zero-padded to a multiple of 4. */
  options?: readonly number[];
  /** Written as is instead of the real total length. */
  totalLength?: number;
  /** Header length in bytes, written as is (IHL = hlen / 4). */
  hlen?: number;
  /** Version nibble, default 4. */
  version?: number;
}

export function ipv4(payload: Bytes, spec: Ip4Spec = {}): Buffer {
  const opts = [...(spec.options ?? [])];
  while (opts.length % 4) opts.push(0);
  const hlen = 20 + opts.length;
  const flags =
    (spec.mbz ? 0x8000 : 0) | ((spec.df ?? true) ? 0x4000 : 0) | (spec.mf ? 0x2000 : 0) | (spec.fragOffset ?? 0);
  const hdr = cat(
    [((spec.version ?? 4) << 4) | (((spec.hlen ?? hlen) >> 2) & 0x0f), spec.tos ?? 0],
    u16(spec.totalLength ?? hlen + payload.length),
    u16(spec.id ?? 0x1234),
    u16(flags),
    [spec.ttl ?? 64, spec.proto ?? 6, 0, 0],
    addr4(spec.src, [192, 0, 2, 1]),
    addr4(spec.dst, [198, 51, 100, 2]),
    opts,
  );
  hdr.writeUInt16BE(checksum(hdr), 10);
  return cat(hdr, payload);
}

/** An IPv6 extension header for Ip6Spec.ext. */
export type ExtHdr =
  | { type: 0 | 43 | 60; len?: number }
  | { type: 51; len?: number }
  | { type: 44; offset?: number; more?: boolean };

export interface Ip6Spec {
  src?: string | readonly number[];
  dst?: string | readonly number[];
  /** Hop limit, default 64. */
  ttl?: number;
  /** The whole traffic class byte (DSCP << 2 | ECN). */
  tclass?: number;
  /** Flow label (20 bits). */
  flow?: number;
  /** Next header after the extension headers; default 6 (TCP). */
  next?: number;
  ext?: readonly ExtHdr[];
  /** Written as is instead of the real payload length. */
  payloadLength?: number;
  version?: number;
}

export function ipv6(payload: Bytes, spec: Ip6Spec = {}): Buffer {
  const exts = spec.ext ?? [];
  let body: Buffer = Buffer.from(payload as Uint8Array);
  let next = spec.next ?? 6;
  for (let i = exts.length - 1; i >= 0; i--) {
    const e = exts[i]!;
    let h: number[];
    if (e.type === 44) {
      h = [next, 0, ...u16(((e.offset ?? 0) << 3) | (e.more ? 1 : 0)), ...u32(0xabcd)];
    } else if (e.type === 51) {
      const len = e.len ?? 12;
      h = [next, len / 4 - 2, 0, 0, ...new Array(len - 4).fill(0)];
    } else {
      const len = e.len ?? 8;
      h = [next, len / 8 - 1, 1, len - 4, ...new Array(len - 4).fill(0)];
    }
    body = cat(h, body);
    next = e.type;
  }
  const tc = spec.tclass ?? 0;
  const flow = spec.flow ?? 0;
  const hdr = cat(
    [((spec.version ?? 6) << 4) | (tc >> 4), ((tc & 0x0f) << 4) | ((flow >> 16) & 0x0f), (flow >> 8) & 0xff, flow & 0xff],
    u16(spec.payloadLength ?? body.length),
    [next, spec.ttl ?? 64],
    addr6(spec.src, [0x20, 0x01, 0x0d, 0xb8, ...new Array(11).fill(0), 1]),
    addr6(spec.dst, [0x20, 0x01, 0x0d, 0xb8, ...new Array(11).fill(0), 2]),
  );
  return cat(hdr, body);
}

/** An IPv4 TCP packet. */
export const tcp4 = (ip: Ip4Spec = {}, tcp: TcpSpec = {}): Buffer => ipv4(tcpSegment(tcp), ip);
/** An IPv6 TCP packet. */
export const tcp6 = (ip: Ip6Spec = {}, tcp: TcpSpec = {}): Buffer => ipv6(tcpSegment(tcp), ip);

/** The EtherType matching a packet's IP version nibble. */
function etherTypeOf(pkt: Bytes): number {
  return (pkt[0] ?? 0) >> 4 === 6 ? EtherType.IPV6 : EtherType.IPV4;
}

// ---------------------------------------------------------------- link

export interface VlanTag {
  /** Default 0x8100; 0x88a8, 0x9100 for QinQ; 0x8926 for a (6-byte) VN-tag. */
  tpid?: number;
  vid?: number;
  /** Priority (3 bits). */
  pcp?: number;
}

export interface EthSpec {
  /** EtherType after the tags; default from the payload's IP version. */
  type?: number;
  /** Outermost first; a number is a VLAN id under 0x8100. */
  tags?: readonly (VlanTag | number)[];
  /** Emit 802.3 length + LLC/SNAP instead of Ethernet II. */
  snap?: boolean;
  dst?: readonly number[];
  src?: readonly number[];
}

export function ethernet(payload: Bytes, spec: EthSpec = {}): Buffer {
  const parts: Bytes[] = [spec.dst ?? [0x02, 0, 0, 0, 0, 0x02], spec.src ?? [0x02, 0, 0, 0, 0, 0x01]];
  const type = spec.type ?? etherTypeOf(payload);
  const tags = (spec.tags ?? []).map((t) => (typeof t === 'number' ? { vid: t } : t));
  const tagBytes: number[] = [];
  for (let i = 0; i < tags.length; i++) {
    const t = tags[i]!;
    const tpid = t.tpid ?? EtherType.VLAN;
    tagBytes.push(...u16(tpid));
    if (tpid === EtherType.VNTAG) tagBytes.push(0x80, 0x00, ...u16(t.vid ?? 0));
    else tagBytes.push(...u16(((t.pcp ?? 0) << 13) | ((t.vid ?? 1) & 0x0fff)));
  }
  if (spec.snap) {
    const llc = cat([0xaa, 0xaa, 0x03, 0, 0, 0], u16(type), payload);
    return cat(...parts, tagBytes, u16(llc.length), llc);
  }
  // Each tag's TPID sits where the EtherType would; the real type goes last.
  return cat(...parts, tagBytes, u16(type), payload);
}

export interface SllSpec {
  /** Protocol (EtherType); default from the payload. */
  protocol?: number;
  /** Packet type: 0 to us, 4 outgoing. */
  pktType?: number;
  arphrd?: number;
}

/** Linux cooked capture v1 (16 bytes). */
export function sll(payload: Bytes, spec: SllSpec = {}): Buffer {
  return cat(
    u16(spec.pktType ?? 0),
    u16(spec.arphrd ?? 1),
    u16(6),
    [0x02, 0, 0, 0, 0, 0x01, 0, 0],
    u16(spec.protocol ?? etherTypeOf(payload)),
    payload,
  );
}

/** Linux cooked capture v2 (20 bytes). */
export function sll2(payload: Bytes, spec: SllSpec = {}): Buffer {
  return cat(
    u16(spec.protocol ?? etherTypeOf(payload)),
    [0, 0],
    u32(2),
    u16(spec.arphrd ?? 1),
    [spec.pktType ?? 0, 6],
    [0x02, 0, 0, 0, 0, 0x01, 0, 0],
    payload,
  );
}

export interface NullSpec {
  /** Address family; default 2 for IPv4, 30 for IPv6. */
  family?: number;
  /** Network byte order (LOOP); default host (little-endian) order. */
  bigEndian?: boolean;
}

/** BSD loopback (LINKTYPE_NULL): 4-byte family in host byte order. */
export function nullLink(payload: Bytes, spec: NullSpec = {}): Buffer {
  const fam = spec.family ?? ((payload[0] ?? 0) >> 4 === 6 ? 30 : 2);
  const h = Buffer.alloc(4);
  if (spec.bigEndian) h.writeUInt32BE(fam);
  else h.writeUInt32LE(fam);
  return cat(h, payload);
}

/** OpenBSD loopback (LINKTYPE_LOOP): family in network byte order. */
export const loopLink = (payload: Bytes, spec: NullSpec = {}): Buffer =>
  nullLink(payload, { bigEndian: true, ...spec });

export interface PppSpec {
  /** PPP protocol; default 0x0021 / 0x0057 from the payload. */
  proto?: number;
  /** FF 03 address and control; default true. */
  addressControl?: boolean;
  /** One-byte (compressed) protocol field. */
  compress?: boolean;
}

const pppProtoOf = (p: Bytes): number => ((p[0] ?? 0) >> 4 === 6 ? 0x0057 : 0x0021);

/** A PPP frame (LINKTYPE_PPP, PPP_HDLC, PPTP). */
export function ppp(payload: Bytes, spec: PppSpec = {}): Buffer {
  const proto = spec.proto ?? pppProtoOf(payload);
  return cat(
    (spec.addressControl ?? true) ? [0xff, 0x03] : [],
    spec.compress ? [proto & 0xff] : u16(proto),
    payload,
  );
}

/** Cisco HDLC: address 0x0F, control 0, EtherType. */
export function ciscoHdlc(payload: Bytes, type?: number): Buffer {
  return cat([0x0f, 0x00], u16(type ?? etherTypeOf(payload)), payload);
}

/** A PPPoE session header and PPP protocol: the body of LINKTYPE_PPP_ETHER. */
export function pppoe(payload: Bytes, spec: { session?: number; proto?: number } = {}): Buffer {
  return cat([0x11, 0x00], u16(spec.session ?? 0x1234), u16(payload.length + 2), u16(spec.proto ?? pppProtoOf(payload)), payload);
}

/** PPPoE session over Ethernet (EtherType 0x8864), with optional tags. */
export const pppoeEthernet = (payload: Bytes, spec: EthSpec = {}): Buffer =>
  ethernet(pppoe(payload), { ...spec, type: EtherType.PPPOE_SESS });

/** An MPLS label stack (bottom-of-stack set on the last); a control word before a pseudowire frame. */
export function mpls(payload: Bytes, labels: readonly number[] = [16], spec: { controlWord?: boolean } = {}): Buffer {
  const stack: number[] = [];
  labels.forEach((l, i) => stack.push(...u32(((l & 0xfffff) << 12) | (i === labels.length - 1 ? 0x100 : 0) | 64)));
  return cat(stack, spec.controlWord ? [0, 0, 0, 0] : [], payload);
}

/** Linux NFLOG: header, a prefix TLV, and the payload TLV (little-endian lengths). */
export function nflog(packet: Bytes, spec: { family?: number; bigEndian?: boolean } = {}): Buffer {
  const fam = spec.family ?? ((packet[0] ?? 0) >> 4 === 6 ? 10 : 2);
  const tlv = (type: number, value: Bytes): Buffer => {
    const h = Buffer.alloc(4);
    if (spec.bigEndian) {
      h.writeUInt16BE(value.length + 4, 0);
      h.writeUInt16BE(type, 2);
    } else {
      h.writeUInt16LE(value.length + 4, 0);
      h.writeUInt16LE(type, 2);
    }
    const pad = (4 - ((value.length + 4) % 4)) % 4;
    return cat(h, value, new Array(pad).fill(0));
  };
  return cat([fam, 0, 0, 0], tlv(10, [0x70, 0x66, 0x78, 0x00]), tlv(9, packet));
}

// ---------------------------------------------------------------- tunnels

export interface GreSpec {
  /** Protocol type; default from the payload's IP version. */
  proto?: number;
  checksum?: boolean;
  key?: number;
  seq?: number;
  /** 1 for PPTP's enhanced GRE (needs key; ack optional). */
  version?: number;
  ack?: number;
  /** Set the routing-present bit (unsupported). */
  routing?: boolean;
}

export function gre(payload: Bytes, spec: GreSpec = {}): Buffer {
  const flags =
    (spec.checksum ? 0x8000 : 0) |
    (spec.routing ? 0x4000 : 0) |
    (spec.key !== undefined ? 0x2000 : 0) |
    (spec.seq !== undefined ? 0x1000 : 0) |
    (spec.ack !== undefined ? 0x0080 : 0) |
    (spec.version ?? 0);
  const out = cat(
    u16(flags),
    u16(spec.proto ?? etherTypeOf(payload)),
    spec.checksum ? [0, 0, 0, 0] : [],
    spec.key !== undefined ? u32(spec.key) : [],
    spec.seq !== undefined ? u32(spec.seq) : [],
    spec.ack !== undefined ? u32(spec.ack) : [],
    payload,
  );
  if (spec.checksum) out.writeUInt16BE(checksum(out), 4);
  return out;
}

/** GRE carrying ERSPAN type II (or type I with `typeI`: no sequence, no header). */
export function erspan2(frame: Bytes, spec: { session?: number; typeI?: boolean } = {}): Buffer {
  if (spec.typeI) return gre(frame, { proto: EtherType.ERSPAN_2 });
  const hdr = cat(u16(0x1000 | 0), u16(spec.session ?? 1), u32(0));
  return gre(cat(hdr, frame), { proto: EtherType.ERSPAN_2, seq: 7 });
}

/** GRE carrying ERSPAN type III, optionally with the 8-byte platform subheader. */
export function erspan3(frame: Bytes, spec: { session?: number; subheader?: boolean } = {}): Buffer {
  const hdr = cat(u16(0x2000), u16(spec.session ?? 1), u32(0xdeadbeef), [0, 0, 0, spec.subheader ? 1 : 0]);
  return gre(cat(hdr, spec.subheader ? [0, 0, 0, 0, 0, 0, 0, 0] : [], frame), { proto: EtherType.ERSPAN_3, seq: 7 });
}

/** A UDP datagram (checksum left zero, which UDP over IPv4 allows). */
export function udp(payload: Bytes, spec: { sport?: number; dport?: number; length?: number } = {}): Buffer {
  return cat(u16(spec.sport ?? 50000), u16(spec.dport ?? 53), u16(spec.length ?? payload.length + 8), [0, 0], payload);
}

/** VXLAN (UDP 4789) around an Ethernet frame. */
export function vxlan(frame: Bytes, spec: { vni?: number; dport?: number } = {}): Buffer {
  return udp(cat([0x08, 0, 0, 0], u32((spec.vni ?? 42) << 8), frame), { dport: spec.dport ?? 4789 });
}

/** VXLAN-GPE (UDP 4790): next protocol 1 IPv4, 2 IPv6, 3 Ethernet. */
export function vxlanGpe(inner: Bytes, spec: { next?: number; vni?: number } = {}): Buffer {
  const next = spec.next ?? ((inner[0] ?? 0) >> 4 === 6 ? 2 : 1);
  return udp(cat([0x0c, 0, 0, next], u32((spec.vni ?? 42) << 8), inner), { dport: 4790 });
}

/** Geneve (UDP 6081): `optionBytes` of options (a multiple of 4); proto default Ethernet. */
export function geneve(inner: Bytes, spec: { proto?: number; optionBytes?: number; version?: number } = {}): Buffer {
  const ol = spec.optionBytes ?? 0;
  const opts: number[] = [];
  for (let i = 0; i < ol; i += 4) opts.push(...(i === 0 ? [0x01, 0x02, 0x80, ol / 4 - 1] : [0xaa, 0xbb, 0xcc, 0xdd]));
  return udp(
    cat([((spec.version ?? 0) << 6) | (ol >> 2), 0], u16(spec.proto ?? EtherType.TEB), u32(42 << 8), opts, inner),
    { dport: 6081 },
  );
}

/** GTP-U G-PDU (UDP 2152); `seq` adds the optional fields, `ext` a PDU session container. */
export function gtpu(inner: Bytes, spec: { teid?: number; seq?: number; ext?: boolean } = {}): Buffer {
  const opt = spec.seq !== undefined || spec.ext;
  const flags = 0x30 | (spec.ext ? 0x04 : 0) | (spec.seq !== undefined ? 0x02 : 0);
  const optional = opt ? cat(u16(spec.seq ?? 0), [0, spec.ext ? 0x85 : 0]) : Buffer.alloc(0);
  const ext = spec.ext ? [1, 0x10, 0x01, 0x00] : [];
  const body = cat(optional, ext, inner);
  return udp(cat([flags, 0xff], u16(body.length), u32(spec.teid ?? 1), body), { sport: 2152, dport: 2152 });
}

/** GRE in UDP (port 4754). */
export const greUdp = (payload: Bytes, spec: GreSpec = {}): Buffer => udp(gre(payload, spec), { dport: 4754 });

/** Teredo (UDP 3544), with optional origin indication and authentication headers. */
export function teredo(packet6: Bytes, spec: { origin?: boolean; auth?: boolean } = {}): Buffer {
  const auth = spec.auth ? cat([0, 1, 2, 3], [0xaa, 0xbb], [1, 2, 3], new Array(8).fill(9), [0]) : Buffer.alloc(0);
  const origin = spec.origin ? [0, 0, 0x12, 0x34, 1, 2, 3, 4] : [];
  return udp(cat(auth, origin, packet6), { sport: 3544, dport: 40000 });
}

/** AYIYA (UDP 5072): 16-byte identity, 20-byte signature, next header 4 or 41. */
export function ayiya(inner: Bytes, spec: { opcode?: number } = {}): Buffer {
  const next = (inner[0] ?? 0) >> 4 === 6 ? 41 : 4;
  return udp(
    cat([0x41, 0x52, 0x10 | (spec.opcode ?? 1), next], u32(0x4af64c05), new Array(16).fill(1), new Array(20).fill(2), inner),
    { dport: 5072 },
  );
}

/** An outer IPv4 header: IP-in-IP (4), 6in4 (41), GRE (47), UDP (17). */
export const ipip = (inner: Bytes, spec: Ip4Spec = {}): Buffer => ipv4(inner, { proto: 4, ttl: 200, id: 0, df: false, ...spec });
export const sixIn4 = (inner: Bytes, spec: Ip4Spec = {}): Buffer => ipv4(inner, { proto: 41, ttl: 200, ...spec });
export const fourIn6 = (inner: Bytes, spec: Ip6Spec = {}): Buffer => ipv6(inner, { next: 4, ttl: 200, ...spec });
export const sixIn6 = (inner: Bytes, spec: Ip6Spec = {}): Buffer => ipv6(inner, { next: 41, ttl: 200, ...spec });
export const overIpv4 = (proto: number, inner: Bytes, spec: Ip4Spec = {}): Buffer =>
  ipv4(inner, { proto, ttl: 200, ...spec });

// ---------------------------------------------------------------- records

export interface RecordSpec {
  caplen?: number;
  wirelen?: number;
  /** Junk bytes before the frame in the buffer (default 3). */
  offset?: number;
  /** Junk bytes after the captured part (default 5). */
  trailing?: number;
  tsSec?: number;
  tsUsec?: number;
  /** The junk byte around the frame (default 0xEE). */
  fill?: number;
}

/**
 * A capture record holding `frame`, surrounded by junk (0xEE) so that reads
 * outside the record show up. caplen defaults to the frame length and
 * wirelen to caplen; a caplen below the frame length drops the rest.
 */
export function record(frame: Bytes, linkType: number, spec: RecordSpec = {}): PacketRecord {
  const offset = spec.offset ?? 3;
  const caplen = spec.caplen ?? frame.length;
  const data = Buffer.alloc(offset + caplen + (spec.trailing ?? 5), spec.fill ?? 0xee);
  Buffer.from(frame as Uint8Array)
    .subarray(0, caplen)
    .copy(data, offset);
  return {
    linkType,
    tsSec: spec.tsSec ?? 1700000000,
    tsUsec: spec.tsUsec ?? 0,
    data,
    offset,
    caplen,
    wirelen: spec.wirelen ?? caplen,
  };
}

export { LinkType, EtherType };
