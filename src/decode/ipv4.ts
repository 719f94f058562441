/**
 * IPv4 with p0f 3.09b's checks, in its order: the packet length is cut to
 * the header's total length when that is shorter, and the packet is dropped
 * when the total length runs past the data, the header length is nonsense,
 * there is no room for TCP, the payload is not TCP, or it is a fragment.
 * Non-TCP payloads that are tunnels go to tunnels.ts.
 */
import { MIN_TCP4 } from '../config.js';
import { IpProto } from './constants.js';
import { decodeTcp } from './tcp.js';
import { decodeIpPayload, isTunnelProto } from './tunnels.js';
import { Quirk, type DecodeOutcome, type TcpPacket } from './types.js';

// Local copies: V8 folds module-level constants, not imported object fields.
const P_TCP = IpProto.TCP;
const Q_DF = Quirk.DF;
const Q_ECN = Quirk.ECN;
const Q_NZ_ID = Quirk.NZ_ID;
const Q_NZ_MBZ = Quirk.NZ_MBZ;
const Q_ZERO_ID = Quirk.ZERO_ID;
const FLAG_MBZ = 0x8000;
const FLAG_DF = 0x4000;
/** MF and the fragment offset: anything but DF and the must-be-zero bit. */
const FRAG_MASK = 0x3fff;
const L_MIN_TCP4 = MIN_TCP4;

/** Decode an IPv4 packet of at least MIN_TCP4 bytes (checked by the caller). */
export function decodeIpv4(
  buf: Buffer,
  off: number,
  end: number,
  out: TcpPacket,
  depth: number,
): DecodeOutcome {
  let len = end - off;
  const hlen = (buf[off] & 0x0f) << 2;
  const totLen = (buf[off + 2] << 8) | buf[off + 3];
  const proto = buf[off + 9];

  // A shorter claimed length wins (trailing padding, etherleak).
  if (len > totLen) len = totLen;
  if (len < L_MIN_TCP4) return proto === P_TCP ? 'bad-ip-header' : 'not-tcp';
  if (hlen < 20) return 'bad-ip-header';
  if (totLen > len) return 'ip-length';
  if (hlen + 20 > len) return 'bad-ip-header';

  const flagsOff = (buf[off + 6] << 8) | buf[off + 7];
  if (proto !== P_TCP) {
    if ((flagsOff & FRAG_MASK) !== 0) return isTunnelProto(proto) ? 'fragment' : 'not-tcp';
    return decodeIpPayload(buf, off + hlen, off + len, proto, out, depth);
  }
  if ((flagsOff & FRAG_MASK) !== 0) return 'fragment';

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

  out.ipVer = 4;
  out.addr = buf;
  out.srcOff = off + 12;
  out.dstOff = off + 16;
  out.ttl = buf[off + 8];
  out.tos = tos >> 2;
  out.ipOptLen = hlen - 20;
  return decodeTcp(buf, off + hlen, off + len, hlen, quirks, out);
}
