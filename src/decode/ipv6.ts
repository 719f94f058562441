/**
 * IPv6 with p0f 3.09b's checks: payload length + 40 is the total length,
 * cut and checked as for IPv4. p0f stops at a next header other than TCP;
 * beyond it, hop-by-hop, routing, destination options, AH and first
 * fragments are walked (each one an encapsulation layer), and what follows
 * them is looked up like any IP protocol. UDP in a fragment, even a first
 * one, is dropped as a fragment: its datagram is not all there.
 */
import { MIN_TCP4, MIN_TCP6 } from '../config.js';
import { IpProto } from './constants.js';
import { byIpProto, enterTunnel } from './dispatch.js';
import type { DecodeState, Next } from './state.js';
import { Quirk } from './types.js';

// Local copies: V8 folds module-level constants, not imported object fields.
const P_AH = IpProto.AH;
const P_DSTOPTS = IpProto.DSTOPTS;
const P_FRAGMENT = IpProto.FRAGMENT;
const P_HOPOPTS = IpProto.HOPOPTS;
const P_ROUTING = IpProto.ROUTING;
const P_TCP = IpProto.TCP;
const P_UDP = IpProto.UDP;
const Q_ECN = Quirk.ECN;
const Q_FLOW = Quirk.FLOW;
const L_MIN_TCP4 = MIN_TCP4;
const L_MIN_TCP6 = MIN_TCP6;

const HDR = 40;

export function ipv6Layer(st: DecodeState): Next {
  const buf = st.buf;
  const off = st.off;
  let len = st.end - off;
  if (len < 1) return 'truncated';
  if (buf[off] >> 4 !== 6) return 'bad-ip-header';
  // p0f's first check (the IPv4 minimum, whatever the version).
  if (len < L_MIN_TCP4) return len >= 7 && buf[off + 6] !== P_TCP ? 'not-tcp' : 'truncated';

  const totLen = ((buf[off + 4] << 8) | buf[off + 5]) + HDR;
  let next = buf[off + 6];
  st.proto = next;

  if (len > totLen) len = totLen;
  if (len < L_MIN_TCP6 && next !== P_UDP) {
    if (next !== P_TCP) return 'not-tcp';
    return len === totLen ? 'bad-ip-header' : 'truncated';
  }
  if (totLen > len) return 'ip-length';

  const stop = off + len;
  let p = off + HDR;
  let fragment = false;
  // Extension headers (never on the p0f path: next === TCP skips the loop).
  while (next !== P_TCP) {
    let hl: number;
    if (next === P_HOPOPTS || next === P_ROUTING || next === P_DSTOPTS) {
      if (p + 8 > stop) return 'truncated';
      hl = (buf[p + 1] + 1) << 3;
    } else if (next === P_FRAGMENT) {
      if (p + 8 > stop) return 'truncated';
      st.proto = buf[p];
      if ((((buf[p + 2] << 8) | buf[p + 3]) & 0xfff8) !== 0) return 'fragment';
      fragment = (buf[p + 3] & 0x01) !== 0;
      hl = 8;
    } else if (next === P_AH) {
      if (p + 8 > stop) return 'truncated';
      hl = (buf[p + 1] + 2) << 2;
    } else {
      break;
    }
    if (p + hl > stop) return 'truncated';
    next = buf[p];
    p += hl;
    st.encap++;
  }
  st.proto = next;
  const layer = byIpProto(next);
  if (layer === 'not-tcp') return layer;
  st.off = p;
  st.end = stop;
  if (layer !== 'tcp' && layer !== 'udp') return enterTunnel(st, layer);

  if (layer === 'udp') {
    if (fragment) return 'fragment';
    const u = st.udp;
    u.ipVer = 6;
    if (u.addr !== buf) u.addr = buf;
    u.srcOff = off + 8;
    u.dstOff = off + 24;
    u.ttl = buf[off + 7];
    return layer;
  }

  let quirks = 0;
  const b1 = buf[off + 1];
  // Version (4), traffic class (8), flow label (20).
  const tclass = ((buf[off] & 0x0f) << 4) | (b1 >> 4);
  if ((tclass & 0x03) !== 0) quirks |= Q_ECN;
  if (((b1 & 0x0f) | buf[off + 2] | buf[off + 3]) !== 0) quirks |= Q_FLOW;
  const t = st.tcp;
  t.ipVer = 6;
  if (t.addr !== buf) t.addr = buf;
  t.srcOff = off + 8;
  t.dstOff = off + 24;
  t.ttl = buf[off + 7];
  t.tos = tclass >> 2;
  t.ipOptLen = 0;
  st.ipHdrLen = p - off;
  st.quirks = quirks;
  return layer;
}
