/**
 * Tunnel headers p0f never looks inside, which carry TCP (and UDP) all the
 * same: GRE (with key, sequence and checksum, transparent Ethernet
 * bridging, ERSPAN I/II/III, PPTP's enhanced GRE), and behind UDP ports
 * VXLAN and VXLAN-GPE, Geneve, GTP-U, GRE-in-UDP, Teredo and AYIYA.
 * IP-in-IP, 6in4, 4in6 and IPv6-in-IPv6 need no layer of their own: the IP
 * protocol table names the inner IP layer.
 *
 * The header that carried a tunnel (the outer IP header, or UDP) is counted
 * by enterTunnel in dispatch.ts; each header removed here adds one more to
 * `st.encap` (the tunnel header, ERSPAN, an inner Ethernet header).
 */
import { EtherType, IpProto } from './constants.js';
import { byEtherType } from './dispatch.js';
import type { DecodeState, Next } from './state.js';

const GRE_C = 0x8000;
const GRE_R = 0x4000;
const GRE_K = 0x2000;
const GRE_S = 0x1000;
/** Enhanced GRE (version 1): acknowledgment number present. */
const GRE_A = 0x0080;

export function greLayer(st: DecodeState): Next {
  const buf = st.buf;
  const off = st.off;
  const end = st.end;
  if (end - off < 4) return 'truncated';
  const flags = (buf[off] << 8) | buf[off + 1];
  const proto = (buf[off + 2] << 8) | buf[off + 3];
  const version = flags & 0x07;
  let p = off + 4;

  if (version === 1) {
    // PPTP: key (payload length, call id) always, then sequence and ack.
    if (proto !== EtherType.PPP || (flags & GRE_K) === 0) return 'not-ip';
    p += 4;
    if ((flags & GRE_S) !== 0) p += 4;
    if ((flags & GRE_A) !== 0) p += 4;
    if (p > end) return 'truncated';
    st.encap++;
    st.off = p;
    return 'ppp';
  }
  // Source routing (RFC 1701) is long obsolete; nothing uses it for TCP.
  if (version !== 0 || (flags & GRE_R) !== 0) return 'not-ip';
  if ((flags & GRE_C) !== 0) p += 4;
  if ((flags & GRE_K) !== 0) p += 4;
  if ((flags & GRE_S) !== 0) p += 4;
  if (p > end) return 'truncated';
  st.encap++;

  switch (proto) {
    case EtherType.TEB:
      st.encap++;
      st.off = p;
      return 'ethernet';
    case EtherType.ERSPAN_2: {
      // Without a sequence number this is type I: the frame follows at once.
      if ((flags & GRE_S) !== 0) {
        if (p + 8 > end) return 'truncated';
        if (buf[p] >> 4 !== 1) return 'not-ip';
        p += 8;
        st.encap++;
      }
      st.encap++;
      st.off = p;
      return 'ethernet';
    }
    case EtherType.ERSPAN_3: {
      if (p + 12 > end) return 'truncated';
      if (buf[p] >> 4 !== 2) return 'not-ip';
      // O flag: an 8-byte platform-specific subheader follows.
      st.off = p + ((buf[p + 11] & 0x01) !== 0 ? 20 : 12);
      st.encap += 2;
      return 'ethernet';
    }
    default:
      st.off = p;
      return byEtherType(st, proto);
  }
}

/** VXLAN (an Ethernet frame follows) and VXLAN-GPE (P flag: next protocol byte). */
export function vxlanLayer(st: DecodeState): Next {
  const buf = st.buf;
  const p = st.off;
  if (st.end - p < 8) return 'truncated';
  const flags = buf[p];
  st.encap++;
  st.off = p + 8;
  if ((flags & 0x04) !== 0) {
    switch (buf[p + 3]) {
      case 1:
        return 'ipv4';
      case 2:
        return 'ipv6';
      case 3:
        break;
      default:
        return 'not-ip';
    }
  }
  st.encap++;
  return 'ethernet';
}

/** Geneve: version 0, options in 4-byte words, an EtherType for what follows. */
export function geneveLayer(st: DecodeState): Next {
  const buf = st.buf;
  const p = st.off;
  if (st.end - p < 8) return 'truncated';
  if (buf[p] >> 6 !== 0) return 'not-ip';
  const optLen = (buf[p] & 0x3f) << 2;
  const proto = (buf[p + 2] << 8) | buf[p + 3];
  const q = p + 8 + optLen;
  if (q > st.end) return 'truncated';
  st.encap++;
  st.off = q;
  if (proto === EtherType.TEB) {
    st.encap++;
    return 'ethernet';
  }
  return byEtherType(st, proto);
}

/** GTP-U version 1 G-PDU, with the optional fields and extension headers. */
export function gtpuLayer(st: DecodeState): Next {
  const buf = st.buf;
  const p = st.off;
  let end = st.end;
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
  st.encap++;
  st.off = q;
  st.end = end;
  return 'ip';
}

/** Teredo: IPv6 in UDP, after optional authentication and origin indicators. */
export function teredoLayer(st: DecodeState): Next {
  const buf = st.buf;
  const end = st.end;
  let p = st.off;
  if (p + 2 <= end && buf[p] === 0 && buf[p + 1] === 1) {
    if (p + 4 > end) return 'truncated';
    // Client id, authentication value, nonce (8), confirmation (1).
    p += 4 + buf[p + 2] + buf[p + 3] + 9;
  }
  if (p + 2 <= end && buf[p] === 0 && buf[p + 1] === 0) p += 8;
  if (p >= end) return 'truncated';
  if (buf[p] >> 4 !== 6) return 'not-ip';
  st.encap++;
  st.off = p;
  return 'ipv6';
}

/** AYIYA: identity and signature sized by the header, then IPv4 or IPv6. */
export function ayiyaLayer(st: DecodeState): Next {
  const buf = st.buf;
  const p = st.off;
  if (st.end - p < 8) return 'truncated';
  const idLen = 1 << (buf[p] >> 4);
  const sigLen = (buf[p + 1] >> 4) << 2;
  const opcode = buf[p + 2] & 0x0f;
  const next = buf[p + 3];
  // Opcode 1 is "forward": a packet follows.
  if (opcode !== 1) return 'not-ip';
  const q = p + 8 + idLen + sigLen;
  if (q > st.end) return 'truncated';
  st.encap++;
  st.off = q;
  if (next === IpProto.IPIP) return 'ipv4';
  if (next === IpProto.IPV6) return 'ipv6';
  return 'not-ip';
}
