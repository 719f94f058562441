/**
 * What p0f drops because the IP payload is not TCP, but which carries TCP
 * all the same: IP-in-IP, 6in4, 4in6, IPv6-in-IPv6, GRE (with key, sequence
 * and checksum, transparent Ethernet bridging, ERSPAN I/II/III, PPTP's
 * enhanced GRE), and UDP tunnels: VXLAN and VXLAN-GPE, Geneve, GTP-U,
 * GRE-in-UDP, Teredo and AYIYA.
 *
 * Every header removed adds one to `out.encap` (the outer IP header, GRE,
 * ERSPAN, UDP, the tunnel header, an inner Ethernet header). Each tunnel
 * entered adds one to `depth`; past MAX_TUNNEL_DEPTH the packet is dropped.
 */
import { EtherType, IpProto, MAX_TUNNEL_DEPTH, UdpPort } from './constants.js';
import { decodeIp } from './ip.js';
import { decodeEtherType, decodeEthernet, decodePpp } from './link.js';
import type { DecodeOutcome, TcpPacket } from './types.js';

// Local copies: V8 folds module-level constants, not imported object fields.
const ET_ERSPAN_2 = EtherType.ERSPAN_2;
const ET_ERSPAN_3 = EtherType.ERSPAN_3;
const ET_PPP = EtherType.PPP;
const ET_TEB = EtherType.TEB;
const P_GRE = IpProto.GRE;
const P_IPIP = IpProto.IPIP;
const P_IPV6 = IpProto.IPV6;
const P_UDP = IpProto.UDP;
const PORT_AYIYA = UdpPort.AYIYA;
const PORT_GENEVE = UdpPort.GENEVE;
const PORT_GRE_UDP = UdpPort.GRE_UDP;
const PORT_GTP_U = UdpPort.GTP_U;
const PORT_TEREDO = UdpPort.TEREDO;
const PORT_VXLAN = UdpPort.VXLAN;
const PORT_VXLAN_GPE = UdpPort.VXLAN_GPE;
const L_MAX_TUNNEL_DEPTH = MAX_TUNNEL_DEPTH;

/** IP protocols that may carry a tunnel. */
export function isTunnelProto(proto: number): boolean {
  return proto === P_IPIP || proto === P_IPV6 || proto === P_GRE || proto === P_UDP;
}

/**
 * The payload of an IP packet whose protocol is not TCP, at [off, end).
 * The outer IP header counts as one layer once a tunnel is recognised.
 */
export function decodeIpPayload(
  buf: Buffer,
  off: number,
  end: number,
  proto: number,
  out: TcpPacket,
  depth: number,
): DecodeOutcome {
  if (!isTunnelProto(proto)) return 'not-tcp';
  if (depth >= L_MAX_TUNNEL_DEPTH) return 'tunnel-depth';
  out.encap++;
  switch (proto) {
    case P_IPIP:
      return decodeIp(buf, off, end, out, depth + 1, 4);
    case P_IPV6:
      return decodeIp(buf, off, end, out, depth + 1, 6);
    case P_GRE:
      return decodeGre(buf, off, end, out, depth + 1);
    default:
      return decodeUdp(buf, off, end, out, depth + 1);
  }
}

const GRE_C = 0x8000;
const GRE_R = 0x4000;
const GRE_K = 0x2000;
const GRE_S = 0x1000;
/** Enhanced GRE (version 1): acknowledgment number present. */
const GRE_A = 0x0080;

