/**
 * IPv4 with p0f 3.09b's checks, in its order: the packet length is cut to
 * the header's total length when that is shorter, and the packet is dropped
 * when the total length runs past the data, the header length is nonsense,
 * there is no room for TCP, the payload is not TCP, or it is a fragment.
 * UDP, which p0f never sees, needs room for its own 8-byte header only;
 * tunnels are checked as TCP is.
 */
import { MIN_TCP4 } from '../config.js';
import { IpProto } from './constants.js';
import { byIpProto, enterTunnel } from './dispatch.js';
import type { DecodeState, Next } from './state.js';
import { Quirk } from './types.js';

// Local copies: V8 folds module-level constants, not imported object fields.
const P_TCP = IpProto.TCP;
const Q_DF = Quirk.DF;
const Q_ECN = Quirk.ECN;
const Q_NZ_ID = Quirk.NZ_ID;
const Q_NZ_MBZ = Quirk.NZ_MBZ;
const Q_ZERO_ID = Quirk.ZERO_ID;
const L_MIN_TCP4 = MIN_TCP4;

const FLAG_MBZ = 0x8000;
const FLAG_DF = 0x4000;
/** MF and the fragment offset: anything but DF and the must-be-zero bit. */
const FRAG_MASK = 0x3fff;

export function ipv4Layer(st: DecodeState): Next {
  const buf = st.buf;
  const off = st.off;
  let len = st.end - off;
  if (len < 1) return 'truncated';
  if (buf[off] >> 4 !== 4) return 'bad-ip-header';
  if (len < 10) return 'truncated';
  const proto = buf[off + 9];
  st.proto = proto;
  const next = byIpProto(proto);
  // p0f's first check: nothing shorter than IPv4 + TCP.
  if (len < L_MIN_TCP4 && next !== 'udp') return proto === P_TCP ? 'truncated' : 'not-tcp';

  const hlen = (buf[off] & 0x0f) << 2;
  const totLen = (buf[off + 2] << 8) | buf[off + 3];
  // A shorter claimed length wins (trailing padding, etherleak).
  if (len > totLen) len = totLen;
  if (next === 'udp') {
    if (hlen < 20) return 'bad-ip-header';
    if (totLen > len) return 'ip-length';
    if (hlen + 8 > len) return 'bad-ip-header';
  } else {
    if (len < L_MIN_TCP4) return next === 'tcp' ? 'bad-ip-header' : 'not-tcp';
    if (hlen < 20) return 'bad-ip-header';
    if (totLen > len) return 'ip-length';
    if (hlen + 20 > len) return 'bad-ip-header';
  }
  const flagsOff = (buf[off + 6] << 8) | buf[off + 7];
  if ((flagsOff & FRAG_MASK) !== 0) return next === 'not-tcp' ? 'not-tcp' : 'fragment';
  if (next === 'not-tcp') return next;

  st.off = off + hlen;
  st.end = off + len;
  if (next !== 'tcp' && next !== 'udp') return enterTunnel(st, next);

  if (next === 'udp') {
    const u = st.udp;
    u.ipVer = 4;
    if (u.addr !== buf) u.addr = buf;
    u.srcOff = off + 12;
    u.dstOff = off + 16;
    u.ttl = buf[off + 8];
    return next;
  }

  let quirks = 0;
  const tos = buf[off + 1];
  if ((tos & 0x03) !== 0) quirks |= Q_ECN;
  if ((flagsOff & FLAG_MBZ) !== 0) quirks |= Q_NZ_MBZ;
  const idZero = (buf[off + 4] | buf[off + 5]) === 0;
  if ((flagsOff & FLAG_DF) !== 0) {
    quirks |= Q_DF;
    if (!idZero) quirks |= Q_NZ_ID;
  } else if (idZero) {
    quirks |= Q_ZERO_ID;
  }
  const t = st.tcp;
  t.ipVer = 4;
  if (t.addr !== buf) t.addr = buf;
  t.srcOff = off + 12;
  t.dstOff = off + 16;
  t.ttl = buf[off + 8];
  t.tos = tos >> 2;
  t.ipOptLen = hlen - 20;
  st.ipHdrLen = hlen;
  st.quirks = quirks;
  return next;
}
