/**
 * Link layers, decoded by their headers rather than p0f's fixed offsets.
 *
 * `st.encap` stays 0 where p0f 3.09b finds the IP header at the same
 * place: Ethernet, NULL (either byte order), Linux SLL, PPP framed as
 * FF 03 + 2-byte protocol, PPP_ETHER, raw IP, and the link types p0f
 * auto-detects reliably (IPV4, IPV6, C_HDLC, SLL2, RFC 1201 ARCNET).
 *
 * It grows where p0f reads the wrong bytes or never sees the packet: by
 * one for LOOP and PPP_HDLC (p0f assumes 8 header bytes, there are 4),
 * other PPP framings, NFLOG and RFC 1051 ARCNET (IP at an odd offset that
 * p0f's search skips); and by one per VLAN/VN-tag, MPLS label, PPPoE
 * session header, LLC/SNAP header, pseudowire control word and inner
 * Ethernet header.
 */
import {
  AF_INET,
  AF_INET6_BSD,
  AF_INET6_DARWIN,
  AF_INET6_FREEBSD,
  AF_INET6_LINUX,
  ArcnetProto,
  LinkType,
} from './constants.js';
import { byEtherType, byPppProto, enterTunnel } from './dispatch.js';
import type { DecodeState, Next } from './state.js';

// Local copies: V8 folds module-level constants, not imported object fields.
const LT_ARCNET_LINUX = LinkType.ARCNET_LINUX;
const LT_C_HDLC = LinkType.C_HDLC;
const LT_ETHERNET = LinkType.ETHERNET;
const LT_IPV4 = LinkType.IPV4;
const LT_IPV6 = LinkType.IPV6;
const LT_LINUX_SLL = LinkType.LINUX_SLL;
const LT_LINUX_SLL2 = LinkType.LINUX_SLL2;
const LT_LOOP = LinkType.LOOP;
const LT_NFLOG = LinkType.NFLOG;
const LT_NULL = LinkType.NULL;
const LT_PPP = LinkType.PPP;
const LT_PPP_ETHER = LinkType.PPP_ETHER;
const LT_PPP_HDLC = LinkType.PPP_HDLC;
const LT_RAW = LinkType.RAW;
const LT_RAW_12 = LinkType.RAW_12;
const LT_RAW_14 = LinkType.RAW_14;

/**
 * The first layer of a frame of type `linkType`. Link types whose header
 * is where p0f 3.09b finds it too leave `encap` at 0; LOOP, PPP_HDLC and
 * NFLOG add one, and so does PPP framed other than as FF 03 + protocol.
 */
export function byLinkType(linkType: number): Next {
  switch (linkType) {
    case LT_ETHERNET:
      return 'ethernet';
    case LT_RAW:
    case LT_RAW_12:
    case LT_RAW_14:
      return 'ip';
    case LT_IPV4:
      return 'ipv4';
    case LT_IPV6:
      return 'ipv6';
    case LT_LINUX_SLL:
      return 'sll';
    case LT_LINUX_SLL2:
      return 'sll2';
    case LT_NULL:
      return 'null';
    case LT_LOOP:
      return 'loop';
    case LT_PPP:
      return 'ppp-link';
    case LT_PPP_HDLC:
      return 'ppp-hdlc';
    case LT_C_HDLC:
      return 'c-hdlc';
    case LT_PPP_ETHER:
      return 'pppoe';
    case LT_NFLOG:
      return 'nflog';
    case LT_ARCNET_LINUX:
      return 'arcnet';
    default:
      return 'unsupported-link';
  }
}

/** Linux cooked capture v1: 16 bytes, the protocol (an EtherType) last. */
export function sllLayer(st: DecodeState): Next {
  const off = st.off;
  if (st.end - off < 16) return 'truncated';
  st.off = off + 16;
  return byEtherType(st, (st.buf[off + 14] << 8) | st.buf[off + 15]);
}

/** Linux cooked capture v2: 20 bytes, the protocol (an EtherType) first. */
export function sll2Layer(st: DecodeState): Next {
  const off = st.off;
  if (st.end - off < 20) return 'truncated';
  st.off = off + 20;
  return byEtherType(st, (st.buf[off] << 8) | st.buf[off + 1]);
}