function decodeGre(buf: Buffer, off: number, end: number, out: TcpPacket, depth: number): DecodeOutcome {
  if (end - off < 4) return 'truncated';
  const flags = (buf[off] << 8) | buf[off + 1];
  const proto = (buf[off + 2] << 8) | buf[off + 3];
  const version = flags & 0x07;
  let p = off + 4;

  if (version === 1) {
    // PPTP: key (payload length, call id) always, then sequence and ack.
    if (proto !== ET_PPP || (flags & GRE_K) === 0) return 'not-ip';
    p += 4;
    if ((flags & GRE_S) !== 0) p += 4;
    if ((flags & GRE_A) !== 0) p += 4;
    if (p > end) return 'truncated';
    out.encap++;
    return decodePpp(buf, p, end, out, depth);
  }
  // Source routing (RFC 1701) is long obsolete; nothing uses it for TCP.
  if (version !== 0 || (flags & GRE_R) !== 0) return 'not-ip';
  if ((flags & GRE_C) !== 0) p += 4;
  if ((flags & GRE_K) !== 0) p += 4;
  if ((flags & GRE_S) !== 0) p += 4;
  if (p > end) return 'truncated';
  out.encap++;

  switch (proto) {
    case ET_TEB:
      out.encap++;
      return decodeEthernet(buf, p, end, out, depth);
    case ET_ERSPAN_2: {
      // Without a sequence number this is type I: the frame follows at once.
      if ((flags & GRE_S) !== 0) {
        if (p + 8 > end) return 'truncated';
        if (buf[p] >> 4 !== 1) return 'not-ip';
        p += 8;
        out.encap++;
      }
      out.encap += 1;
      return decodeEthernet(buf, p, end, out, depth);
    }
    case ET_ERSPAN_3: {
      if (p + 12 > end) return 'truncated';
      if (buf[p] >> 4 !== 2) return 'not-ip';
      // O flag: an 8-byte platform-specific subheader follows.
      p += (buf[p + 11] & 0x01) !== 0 ? 20 : 12;
      out.encap += 2;
      return decodeEthernet(buf, p, end, out, depth);
    }
    default:
      return decodeEtherType(buf, p, end, proto, out, depth);
  }
}

/** UDP tunnel kinds, by well-known port. */
const Udp = { NONE: 0, VXLAN: 1, GENEVE: 2, GTP_U: 3, GRE: 4, TEREDO: 5, AYIYA: 6 } as const;

function udpTunnel(port: number): number {
  switch (port) {
    case PORT_VXLAN:
    case PORT_VXLAN_GPE:
      return Udp.VXLAN;
    case PORT_GENEVE:
      return Udp.GENEVE;
    case PORT_GTP_U:
      return Udp.GTP_U;
    case PORT_GRE_UDP:
      return Udp.GRE;
    case PORT_TEREDO:
      return Udp.TEREDO;
    case PORT_AYIYA:
      return Udp.AYIYA;
    default:
      return Udp.NONE;
  }
}

function decodeUdp(buf: Buffer, off: number, end: number, out: TcpPacket, depth: number): DecodeOutcome {
  if (end - off < 8) return 'truncated';
  let kind = udpTunnel((buf[off + 2] << 8) | buf[off + 3]);
  if (kind === Udp.NONE) kind = udpTunnel((buf[off] << 8) | buf[off + 1]);
  if (kind === Udp.NONE) return 'not-tcp';
  const ulen = (buf[off + 4] << 8) | buf[off + 5];
  if (ulen >= 8 && off + ulen < end) end = off + ulen;
  const p = off + 8;
  out.encap++;
  switch (kind) {
    case Udp.VXLAN:
      return decodeVxlan(buf, p, end, out, depth);
    case Udp.GENEVE:
      return decodeGeneve(buf, p, end, out, depth);
    case Udp.GTP_U:
      return decodeGtpU(buf, p, end, out, depth);
    case Udp.GRE:
      return decodeGre(buf, p, end, out, depth);
    case Udp.TEREDO:
      return decodeTeredo(buf, p, end, out, depth);
    default:
      return decodeAyiya(buf, p, end, out, depth);
  }
}

/** VXLAN (an Ethernet frame follows) and VXLAN-GPE (P flag: next protocol byte). */
function decodeVxlan(buf: Buffer, p: number, end: number, out: TcpPacket, depth: number): DecodeOutcome {
  if (end - p < 8) return 'truncated';
  const flags = buf[p];
  out.encap++;
  if ((flags & 0x04) !== 0) {
    switch (buf[p + 3]) {
      case 1:
        return decodeIp(buf, p + 8, end, out, depth, 4);
      case 2:
        return decodeIp(buf, p + 8, end, out, depth, 6);
      case 3:
        break;
      default:
        return 'not-ip';
    }
  }
  out.encap++;
  return decodeEthernet(buf, p + 8, end, out, depth);
}

