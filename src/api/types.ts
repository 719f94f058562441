/**
 * What the query server needs from the rest of pof: a host by address, a
 * verdict by connection, and a few counters. The server never sees the
 * engine itself, so tests (and other front ends) can drive it with plain
 * objects.
 */
import type { Host } from '../state/hosts.js';
import type { ConnVerdict, HostTlsVerdict } from '../state/conn-verdicts.js';

/** The part of a host record that the APIs report (pof's Host satisfies it). */
export type HostView = Pick<
  Host,
  | 'addr'
  | 'ipVer'
  | 'firstSeen'
  | 'lastSeen'
  | 'totalConn'
  | 'lastOs'
  | 'lastQuality'
  | 'distance'
  | 'lastUpMin'
  | 'upModDays'
  | 'mtu'
  | 'linkType'
  | 'lastNat'
  | 'lastChg'
  | 'httpName'
  | 'httpFlavor'
  | 'language'
  | 'badSw'
>;

/** Counters for status answers (p0f 2's status query, JSON's {"op":"status"}). */
export interface StatusInfo {
  /** Software version, e.g. "pof 0.1.0". */
  version: string;
  /** Packets seen by the engine. */
  packets: number;
  /** Packets (or observations) that matched a signature. */
  matched: number;
  /** Hosts currently remembered. */
  hosts: number;
  /** Connection verdicts currently remembered. */
  conns: number;
  /** Signature database checksum, 0 when unknown. */
  fpChecksum: number;
}

export interface PofLookup {
  /**
   * A host by address, given in pof's canonical text (addrToString: dotted
   * quad, or eight uncompressed lower-case hex groups).
   */
  host(addr: string): HostView | undefined;
  /**
   * Optional fast path: a host by its address bytes at buf[off] (4 bytes for
   * IPv4, 16 for IPv6), skipping the text form.
   */
  hostAt?(buf: Uint8Array, off: number, ver: 4 | 6): HostView | undefined;
  /** The verdicts for one connection (client = the side that sent the SYN). */
  connection(cli: string, cliPort: number, srv: string, srvPort: number): ConnVerdict | undefined;
  /** Optional: a host's last TLS client (by the same canonical text as host()), for JSON answers. */
  hostTls?(addr: string): HostTlsVerdict | undefined;
  /** Optional counters for status queries. */
  status?(): StatusInfo;
}