/** The PPP link type: p0f's filter and offset only fit FF 03 00 21 / 00 57 framing. */
export function pppLinkLayer(st: DecodeState): Next {
  const buf = st.buf;
  const off = st.off;
  if (st.end - off < 4) return 'truncated';
  if (buf[off] !== 0xff || buf[off + 1] !== 0x03 || (buf[off + 2] & 1) !== 0) st.encap++;
  return pppOrHdlc(st);
}

/** PPP_HDLC: p0f assumes 8 header bytes where there are 4. */
export function pppHdlcLayer(st: DecodeState): Next {
  st.encap++;
  return pppOrHdlc(st);
}

/** PPP link types may carry Cisco HDLC framing instead (address 0x0F/0x8F). */
function pppOrHdlc(st: DecodeState): Next {
  const buf = st.buf;
  const off = st.off;
  if (st.end - off >= 2 && (buf[off] === 0x0f || buf[off] === 0x8f) && buf[off + 1] === 0x00) return 'c-hdlc';
  return 'ppp';
}

/** LOOP: NULL's header, which p0f takes for 8 bytes. */
export function loopLayer(st: DecodeState): Next {
  st.encap++;
  return 'null';
}

/** An Ethernet II frame (or 802.3 with LLC/SNAP). */
export function ethernetLayer(st: DecodeState): Next {
  const buf = st.buf;
  const off = st.off;
  const len = st.end - off;
  if (len < 14) return 'truncated';
  const type = (buf[off + 12] << 8) | buf[off + 13];
  if (type > 1500) {
    st.off = off + 14;
    return byEtherType(st, type);
  }
  // 802.3 length field: only SNAP with a zero OUI carries an EtherType.
  if (len < 22) return 'truncated';
  if (
    buf[off + 14] !== 0xaa ||
    buf[off + 15] !== 0xaa ||
    buf[off + 16] !== 0x03 ||
    (buf[off + 17] | buf[off + 18] | buf[off + 19]) !== 0
  ) {
    return 'not-ip';
  }
  st.encap++;
  st.off = off + 22;
  return byEtherType(st, (buf[off + 20] << 8) | buf[off + 21]);
}

/** One 802.1Q / 802.1ad tag: priority and VLAN id, then an EtherType. */
export function vlanLayer(st: DecodeState): Next {
  const off = st.off;
  if (st.end - off < 4) return 'truncated';
  st.encap++;
  st.off = off + 4;
  return byEtherType(st, (st.buf[off + 2] << 8) | st.buf[off + 3]);
}

/** One VN-tag (6 bytes), then an EtherType. */
export function vntagLayer(st: DecodeState): Next {
  const off = st.off;
  if (st.end - off < 6) return 'truncated';
  st.encap++;
  st.off = off + 6;
  return byEtherType(st, (st.buf[off + 4] << 8) | st.buf[off + 5]);
}

/** An MPLS label stack, then IP (by version nibble) or an Ethernet pseudowire. */
export function mplsLayer(st: DecodeState): Next {
  const buf = st.buf;
  const end = st.end;
  let off = st.off;
  for (;;) {
    if (end - off < 4) return 'truncated';
    const bottom = (buf[off + 2] & 0x01) !== 0;
    off += 4;
    st.encap++;
    if (bottom) break;
  }
  st.off = off;
  if (off >= end) return 'truncated';
  const nibble = buf[off] >> 4;
  if (nibble === 4) return 'ipv4';
  if (nibble === 6) return 'ipv6';
  if (nibble !== 0) return 'not-ip';
  // Ethernet pseudowire behind a control word (first nibble 0): the
  // control word and the inner Ethernet header are one layer each.
  const next = enterTunnel(st, 'ethernet');
  if (next !== 'ethernet') return next;
  if (end - off < 4) return 'truncated';
  st.encap++;
  st.off = off + 4;
  return next;
}

/** A PPPoE session header (6 bytes), then a 2-byte PPP protocol. */
export function pppoeLayer(st: DecodeState): Next {
  const buf = st.buf;
  const off = st.off;
  if (st.end - off < 8) return 'truncated';
  if (buf[off] !== 0x11 || buf[off + 1] !== 0x00) return 'not-ip';
  st.off = off + 8;
  return byPppProto((buf[off + 6] << 8) | buf[off + 7]);
}

