/**
 * TCP header and option parsing with p0f 3.09b's semantics (process.c,
 * parse_packet): the same sanity checks, quirks and option walk, including
 * its odd corners, which are called out where they happen.
 */
import { MAX_TCP_OPT } from '../config.js';
import type { DecodeState } from './state.js';
import { Quirk, TcpFlag, TcpOpt, type DropReason } from './types.js';

// Local copies: V8 folds module-level constants, not imported object fields.
const Q_ECN = Quirk.ECN;
const Q_NZ_ACK = Quirk.NZ_ACK;
const Q_NZ_URG = Quirk.NZ_URG;
const Q_OPT_BAD = Quirk.OPT_BAD;
const Q_OPT_EOL_NZ = Quirk.OPT_EOL_NZ;
const Q_OPT_EXWS = Quirk.OPT_EXWS;
const Q_OPT_NZ_TS2 = Quirk.OPT_NZ_TS2;
const Q_OPT_ZERO_TS1 = Quirk.OPT_ZERO_TS1;
const Q_PUSH = Quirk.PUSH;
const Q_URG = Quirk.URG;
const Q_ZERO_ACK = Quirk.ZERO_ACK;
const Q_ZERO_SEQ = Quirk.ZERO_SEQ;
const F_ACK = TcpFlag.ACK;
const F_CWR = TcpFlag.CWR;
const F_ECE = TcpFlag.ECE;
const F_FIN = TcpFlag.FIN;
const F_PSH = TcpFlag.PSH;
const F_RST = TcpFlag.RST;
const F_SYN = TcpFlag.SYN;
const F_URG = TcpFlag.URG;
const OPT_EOL = TcpOpt.EOL;
const OPT_MSS = TcpOpt.MSS;
const OPT_NOP = TcpOpt.NOP;
const OPT_SACK = TcpOpt.SACK;
const OPT_SACKOK = TcpOpt.SACKOK;
const OPT_TS = TcpOpt.TS;
const OPT_WS = TcpOpt.WS;
const TYPE_MASK = F_SYN | F_ACK | F_FIN | F_RST;
const MAX_OPT = MAX_TCP_OPT;
/** The lowest bit of the data-offset byte (NS), which p0f counts as ECN. */
const NS_BIT = 0x01;

/**
 * The TCP segment at [st.off, st.end) (the end as the IP header cut it),
 * after an IP layer has filled the IP fields of `st.tcp` and the state's
 * `ipHdrLen` and `quirks`. Fills the rest; a TCP payload is not decoded
 * further.
 */
