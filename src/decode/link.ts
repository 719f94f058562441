/**
 * Link layers, decoded by their headers rather than p0f's fixed offsets.
 *
 * `out.encap` stays 0 where p0f 3.09b finds the IP header at the same
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
  EtherType,
  LinkType,
  MAX_TUNNEL_DEPTH,
  PppProto,
} from './constants.js';
import { decodeIp } from './ip.js';
import type { DecodeOutcome, TcpPacket } from './types.js';

// Local copies: V8 folds module-level constants, not imported object fields.
const ARC_IPV4_1051 = ArcnetProto.IPV4_1051;
const ARC_IPV4_1201 = ArcnetProto.IPV4_1201;
const ARC_IPV6_1201 = ArcnetProto.IPV6_1201;
const ET_IPV4 = EtherType.IPV4;
const ET_IPV6 = EtherType.IPV6;
const ET_MPLS = EtherType.MPLS;
const ET_MPLS_MC = EtherType.MPLS_MC;
const ET_PPPOE_SESS = EtherType.PPPOE_SESS;
const ET_QINQ = EtherType.QINQ;
const ET_QINQ_OLD = EtherType.QINQ_OLD;
const ET_QINQ_OLD2 = EtherType.QINQ_OLD2;
const ET_VLAN = EtherType.VLAN;
const ET_VNTAG = EtherType.VNTAG;
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
const PPP_IPV4 = PppProto.IPV4;
const PPP_IPV6 = PppProto.IPV6;
const L_MAX_TUNNEL_DEPTH = MAX_TUNNEL_DEPTH;
const F_INET = AF_INET;
const F_INET6_BSD = AF_INET6_BSD;
const F_INET6_FREEBSD = AF_INET6_FREEBSD;
const F_INET6_DARWIN = AF_INET6_DARWIN;
const F_INET6_LINUX = AF_INET6_LINUX;

/** Decode a captured frame of link type `linkType` held in [off, end). */
export function decodeLink(
  buf: Buffer,
  off: number,
  end: number,
  linkType: number,
  out: TcpPacket,
): DecodeOutcome {
  switch (linkType) {
    case LT_ETHERNET:
      return decodeEthernet(buf, off, end, out, 0);
    case LT_RAW:
    case LT_RAW_12:
    case LT_RAW_14:
      return decodeIp(buf, off, end, out, 0, 0);
    case LT_IPV4:
      return decodeIp(buf, off, end, out, 0, 4);
    case LT_IPV6:
      return decodeIp(buf, off, end, out, 0, 6);
    case LT_LINUX_SLL:
      if (end - off < 16) return 'truncated';
      return decodeEtherType(buf, off + 16, end, (buf[off + 14] << 8) | buf[off + 15], out, 0);
    case LT_LINUX_SLL2:
      if (end - off < 20) return 'truncated';
      return decodeEtherType(buf, off + 20, end, (buf[off] << 8) | buf[off + 1], out, 0);
    case LT_NULL:
      return decodeNull(buf, off, end, out);
    case LT_LOOP:
      out.encap++;
      return decodeNull(buf, off, end, out);
    case LT_PPP:
      // p0f's filter and offset only fit FF 03 00 21 / 00 57 framing.
      if (end - off < 4) return 'truncated';
      if (buf[off] !== 0xff || buf[off + 1] !== 0x03 || (buf[off + 2] & 1) !== 0) out.encap++;
      return decodePppOrHdlc(buf, off, end, out);
    case LT_PPP_HDLC:
      out.encap++;
      return decodePppOrHdlc(buf, off, end, out);
    case LT_C_HDLC:
      return decodeCiscoHdlc(buf, off, end, out);
    case LT_PPP_ETHER:
      return decodePppoe(buf, off, end, out, 0);
    case LT_NFLOG:
      out.encap++;
      return decodeNflog(buf, off, end, out);
    case LT_ARCNET_LINUX:
      return decodeArcnet(buf, off, end, out);
    default:
      return 'unsupported-link';
  }
}

