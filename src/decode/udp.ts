/**
 * UDP: a tunnel when either port is a tunnel's well-known port (the
 * destination first), otherwise a datagram for the UDP view. p0f never sees
 * UDP; pof decodes it for the tunnels it carries and for QUIC.
 */
import { byUdpPort, enterTunnel } from './dispatch.js';
import type { DecodeState, Next } from './state.js';

export function udpLayer(st: DecodeState): Next {
  const buf = st.buf;
  const off = st.off;
  let end = st.end;
  if (end - off < 8) return 'truncated';
  const sport = (buf[off] << 8) | buf[off + 1];
  const dport = (buf[off + 2] << 8) | buf[off + 3];
  // The UDP length cuts the payload when shorter (0 is IPv6's jumbogram).
  const ulen = (buf[off + 4] << 8) | buf[off + 5];
  if (ulen >= 8 && off + ulen < end) end = off + ulen;
  const tunnel = byUdpPort(dport) ?? byUdpPort(sport);
  if (tunnel !== null) {
    const next = enterTunnel(st, tunnel);
    if (next !== tunnel) return next;
    // The UDP header is a layer of its own.
    st.encap++;
    st.off = off + 8;
    st.end = end;
    return next;
  }
  // The IP layer has filled in the addresses and TTL.
  const out = st.udp;
  out.sport = sport;
  out.dport = dport;
  out.payOff = off + 8;
  out.payLen = end - off - 8;
  out.encap = st.encap;
  return 'payload';
}