export function tcpLayer(st: DecodeState): 'payload' | DropReason {
  const buf = st.buf;
  const tcpOff = st.off;
  const end = st.end;
  const out = st.tcp;
  const len = end - tcpOff;
  // The IP layer guarantees 20 bytes on every path p0f has; extension
  // headers can eat into them.
  if (len < 20) return 'truncated';
  let quirks = st.quirks;

  const doffByte = buf[tcpOff + 12];
  const doff = (doffByte >> 4) << 2;
  if (doff < 20 || doff > len) return 'bad-tcp-header';

  const flags = buf[tcpOff + 13];
  const type = flags & TYPE_MASK;
  if (
    ((flags & F_SYN) !== 0 && (flags & (F_FIN | F_RST)) !== 0) ||
    ((flags & F_FIN) !== 0 && (flags & F_RST) !== 0) ||
    type === 0
  ) {
    return 'bad-tcp-flags';
  }

  const seq = ((buf[tcpOff + 4] << 24) | (buf[tcpOff + 5] << 16) | (buf[tcpOff + 6] << 8) | buf[tcpOff + 7]) >>> 0;
  const ackHi = buf[tcpOff + 8];
  const ack = ((ackHi << 24) | (buf[tcpOff + 9] << 16) | (buf[tcpOff + 10] << 8) | buf[tcpOff + 11]) >>> 0;

  if ((flags & (F_ECE | F_CWR)) !== 0 || (doffByte & NS_BIT) !== 0) quirks |= Q_ECN;
  if (seq === 0) quirks |= Q_ZERO_SEQ;
  if ((flags & F_ACK) !== 0) {
    if (ack === 0) quirks |= Q_ZERO_ACK;
  } else if ((flags & F_RST) === 0 && (ackHi & 1) !== 0) {
    // p0f ANDs the raw (network-order) 32-bit ack with the 0/1 result of
    // "not RST". On the little-endian hosts p0f runs on, that keeps only
    // the lowest bit of the ack field's first byte: bit 24 of the number.
    quirks |= Q_NZ_ACK;
  }
  if ((flags & F_URG) !== 0) {
    quirks |= Q_URG;
  } else if ((buf[tcpOff + 18] | buf[tcpOff + 19]) !== 0) {
    quirks |= Q_NZ_URG;
  }
  if ((flags & F_PSH) !== 0) quirks |= Q_PUSH;

  out.sport = (buf[tcpOff] << 8) | buf[tcpOff + 1];
  out.dport = (buf[tcpOff + 2] << 8) | buf[tcpOff + 3];
  out.flags = flags;
  out.tcpType = type;
  out.seq = seq;
  out.ack = ack;
  out.win = (buf[tcpOff + 14] << 8) | buf[tcpOff + 15];
  out.totHdr = st.ipHdrLen + doff;
  out.payOff = tcpOff + doff;
  out.payLen = len - doff;

  // Options: [tcpOff + 20, optEnd).
  const optEnd = tcpOff + doff;
  const layout = out.optLayout;
  let p = tcpOff + 20;
  let cnt = 0;
  let eolPad = 0;
  let mss = 0;
  let wscale = 0;
  let ts1 = 0;
  let aborted = false;

  // Where p0f reads an option's length byte past the end of the options,
  // the option is always abandoned as bad whatever that byte holds, so the
  // fit is checked first here and nothing outside the options is read.
  while (p < optEnd && cnt < MAX_OPT) {
    const kind = buf[p++];
    layout[cnt++] = kind;
    switch (kind) {
      case OPT_EOL: {
        eolPad = optEnd - p;
        // Skip zero padding; the scan steps over the first non-zero byte it
        // meets, so a non-zero final byte goes unnoticed, as in p0f.
        while (p < optEnd) {
          if (buf[p++] !== 0) break;
        }
        if (p !== optEnd) {
          quirks |= Q_OPT_EOL_NZ;
          p = optEnd;
        }
        break;
      }
      case OPT_NOP:
        break;
      case OPT_MSS: {
        if (p + 3 > optEnd) {
          aborted = true;
          break;
        }
        if (buf[p] !== 4) quirks |= Q_OPT_BAD;
        mss = (buf[p + 1] << 8) | buf[p + 2];
        p += 3;
        break;
      }
      case OPT_WS: {
        if (p + 2 > optEnd) {
          aborted = true;
          break;
        }
        if (buf[p] !== 3) quirks |= Q_OPT_BAD;
        wscale = buf[p + 1];
        if (wscale > 14) quirks |= Q_OPT_EXWS;
        p += 2;
        break;
      }
      case OPT_SACKOK: {
        if (p + 1 > optEnd) {
          aborted = true;
          break;
        }
        if (buf[p] !== 2) quirks |= Q_OPT_BAD;
        p += 1;
        break;
      }
      case OPT_SACK: {
        if (p >= optEnd) {
          aborted = true;
          break;
        }
        const olen = buf[p];
        if (olen < 10 || olen > 34 || p - 1 + olen > optEnd) {
          aborted = true;
          break;
        }
        p += olen - 1;
        break;
      }
      case OPT_TS: {
        if (p + 9 > optEnd) {
          aborted = true;
          break;
        }
        if (buf[p] !== 10) quirks |= Q_OPT_BAD;
        ts1 = ((buf[p + 1] << 24) | (buf[p + 2] << 16) | (buf[p + 3] << 8) | buf[p + 4]) >>> 0;
        if (ts1 === 0) quirks |= Q_OPT_ZERO_TS1;
        if (type === F_SYN && (buf[p + 5] | buf[p + 6] | buf[p + 7] | buf[p + 8]) !== 0) {
          quirks |= Q_OPT_NZ_TS2;
        }
        p += 9;
        break;
      }
      default: {
        if (p >= optEnd) {
          aborted = true;
          break;
        }
        const olen = buf[p];
        if (olen < 2 || olen > 40 || p - 1 + olen > optEnd) {
          aborted = true;
          break;
        }
        p += olen - 1;
      }
    }
    if (aborted) break;
  }
  // Too many options, an abandoned option, or a walk that does not land on
  // the end of the header: all count as bad.
  if (aborted || p !== optEnd) quirks |= Q_OPT_BAD;

  out.optCnt = cnt;
  out.optEolPad = eolPad;
  out.mss = mss;
  out.wscale = wscale;
  out.ts1 = ts1;
  out.quirks = quirks;
  out.encap = st.encap;
  return 'payload';
}