/** An Ethernet II frame (or 802.3 with LLC/SNAP) at `off`. */
export function decodeEthernet(
  buf: Buffer,
  off: number,
  end: number,
  out: TcpPacket,
  depth: number,
): DecodeOutcome {
  if (end - off < 14) return 'truncated';
  const type = (buf[off + 12] << 8) | buf[off + 13];
  if (type > 1500) return decodeEtherType(buf, off + 14, end, type, out, depth);
  // 802.3 length field: only SNAP with a zero OUI carries an EtherType.
  if (end - off < 22) return 'truncated';
  if (
    buf[off + 14] !== 0xaa ||
    buf[off + 15] !== 0xaa ||
    buf[off + 16] !== 0x03 ||
    (buf[off + 17] | buf[off + 18] | buf[off + 19]) !== 0
  ) {
    return 'not-ip';
  }
  out.encap++;
  return decodeEtherType(buf, off + 22, end, (buf[off + 20] << 8) | buf[off + 21], out, depth);
}

/**
 * What follows an EtherType `type` at `off`: IP, or a stack of VLAN tags,
 * MPLS labels or a PPPoE session on the way to it.
 */
export function decodeEtherType(
  buf: Buffer,
  off: number,
  end: number,
  type: number,
  out: TcpPacket,
  depth: number,
): DecodeOutcome {
  for (;;) {
    switch (type) {
      case ET_IPV4:
        return decodeIp(buf, off, end, out, depth, 4);
      case ET_IPV6:
        return decodeIp(buf, off, end, out, depth, 6);
      case ET_VLAN:
      case ET_QINQ:
      case ET_QINQ_OLD:
      case ET_QINQ_OLD2:
        if (end - off < 4) return 'truncated';
        type = (buf[off + 2] << 8) | buf[off + 3];
        off += 4;
        out.encap++;
        break;
      case ET_VNTAG:
        if (end - off < 6) return 'truncated';
        type = (buf[off + 4] << 8) | buf[off + 5];
        off += 6;
        out.encap++;
        break;
      case ET_MPLS:
      case ET_MPLS_MC:
        return decodeMpls(buf, off, end, out, depth);
      case ET_PPPOE_SESS:
        out.encap++;
        return decodePppoe(buf, off, end, out, depth);
      default:
        return 'not-ip';
    }
  }
}

/** An MPLS label stack, then IP (by version nibble) or a pseudowire. */
function decodeMpls(buf: Buffer, off: number, end: number, out: TcpPacket, depth: number): DecodeOutcome {
  for (;;) {
    if (end - off < 4) return 'truncated';
    const bottom = (buf[off + 2] & 0x01) !== 0;
    off += 4;
    out.encap++;
    if (bottom) break;
  }
  if (off >= end) return 'truncated';
  const nibble = buf[off] >> 4;
  if (nibble === 4) return decodeIp(buf, off, end, out, depth, 4);
  if (nibble === 6) return decodeIp(buf, off, end, out, depth, 6);
  if (nibble !== 0) return 'not-ip';
  // Ethernet pseudowire behind a control word (first nibble 0).
  if (depth >= L_MAX_TUNNEL_DEPTH) return 'tunnel-depth';
  if (end - off < 4) return 'truncated';
  out.encap += 2;
  return decodeEthernet(buf, off + 4, end, out, depth + 1);
}

/** A PPPoE session header (6 bytes), then a 2-byte PPP protocol. */
function decodePppoe(buf: Buffer, off: number, end: number, out: TcpPacket, depth: number): DecodeOutcome {
  if (end - off < 8) return 'truncated';
  if (buf[off] !== 0x11 || buf[off + 1] !== 0x00) return 'not-ip';
  return pppPayload(buf, off + 8, end, (buf[off + 6] << 8) | buf[off + 7], out, depth);
}

function pppPayload(
  buf: Buffer,
  off: number,
  end: number,
  proto: number,
  out: TcpPacket,
  depth: number,
): DecodeOutcome {
  if (proto === PPP_IPV4) return decodeIp(buf, off, end, out, depth, 4);
  if (proto === PPP_IPV6) return decodeIp(buf, off, end, out, depth, 6);
  return 'not-ip';
}