/**
 * A PPP frame: optional FF 03 address/control, then a 1-byte (compressed,
 * odd) or 2-byte protocol. Also what PPTP's enhanced GRE carries.
 */
export function pppLayer(st: DecodeState): Next {
  const buf = st.buf;
  const end = st.end;
  let off = st.off;
  if (end - off < 2) return 'truncated';
  if (buf[off] === 0xff && buf[off + 1] === 0x03) off += 2;
  if (off >= end) return 'truncated';
  if ((buf[off] & 1) !== 0) {
    st.off = off + 1;
    return byPppProto(buf[off]);
  }
  if (end - off < 2) return 'truncated';
  st.off = off + 2;
  return byPppProto((buf[off] << 8) | buf[off + 1]);
}

/** Cisco HDLC: address, control, EtherType. */
export function ciscoHdlcLayer(st: DecodeState): Next {
  const off = st.off;
  if (st.end - off < 4) return 'truncated';
  st.off = off + 4;
  return byEtherType(st, (st.buf[off + 2] << 8) | st.buf[off + 3]);
}

/** NULL/LOOP: a 4-byte address family, in either byte order. */
export function nullLayer(st: DecodeState): Next {
  const buf = st.buf;
  const off = st.off;
  if (st.end - off < 4) return 'truncated';
  const b0 = buf[off];
  const b3 = buf[off + 3];
  // The family is small, so it sits in the first byte (little-endian) or
  // the last (big-endian), with zeros around it.
  let family: number;
  if ((buf[off + 1] | buf[off + 2]) !== 0) return 'not-ip';
  if (b3 === 0) family = b0;
  else if (b0 === 0) family = b3;
  else return 'not-ip';
  st.off = off + 4;
  if (family === AF_INET) return 'ipv4';
  if (family === AF_INET6_BSD || family === AF_INET6_FREEBSD || family === AF_INET6_DARWIN) return 'ipv6';
  return 'not-ip';
}

/** NFLOG TLV types. */
const NFULA_PAYLOAD = 9;

/**
 * NFLOG: family, version, resource id, then TLVs (length and type in the
 * capturing host's byte order, 4-byte aligned); the packet is in the
 * payload TLV.
 */
export function nflogLayer(st: DecodeState): Next {
  st.encap++;
  const buf = st.buf;
  const off = st.off;
  const end = st.end;
  if (end - off < 4) return 'truncated';
  const family = buf[off];
  let p = off + 4;
  // Types are small: a zero low byte with a non-zero high one means the
  // lengths are big-endian.
  const bigEndian = p + 4 <= end && buf[p + 2] === 0 && buf[p + 3] !== 0;
  while (p + 4 <= end) {
    const tlvLen = bigEndian ? (buf[p] << 8) | buf[p + 1] : buf[p] | (buf[p + 1] << 8);
    const tlvType = bigEndian ? (buf[p + 2] << 8) | buf[p + 3] : buf[p + 2] | (buf[p + 3] << 8);
    if (tlvLen < 4) return 'not-ip';
    if (tlvType === NFULA_PAYLOAD) {
      st.off = p + 4;
      if (p + tlvLen < end) st.end = p + tlvLen;
      if (family === AF_INET) return 'ipv4';
      if (family === AF_INET6_LINUX) return 'ipv6';
      return 'ip';
    }
    p += (tlvLen + 3) & ~3;
  }
  return 'not-ip';
}

/**
 * Linux ARCNET: source, destination, 2 offset bytes, protocol id; RFC 1201
 * frames add a split flag and a 2-byte sequence number, RFC 1051 ones don't.
 */
export function arcnetLayer(st: DecodeState): Next {
  const buf = st.buf;
  const off = st.off;
  if (st.end - off < 5) return 'truncated';
  const proto = buf[off + 4];
  if (proto === ArcnetProto.IPV4_1051) {
    st.encap++;
    st.off = off + 5;
    return 'ipv4';
  }
  if (proto !== ArcnetProto.IPV4_1201 && proto !== ArcnetProto.IPV6_1201) return 'not-ip';
  if (st.end - off < 8) return 'truncated';
  // A non-zero split flag marks a fragment of a larger packet.
  if (buf[off + 5] !== 0) return 'fragment';
  st.off = off + 8;
  return proto === ArcnetProto.IPV4_1201 ? 'ipv4' : 'ipv6';
}
