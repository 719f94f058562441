/**
 * What comes next: one table per number a header names its payload by
 * (EtherType, PPP protocol, IP protocol, UDP port), and the tunnel limit.
 * Layers ask here instead of calling each other.
 */
import { EtherType, IpProto, MAX_TUNNEL_DEPTH, PppProto, UdpPort } from './constants.js';
import type { DecodeState, Layer, Next } from './state.js';

// Local copies: V8 folds module-level constants, not imported object fields.
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
const P_GRE = IpProto.GRE;
const P_IPIP = IpProto.IPIP;
const P_IPV6 = IpProto.IPV6;
const P_TCP = IpProto.TCP;
const P_UDP = IpProto.UDP;
const PPP_IPV4 = PppProto.IPV4;
const PPP_IPV6 = PppProto.IPV6;
const PORT_AYIYA = UdpPort.AYIYA;
const PORT_GENEVE = UdpPort.GENEVE;
const PORT_GRE_UDP = UdpPort.GRE_UDP;
const PORT_GTP_U = UdpPort.GTP_U;
const PORT_TEREDO = UdpPort.TEREDO;
const PORT_VXLAN = UdpPort.VXLAN;
const PORT_VXLAN_GPE = UdpPort.VXLAN_GPE;
const L_MAX_TUNNEL_DEPTH = MAX_TUNNEL_DEPTH;

/** The layer behind an EtherType. */
export function byEtherType(st: DecodeState, type: number): Next {
  switch (type) {
    case ET_IPV4:
      return 'ipv4';
    case ET_IPV6:
      return 'ipv6';
    case ET_VLAN:
    case ET_QINQ:
    case ET_QINQ_OLD:
    case ET_QINQ_OLD2:
      return 'vlan';
    case ET_VNTAG:
      return 'vntag';
    case ET_MPLS:
    case ET_MPLS_MC:
      return 'mpls';
    case ET_PPPOE_SESS:
      // As a link type (PPP_ETHER) the session header is where p0f looks;
      // behind an EtherType it is one more layer.
      st.encap++;
      return 'pppoe';
    default:
      return 'not-ip';
  }
}

/** The layer behind a PPP protocol number. */
export function byPppProto(proto: number): Next {
  if (proto === PPP_IPV4) return 'ipv4';
  if (proto === PPP_IPV6) return 'ipv6';
  return 'not-ip';
}

/**
 * The layer behind an IP protocol number; 'not-tcp' for the ones not
 * decoded. (IPv6 extension headers are walked by the IPv6 layer.)
 */
export function byIpProto(proto: number): Layer | 'not-tcp' {
  switch (proto) {
    case P_TCP:
      return 'tcp';
    case P_UDP:
      return 'udp';
    case P_IPIP:
      return 'ipv4';
    case P_IPV6:
      return 'ipv6';
    case P_GRE:
      return 'gre';
    default:
      return 'not-tcp';
  }
}

/** The tunnel behind a well-known UDP port, or null. */
export function byUdpPort(port: number): Layer | null {
  switch (port) {
    case PORT_VXLAN:
    case PORT_VXLAN_GPE:
      return 'vxlan';
    case PORT_GENEVE:
      return 'geneve';
    case PORT_GTP_U:
      return 'gtp-u';
    case PORT_GRE_UDP:
      return 'gre';
    case PORT_TEREDO:
      return 'teredo';
    case PORT_AYIYA:
      return 'ayiya';
    default:
      return null;
  }
}

/** IPv4 or IPv6 by the version nibble, where the layer below did not say. */
export function byIpVersion(st: DecodeState): Next {
  if (st.off >= st.end) return 'truncated';
  const ver = st.buf[st.off] >> 4;
  if (ver === 4) return 'ipv4';
  if (ver === 6) return 'ipv6';
  return 'not-ip';
}

/**
 * Enter a tunnel whose payload is `next`: the one place the nesting limit
 * is kept. The header that carried the tunnel counts as one layer.
 */
export function enterTunnel(st: DecodeState, next: Layer): Next {
  if (st.depth >= L_MAX_TUNNEL_DEPTH) return 'tunnel-depth';
  st.depth++;
  st.encap++;
  return next;
}
