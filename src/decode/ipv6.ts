/**
 * IPv6 with p0f 3.09b's checks: payload length + 40 is the total length,
 * cut and checked as for IPv4. p0f stops at a next header other than TCP;
 * beyond it, hop-by-hop, routing, destination options, AH and first
 * fragments are walked (each one an encapsulation layer), and tunnels go to
 * tunnels.ts.
 */
import { MIN_TCP6 } from '../config.js';
import { IpProto } from './constants.js';
import { decodeTcp } from './tcp.js';
import { decodeIpPayload } from './tunnels.js';
import { Quirk, type DecodeOutcome, type TcpPacket } from './types.js';

// Local copies: V8 folds module-level constants, not imported object fields.
const P_AH = IpProto.AH;
const P_DSTOPTS = IpProto.DSTOPTS;
const P_FRAGMENT = IpProto.FRAGMENT;
const P_HOPOPTS = IpProto.HOPOPTS;
const P_ROUTING = IpProto.ROUTING;
const P_TCP = IpProto.TCP;
const Q_ECN = Quirk.ECN;
const Q_FLOW = Quirk.FLOW;
const HDR = 40;
const L_MIN_TCP6 = MIN_TCP6;

/** Decode an IPv6 packet of at least MIN_TCP4 bytes (checked by the caller). */
export function decodeIpv6(
  buf: Buffer,
  off: number,
  end: number,
  out: TcpPacket,
  depth: number,
): DecodeOutcome {
  let len = end - off;
  const totLen = ((buf[off + 4] << 8) | buf[off + 5]) + HDR;
  let next = buf[off + 6];

  if (len > totLen) len = totLen;
  if (len < L_MIN_TCP6) {
    if (next !== P_TCP) return 'not-tcp';
    return len === totLen ? 'bad-ip-header' : 'truncated';
  }
  if (totLen > len) return 'ip-length';

  const stop = off + len;
  let p = off + HDR;
  // Extension headers (never on the p0f path: next === TCP skips the loop).
  while (next !== P_TCP) {
    let hl: number;
    if (next === P_HOPOPTS || next === P_ROUTING || next === P_DSTOPTS) {
      if (p + 8 > stop) return 'truncated';
      hl = (buf[p + 1] + 1) << 3;
    } else if (next === P_FRAGMENT) {
      if (p + 8 > stop) return 'truncated';
      if ((((buf[p + 2] << 8) | buf[p + 3]) & 0xfff8) !== 0) return 'fragment';
      hl = 8;
    } else if (next === P_AH) {
      if (p + 8 > stop) return 'truncated';
      hl = (buf[p + 1] + 2) << 2;
    } else {
      return decodeIpPayload(buf, p, stop, next, out, depth);
    }
    if (p + hl > stop) return 'truncated';
    next = buf[p];
    p += hl;
    out.encap++;
  }

  let quirks = 0;
  const b1 = buf[off + 1];
  // Version (4), traffic class (8), flow label (20).
  const tclass = ((buf[off] & 0x0f) << 4) | (b1 >> 4);
  if ((tclass & 0x03) !== 0) quirks |= Q_ECN;
  if (((b1 & 0x0f) | buf[off + 2] | buf[off + 3]) !== 0) quirks |= Q_FLOW;

  out.ipVer = 6;
  out.addr = buf;
  out.srcOff = off + 8;
  out.dstOff = off + 24;
  out.ttl = buf[off + 7];
  out.tos = tclass >> 2;
  out.ipOptLen = 0;
  return decodeTcp(buf, p, stop, p - off, quirks, out);
}