/** Geneve: version 0, options in 4-byte words, an EtherType for what follows. */
function decodeGeneve(buf: Buffer, p: number, end: number, out: TcpPacket, depth: number): DecodeOutcome {
  if (end - p < 8) return 'truncated';
  if (buf[p] >> 6 !== 0) return 'not-ip';
  const optLen = (buf[p] & 0x3f) << 2;
  const proto = (buf[p + 2] << 8) | buf[p + 3];
  const q = p + 8 + optLen;
  if (q > end) return 'truncated';
  out.encap++;
  if (proto === ET_TEB) {
    out.encap++;
    return decodeEthernet(buf, q, end, out, depth);
  }
  return decodeEtherType(buf, q, end, proto, out, depth);
}

/** GTP-U version 1 G-PDU, with the optional fields and extension headers. */
function decodeGtpU(buf: Buffer, p: number, end: number, out: TcpPacket, depth: number): DecodeOutcome {
  if (end - p < 8) return 'truncated';
  const flags = buf[p];
  // Version 1, protocol type GTP, message type G-PDU.
  if (flags >> 5 !== 1 || (flags & 0x10) === 0 || buf[p + 1] !== 0xff) return 'not-ip';
  const msgEnd = p + 8 + ((buf[p + 2] << 8) | buf[p + 3]);
  if (msgEnd < end) end = msgEnd;
  let q = p + 8;
  if ((flags & 0x07) !== 0) {
    // Sequence number, N-PDU number, next extension header type.
    q += 4;
    if (q > end) return 'truncated';
    let nextExt = (flags & 0x04) !== 0 ? buf[q - 1] : 0;
    while (nextExt !== 0) {
      if (q >= end) return 'truncated';
      const extLen = buf[q] << 2;
      if (extLen === 0) return 'not-ip';
      if (q + extLen > end) return 'truncated';
      nextExt = buf[q + extLen - 1];
      q += extLen;
    }
  }
  out.encap++;
  return decodeIp(buf, q, end, out, depth, 0);
}

/** Teredo: IPv6 in UDP, after optional authentication and origin indicators. */
function decodeTeredo(buf: Buffer, p: number, end: number, out: TcpPacket, depth: number): DecodeOutcome {
  if (p + 2 <= end && buf[p] === 0 && buf[p + 1] === 1) {
    if (p + 4 > end) return 'truncated';
    // Client id, authentication value, nonce (8), confirmation (1).
    p += 4 + buf[p + 2] + buf[p + 3] + 9;
  }
  if (p + 2 <= end && buf[p] === 0 && buf[p + 1] === 0) p += 8;
  if (p >= end) return 'truncated';
  if (buf[p] >> 4 !== 6) return 'not-ip';
  out.encap++;
  return decodeIp(buf, p, end, out, depth, 6);
}

/** AYIYA: identity and signature sized by the header, then IPv4 or IPv6. */
function decodeAyiya(buf: Buffer, p: number, end: number, out: TcpPacket, depth: number): DecodeOutcome {
  if (end - p < 8) return 'truncated';
  const idLen = 1 << (buf[p] >> 4);
  const sigLen = (buf[p + 1] >> 4) << 2;
  const opcode = buf[p + 2] & 0x0f;
  const next = buf[p + 3];
  // Opcode 1 is "forward": a packet follows.
  if (opcode !== 1) return 'not-ip';
  const q = p + 8 + idLen + sigLen;
  if (q > end) return 'truncated';
  out.encap++;
  if (next === P_IPIP) return decodeIp(buf, q, end, out, depth, 4);
  if (next === P_IPV6) return decodeIp(buf, q, end, out, depth, 6);
  return 'not-ip';
}
