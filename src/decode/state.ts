/**
 * The decoder's scratch state and the names its layers answer with.
 *
 * One parser loop (packet.ts) drives the layers. Each layer reads its
 * header at `st.off`, moves `st.off` (and maybe `st.end`) past it, and
 * names the layer that comes next, or why decoding stops. Layers never call
 * each other; what follows a header is looked up in dispatch.ts.
 */
import { newTcpPacket, newUdpPacket, type DropReason, type TcpPacket, type UdpPacket } from './types.js';

/** A header the loop knows how to decode. */
export type Layer =
  // Link headers a capture starts with (see byLinkType).
  | 'sll' // Linux cooked capture
  | 'sll2' // Linux cooked capture v2
  | 'null' // BSD loopback: a 4-byte address family
  | 'loop' // OpenBSD loopback (the same header)
  | 'ppp-link' // PPP, or Cisco HDLC on a PPP link type
  | 'ppp-hdlc' // PPP in HDLC framing, or Cisco HDLC
  | 'c-hdlc' // Cisco HDLC
  | 'nflog' // Linux NFLOG
  | 'arcnet' // Linux ARCNET
  // Headers found anywhere.
  | 'ethernet' // Ethernet II or 802.3 + LLC/SNAP
  | 'vlan' // one 802.1Q / 802.1ad tag
  | 'vntag' // one VN-tag
  | 'mpls' // an MPLS label stack
  | 'pppoe' // a PPPoE session header
  | 'ppp' // a PPP frame (optional FF 03, 1- or 2-byte protocol)
  | 'ip' // IPv4 or IPv6, by the version nibble
  | 'ipv4'
  | 'ipv6'
  | 'tcp'
  | 'udp'
  | 'gre'
  | 'vxlan' // VXLAN and VXLAN-GPE
  | 'geneve'
  | 'gtp-u'
  | 'teredo'
  | 'ayiya';

/**
 * What a layer answers: the next layer, 'payload' when its own payload is
 * not decoded further (TCP, UDP that is no tunnel), or why it stopped.
 */
export type Next = Layer | 'payload' | DropReason;

/** What a frame decoded to: the TCP or UDP view of the state, or why neither. */
export type FrameOutcome = 'tcp' | 'udp' | DropReason;

/**
 * One reusable state per caller: the views are meaningful only after the
 * outcome that names them, and only until the next frame.
 */
export interface DecodeState {
  /** The capture buffer; never copied. */
  buf: Buffer;
  /** Where the current layer starts. */
  off: number;
  /** Where the usable bytes stop (an IP header's length may pull it in). */
  end: number;
  /** Tunnels entered so far (see enterTunnel in dispatch.ts). */
  depth: number;
  /** Headers removed beyond what p0f itself sees (VLAN tags, tunnels, ...). */
  encap: number;
  /**
   * The protocol the innermost IP header reached names for its payload
   * (after IPv6 extension headers; for a fragment, what it is a fragment
   * of); -1 before any. Lets a caller tell a UDP drop from a TCP one.
   */
  proto: number;
  // The IP layers fill the IP fields of the view (tcp or udp) their
  // payload is for; these two go to the TCP layer through the state.
  /** Length of the IP header(s) before the transport header. */
  ipHdrLen: number;
  /** The IP layer's quirk bits (TCP adds its own). */
  quirks: number;
  tcp: TcpPacket;
  udp: UdpPacket;
}

export function newDecodeState(): DecodeState {
  return {
    buf: Buffer.alloc(0),
    off: 0,
    end: 0,
    depth: 0,
    encap: 0,
    proto: -1,
    ipHdrLen: 0,
    quirks: 0,
    tcp: newTcpPacket(),
    udp: newUdpPacket(),
  };
}
