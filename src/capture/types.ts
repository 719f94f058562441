/**
 * What a capture source hands to the decoder. One PacketRecord object is
 * reused for every packet: it is valid only during the callback, and its
 * `data` buffer may hold other packets too (use offset and caplen).
 */
export interface PacketRecord {
  /** LINKTYPE_* value of the interface the packet came from (pcap-linktype(7)). */
  linkType: number;
  /** Capture time: whole seconds since the epoch. */
  tsSec: number;
  /**
   * Capture time: microseconds within the second, normally 0..999999. A
   * file that stores a larger fraction gets it passed on unchanged (as
   * libpcap does); users of the time compute sec * 1000 + usec / 1000.
   */
  tsUsec: number;
  data: Buffer;
  offset: number;
  /** Bytes present in `data` from `offset`. */
  caplen: number;
  /** Length on the wire (may exceed caplen). */
  wirelen: number;
}

export type CaptureFormat = 'pcap' | 'pcapng';

/** Where and why reading stopped early. */
export interface CaptureProblem {
  file: string;
  /** Byte offset in the file where the damage starts. */
  offset: number;
  message: string;
}

export interface CaptureSummary {
  format: CaptureFormat;
  packets: number;
  /** Set when the capture ended with damage; every packet before it was delivered. */
  problem?: CaptureProblem;
}

export type PacketHandler = (rec: PacketRecord) => void;
