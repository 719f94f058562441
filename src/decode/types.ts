/**
 * The decoder's output: one reusable view over a packet's bytes with the
 * fields p0f's TCP fingerprinting needs. Addresses are not copied: `addr`
 * holds them at `srcOff`/`dstOff` (4 bytes for IPv4, 16 for IPv6), and the
 * view is valid only until the next packet is decoded.
 */

/** p0f's IP/TCP quirks, one bit each; raw_sig prints them in this order. */
export const Quirk = {
  DF: 1 << 0, // df
  NZ_ID: 1 << 1, // id+
  ZERO_ID: 1 << 2, // id-
  ECN: 1 << 3, // ecn
  NZ_MBZ: 1 << 4, // 0+
  FLOW: 1 << 5, // flow
  ZERO_SEQ: 1 << 6, // seq-
  NZ_ACK: 1 << 7, // ack+
  ZERO_ACK: 1 << 8, // ack-
  NZ_URG: 1 << 9, // uptr+
  URG: 1 << 10, // urgf+
  PUSH: 1 << 11, // pushf+
  OPT_ZERO_TS1: 1 << 12, // ts1-
  OPT_NZ_TS2: 1 << 13, // ts2+
  OPT_EOL_NZ: 1 << 14, // opt+
  OPT_EXWS: 1 << 15, // exws
  OPT_BAD: 1 << 16, // bad
} as const;

/** Quirk names in raw_sig order, paired with their bits. */
export const QUIRK_NAMES: ReadonlyArray<readonly [number, string]> = [
  [Quirk.DF, 'df'],
  [Quirk.NZ_ID, 'id+'],
  [Quirk.ZERO_ID, 'id-'],
  [Quirk.ECN, 'ecn'],
  [Quirk.NZ_MBZ, '0+'],
  [Quirk.FLOW, 'flow'],
  [Quirk.ZERO_SEQ, 'seq-'],
  [Quirk.NZ_ACK, 'ack+'],
  [Quirk.ZERO_ACK, 'ack-'],
  [Quirk.NZ_URG, 'uptr+'],
  [Quirk.URG, 'urgf+'],
  [Quirk.PUSH, 'pushf+'],
  [Quirk.OPT_ZERO_TS1, 'ts1-'],
  [Quirk.OPT_NZ_TS2, 'ts2+'],
  [Quirk.OPT_EOL_NZ, 'opt+'],
  [Quirk.OPT_EXWS, 'exws'],
  [Quirk.OPT_BAD, 'bad'],
];

/** Quirks that only make sense for one IP version. */
export const IPV4_ONLY_QUIRKS = Quirk.DF | Quirk.NZ_ID | Quirk.ZERO_ID | Quirk.NZ_MBZ;
export const IPV6_ONLY_QUIRKS = Quirk.FLOW;

export const TcpFlag = {
  FIN: 0x01,
  SYN: 0x02,
  RST: 0x04,
  PSH: 0x08,
  ACK: 0x10,
  URG: 0x20,
  ECE: 0x40,
  CWR: 0x80,
} as const;

/** TCP option kinds that p0f names in a layout. */
export const TcpOpt = {
  EOL: 0,
  NOP: 1,
  MSS: 2,
  WS: 3,
  SACKOK: 4,
  SACK: 5,
  TS: 8,
} as const;

/** Why a packet was not handed on. Counted, never thrown. */
export type DropReason =
  | 'unsupported-link' // link type pof does not decode
  | 'not-ip' // link payload is not IPv4/IPv6 (ARP, LLDP, ...)
  | 'not-tcp' // IP payload is not TCP (nor UDP, for decodeFrame) or a tunnel carrying them
  | 'truncated' // fewer bytes than the headers need
  | 'bad-ip-header' // nonsensical IP header (hlen < 20, version mismatch, ...)
  | 'ip-length' // IP total length larger than the bytes captured
  | 'fragment' // IPv4 fragment (MF or offset set)
  | 'bad-tcp-header' // TCP data offset < 20 or past the end
  | 'bad-tcp-flags' // no SYN/ACK/FIN/RST, or SYN+FIN, SYN+RST, FIN+RST
  | 'tunnel-depth'; // too many nested encapsulations

export type DecodeOutcome = 'ok' | DropReason;

export interface TcpPacket {
  ipVer: 4 | 6;
  /** Buffer holding the addresses (the capture buffer; not a copy). */
  addr: Buffer;
  srcOff: number;
  dstOff: number;
  /** TTL / hop limit. */
  ttl: number;
  /** DSCP bits as p0f reports them (IPv4 TOS byte >> 2; IPv6 traffic class >> 2). */
  tos: number;
  /** Length of IPv4 options (IPv6: 0). */
  ipOptLen: number;
  /** IP header plus TCP header length (p0f's tot_hdr). */
  totHdr: number;
  /** Quirk bits (see Quirk). */
  quirks: number;
  sport: number;
  dport: number;
  /** Raw TCP flags byte. */
  flags: number;
  /** flags & (SYN|ACK|FIN|RST): p0f's tcp_type. */
  tcpType: number;
  seq: number;
  ack: number;
  win: number;
  /** Option layout: kinds in order, optCnt of them (at most MAX_TCP_OPT). */
  optLayout: Uint8Array;
  optCnt: number;
  /** Bytes after an EOL option (p0f's opt_eol_pad). */
  optEolPad: number;
  /** MSS option value, 0 if absent. */
  mss: number;
  /** Window scale option value, 0 if absent. */
  wscale: number;
  /** Own timestamp (TSval), 0 if absent. */
  ts1: number;
  /** Payload: offset in `addr` (same buffer) and length. */
  payOff: number;
  payLen: number;
  /** How many encapsulation layers (VLAN tags, tunnels) were removed to get here; 0 for what p0f itself sees. */
  encap: number;
}

export function newTcpPacket(): TcpPacket {
  return {
    ipVer: 4,
    addr: Buffer.alloc(0),
    srcOff: 0,
    dstOff: 0,
    ttl: 0,
    tos: 0,
    ipOptLen: 0,
    totHdr: 0,
    quirks: 0,
    sport: 0,
    dport: 0,
    flags: 0,
    tcpType: 0,
    seq: 0,
    ack: 0,
    win: 0,
    optLayout: new Uint8Array(24),
    optCnt: 0,
    optEolPad: 0,
    mss: 0,
    wscale: 0,
    ts1: 0,
    payOff: 0,
    payLen: 0,
    encap: 0,
  };
}

/**
 * A UDP datagram, viewed like TcpPacket: addresses at `srcOff`/`dstOff` in
 * `addr` (the capture buffer), valid only until the next packet is decoded.
 */
export interface UdpPacket {
  ipVer: 4 | 6;
  addr: Buffer;
  srcOff: number;
  dstOff: number;
  /** TTL / hop limit. */
  ttl: number;
  sport: number;
  dport: number;
  /** Payload: offset in `addr` and length (cut to the UDP length when that is shorter). */
  payOff: number;
  payLen: number;
  /** Encapsulation layers removed to get here, as for TcpPacket. */
  encap: number;
}

export function newUdpPacket(): UdpPacket {
  return { ipVer: 4, addr: Buffer.alloc(0), srcOff: 0, dstOff: 0, ttl: 0, sport: 0, dport: 0, payOff: 0, payLen: 0, encap: 0 };
}
