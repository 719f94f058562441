/**
 * The parser loop: a capture record in, a TCP or UDP view out. Each layer
 * decodes its own header and names the next one; the loop only calls the
 * layer named. It never throws and never allocates; the views are
 * meaningful only for the outcome that names them, until the next call.
 */
import type { PacketRecord } from '../capture/types.js';
import { SNAPLEN } from '../config.js';
import { ipv4Layer } from './ipv4.js';
import { ipv6Layer } from './ipv6.js';
import { byIpVersion } from './dispatch.js';
import {
  arcnetLayer,
  byLinkType,
  ciscoHdlcLayer,
  ethernetLayer,
  loopLayer,
  mplsLayer,
  nflogLayer,
  nullLayer,
  pppHdlcLayer,
  pppLayer,
  pppLinkLayer,
  pppoeLayer,
  sll2Layer,
  sllLayer,
  vlanLayer,
  vntagLayer,
} from './link.js';
import { newDecodeState, type DecodeState, type FrameOutcome, type Next } from './state.js';
import { tcpLayer } from './tcp.js';
import { ayiyaLayer, geneveLayer, greLayer, gtpuLayer, teredoLayer, vxlanLayer } from './tunnels.js';
import type { DecodeOutcome, TcpPacket } from './types.js';
import { udpLayer } from './udp.js';

// A local copy: V8 folds module-level constants, not imported bindings.
const SNAP = SNAPLEN;

/** Decode one captured frame into `st.tcp` ('tcp') or `st.udp` ('udp'). */
export function decodeFrame(rec: PacketRecord, st: DecodeState): FrameOutcome {
  const buf = rec.data;
  const off = rec.offset;
  // As p0f: the smaller of wire and captured length, at most SNAPLEN; and
  // never past the buffer, whatever the record claims.
  let len = rec.caplen;
  if (rec.wirelen < len) len = rec.wirelen;
  if (len > SNAP) len = SNAP;
  const room = buf.length - off;
  if (len > room) len = room;
  // Also catches NaN, negative and fractional offsets or lengths.
  if (!(len > 0) || !(off >= 0) || Math.floor(off) !== off) return 'truncated';
  // A pointer store costs a write barrier; a capture hands on one buffer for many packets.
  if (st.buf !== buf) st.buf = buf;
  st.off = off;
  st.end = off + Math.floor(len);
  st.depth = 0;
  st.encap = 0;
  st.proto = -1;
  // Each layer moves past at least one byte, or enters a tunnel (at most
  // MAX_TUNNEL_DEPTH of them), or is a link header naming one that does;
  // so the loop ends.
  let next: Next = byLinkType(rec.linkType);
  for (;;) {
    // The layers p0f's own packets take come first, tried in the order they
    // follow each other rather than through the switch: the JIT can then
    // follow the common path straight through (the switch alone costs TCP
    // about 5% of its decoding time). A layer they name for which they are
    // not the next test (a tunnel's inner packet) goes round again.
    if (next === 'ethernet') next = ethernetLayer(st);
    if (next === 'ipv4') next = ipv4Layer(st);
    else if (next === 'ipv6') next = ipv6Layer(st);
    if (next === 'tcp') {
      const r = tcpLayer(st);
      return r === 'payload' ? 'tcp' : r;
    }
    switch (next) {
      case 'ethernet':
      case 'ipv4':
      case 'ipv6':
        break;
      case 'udp':
        next = udpLayer(st);
        if (next === 'payload') return 'udp';
        break;
      case 'vlan':
        next = vlanLayer(st);
        break;
      case 'vntag':
        next = vntagLayer(st);
        break;
      case 'mpls':
        next = mplsLayer(st);
        break;
      case 'pppoe':
        next = pppoeLayer(st);
        break;
      case 'ppp':
        next = pppLayer(st);
        break;
      case 'gre':
        next = greLayer(st);
        break;
      case 'vxlan':
        next = vxlanLayer(st);
        break;
      case 'geneve':
        next = geneveLayer(st);
        break;
      case 'gtp-u':
        next = gtpuLayer(st);
        break;
      case 'teredo':
        next = teredoLayer(st);
        break;
      case 'ayiya':
        next = ayiyaLayer(st);
        break;
      case 'ip':
        next = byIpVersion(st);
        break;
      case 'sll':
        next = sllLayer(st);
        break;
      case 'sll2':
        next = sll2Layer(st);
        break;
      case 'null':
        next = nullLayer(st);
        break;
      case 'loop':
        next = loopLayer(st);
        break;
      case 'ppp-link':
        next = pppLinkLayer(st);
        break;
      case 'ppp-hdlc':
        next = pppHdlcLayer(st);
        break;
      case 'c-hdlc':
        next = ciscoHdlcLayer(st);
        break;
      case 'nflog':
        next = nflogLayer(st);
        break;
      case 'arcnet':
        next = arcnetLayer(st);
        break;
      case 'payload':
        // Only TCP and UDP answer 'payload', and they are handled above.
        return 'not-tcp';
      default:
        return next;
    }
  }
}

const tcpOnly = newDecodeState();

/**
 * decodeFrame for callers that want TCP only: fills `out` ('ok'); UDP
 * counts as 'not-tcp', as it does for p0f.
 */
export function decodePacket(rec: PacketRecord, out: TcpPacket): DecodeOutcome {
  tcpOnly.tcp = out;
  const r = decodeFrame(rec, tcpOnly);
  if (r === 'tcp') return 'ok';
  if (r === 'udp') return 'not-tcp';
  return r;
}
