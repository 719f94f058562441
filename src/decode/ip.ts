/**
 * Entry to the network layer: picks IPv4 or IPv6 by the version nibble,
 * after p0f's first length check (nothing shorter than IPv4 + TCP).
 */
import { MIN_TCP4 } from '../config.js';
import { IpProto } from './constants.js';
import { decodeIpv4 } from './ipv4.js';
import { decodeIpv6 } from './ipv6.js';
import type { DecodeOutcome, TcpPacket } from './types.js';

// Local copies: V8 folds module-level constants, not imported object fields.
const P_TCP = IpProto.TCP;
const L_MIN_TCP4 = MIN_TCP4;

/**
 * Decode the IP packet at `off`; `end` is where the usable bytes stop.
 * `want` is the version the layer below announced (4 or 6), or 0 when it
 * did not say (raw IP, GTP-U); a different version is a bad header.
 * (p0f goes by the nibble alone and would parse such a packet as the
 * other version; that takes a broken sender, and pof drops it instead.)
 */
export function decodeIp(
  buf: Buffer,
  off: number,
  end: number,
  out: TcpPacket,
  depth: number,
  want: 0 | 4 | 6,
): DecodeOutcome {
  const len = end - off;
  if (len < 1) return 'truncated';
  const ver = buf[off] >> 4;
  if (want !== 0 && ver !== want) return 'bad-ip-header';
  if (len < L_MIN_TCP4) {
    // p0f gives up here whatever the packet is; say why as well as we can.
    if (ver === 4 && len >= 10 && buf[off + 9] !== P_TCP) return 'not-tcp';
    if (ver === 6 && len >= 7 && buf[off + 6] !== P_TCP) return 'not-tcp';
    return ver === 4 || ver === 6 ? 'truncated' : 'not-ip';
  }
  if (ver === 4) return decodeIpv4(buf, off, end, out, depth);
  if (ver === 6) return decodeIpv6(buf, off, end, out, depth);
  return want === 0 ? 'not-ip' : 'bad-ip-header';
}