/**
 * A PPP frame: optional FF 03 address/control, then a 1-byte (compressed,
 * odd) or 2-byte protocol. Also used by PPTP's enhanced GRE.
 */
export function decodePpp(buf: Buffer, off: number, end: number, out: TcpPacket, depth: number): DecodeOutcome {
  if (end - off < 2) return 'truncated';
  if (buf[off] === 0xff && buf[off + 1] === 0x03) off += 2;
  if (off >= end) return 'truncated';
  if ((buf[off] & 1) !== 0) return pppPayload(buf, off + 1, end, buf[off], out, depth);
  if (end - off < 2) return 'truncated';
  return pppPayload(buf, off + 2, end, (buf[off] << 8) | buf[off + 1], out, depth);
}

/** PPP link types may carry Cisco HDLC framing instead (address 0x0F/0x8F). */
function decodePppOrHdlc(buf: Buffer, off: number, end: number, out: TcpPacket): DecodeOutcome {
  if (end - off >= 2 && (buf[off] === 0x0f || buf[off] === 0x8f) && buf[off + 1] === 0x00) {
    return decodeCiscoHdlc(buf, off, end, out);
  }
  return decodePpp(buf, off, end, out, 0);
}

/** Cisco HDLC: address, control, EtherType. */
function decodeCiscoHdlc(buf: Buffer, off: number, end: number, out: TcpPacket): DecodeOutcome {
  if (end - off < 4) return 'truncated';
  return decodeEtherType(buf, off + 4, end, (buf[off + 2] << 8) | buf[off + 3], out, 0);
}

/** NULL/LOOP: a 4-byte address family, in either byte order. */
function decodeNull(buf: Buffer, off: number, end: number, out: TcpPacket): DecodeOutcome {
  if (end - off < 4) return 'truncated';
  const b0 = buf[off];
  const b3 = buf[off + 3];
  // The family is small, so it sits in the first byte (little-endian) or
  // the last (big-endian), with zeros around it.
  let family: number;
  if ((buf[off + 1] | buf[off + 2]) !== 0) return 'not-ip';
  if (b3 === 0) family = b0;
  else if (b0 === 0) family = b3;
  else return 'not-ip';
  if (family === F_INET) return decodeIp(buf, off + 4, end, out, 0, 4);
  if (family === F_INET6_BSD || family === F_INET6_FREEBSD || family === F_INET6_DARWIN) {
    return decodeIp(buf, off + 4, end, out, 0, 6);
  }
  return 'not-ip';
}

/** NFLOG TLV types. */
const NFULA_PAYLOAD = 9;

/**
 * NFLOG: family, version, resource id, then TLVs (length and type in the
 * capturing host's byte order, 4-byte aligned); the packet is in the
 * payload TLV.
 */
function decodeNflog(buf: Buffer, off: number, end: number, out: TcpPacket): DecodeOutcome {
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
      const stop = p + tlvLen < end ? p + tlvLen : end;
      const want = family === F_INET ? 4 : family === F_INET6_LINUX ? 6 : 0;
      return decodeIp(buf, p + 4, stop, out, 0, want);
    }
    p += (tlvLen + 3) & ~3;
  }
  return 'not-ip';
}

/**
 * Linux ARCNET: source, destination, 2 offset bytes, protocol id; RFC 1201
 * frames add a split flag and a 2-byte sequence number, RFC 1051 ones don't.
 */
function decodeArcnet(buf: Buffer, off: number, end: number, out: TcpPacket): DecodeOutcome {
  if (end - off < 5) return 'truncated';
  const proto = buf[off + 4];
  if (proto === ARC_IPV4_1051) {
    out.encap++;
    return decodeIp(buf, off + 5, end, out, 0, 4);
  }
  if (proto !== ARC_IPV4_1201 && proto !== ARC_IPV6_1201) return 'not-ip';
  if (end - off < 8) return 'truncated';
  // A non-zero split flag marks a fragment of a larger packet.
  if (buf[off + 5] !== 0) return 'fragment';
  return decodeIp(buf, off + 8, end, out, 0, proto === ARC_IPV4_1201 ? 4 : 6);
}
