/** Shared fixtures and helpers for the decoder tests. */
import { decodePacket } from '../../src/decode/index.js';
import { newTcpPacket, QUIRK_NAMES, type DecodeOutcome, type TcpPacket } from '../../src/decode/types.js';
import { hex, record, type Bytes, type RecordSpec } from '../helpers/packet-build.js';

/**
 * IPv4 SYN, 60 bytes: TTL 64, ID 0x1234, DF, 192.0.2.1:40000 ->
 * 198.51.100.2:80, seq 0x11223344, win 65535, options
 * mss 1460, sok, ts 12345/0, nop, ws 7.
 */
export const SYN4 = `
  45 00 00 3c 12 34 40 00 40 06 3c 51 c0 00 02 01 c6 33 64 02
  9c 40 00 50 11 22 33 44 00 00 00 00 a0 02 ff ff 00 00 00 00
  02 04 05 b4 04 02 08 0a 00 00 30 39 00 00 00 00 01 03 03 07`;

/**
 * IPv6 SYN, 72 bytes: hop limit 64, flow label 0x12345, 2001:db8::1:40000
 * -> 2001:db8::2:80, seq 0x11223344, win 65535, options
 * mss 1440, nop, ws 8, nop, nop, sok.
 */
export const SYN6 = `
  60 01 23 45 00 20 06 40 20 01 0d b8 00 00 00 00 00 00 00 00
  00 00 00 01 20 01 0d b8 00 00 00 00 00 00 00 00 00 00 00 02
  9c 40 00 50 11 22 33 44 00 00 00 00 80 02 ff ff 00 00 00 00
  02 04 05 a0 01 03 03 08 01 01 04 02`;

export const VALID_OUTCOMES: ReadonlySet<DecodeOutcome> = new Set<DecodeOutcome>([
  'ok',
  'unsupported-link',
  'not-ip',
  'not-tcp',
  'truncated',
  'bad-ip-header',
  'ip-length',
  'fragment',
  'bad-tcp-header',
  'bad-tcp-flags',
  'tunnel-depth',
]);

export interface Decoded {
  outcome: DecodeOutcome;
  pkt: TcpPacket;
}

/** Decode a frame (bytes or hex text) as a record of `linkType`. */
export function run(frame: Bytes | string, linkType: number, spec?: RecordSpec): Decoded {
  const bytes = typeof frame === 'string' ? hex(frame) : frame;
  const pkt = newTcpPacket();
  const outcome = decodePacket(record(bytes, linkType, spec), pkt);
  return { outcome, pkt };
}

/** Quirk bits as p0f's comma-separated names. */
export function quirkNames(q: number): string {
  return QUIRK_NAMES.filter(([bit]) => (q & bit) !== 0)
    .map(([, name]) => name)
    .join(',');
}

/** The option layout as a plain array. */
export function layoutOf(pkt: TcpPacket): number[] {
  return Array.from(pkt.optLayout.subarray(0, pkt.optCnt));
}

/** Dotted IPv4 or full IPv6 (no compression) text for the source or destination. */
export function addrOf(pkt: TcpPacket, which: 'src' | 'dst'): string {
  const off = which === 'src' ? pkt.srcOff : pkt.dstOff;
  const b = pkt.addr;
  if (pkt.ipVer === 4) return `${b[off]}.${b[off + 1]}.${b[off + 2]}.${b[off + 3]}`;
  const groups: string[] = [];
  for (let i = 0; i < 8; i++) groups.push(((b[off + 2 * i]! << 8) | b[off + 2 * i + 1]!).toString(16));
  return groups.join(':');
}
