/**
 * Classic pcap: a 24-byte file header, then records of a 16-byte header
 * (seconds, sub-second fraction, captured length, wire length) and the
 * captured bytes. The magic number gives the byte order and whether the
 * fraction counts microseconds or nanoseconds.
 *
 * libpcap also reads the "modified" pcap format of Alexey Kuznetsov's
 * patched libpcap (magic 0xa1b2cd34, microseconds): its records carry 8
 * more header bytes (interface index, protocol, packet type, padding),
 * which are skipped, and for Ethernet its snaplen is taken as 14 bytes
 * more than declared (the capture may have added a made-up Ethernet
 * header), as libpcap does.
 */
import { MAX_RECORD_LEN } from '../config.js';
import { be32, le32, u32 } from './bytes.js';
import { Framer } from './framer.js';
import type { PacketHandler } from './types.js';

/** Magic numbers as read in the file's own byte order. */
export const PCAP_MAGIC_USEC = 0xa1b2c3d4;
export const PCAP_MAGIC_NSEC = 0xa1b23c4d;
export const PCAP_MAGIC_MODIFIED = 0xa1b2cd34;

const FILE_HDR = 24;
const REC_HDR = 16;
/** A modified-format record header: the usual 16 bytes, ifindex(4), protocol(2), pkt_type(1), padding(1). */
const MODIFIED_REC_HDR = 24;
/** What libpcap adds to a modified Ethernet capture's snaplen. */
const MODIFIED_ETHER_SLACK = 14;
const DLT_EN10MB = 1;
/**
 * Bytes a record may exceed the declared snaplen by before it counts as
 * damage: some writers declare the IP MTU and store whole link frames.
 */
export const SNAPLEN_SLACK = 256;

/** The largest captured length accepted under a declared snaplen (0 = none). */
export function capLimit(snaplen: number): number {
  if (snaplen === 0 || snaplen + SNAPLEN_SLACK >= MAX_RECORD_LEN) return MAX_RECORD_LEN;
  return snaplen + SNAPLEN_SLACK;
}

/** Is this the first word of a pcap file, read big-endian? */
export function isPcapMagic(word: number): boolean {
  return (
    word === PCAP_MAGIC_USEC ||
    word === PCAP_MAGIC_NSEC ||
    word === PCAP_MAGIC_MODIFIED ||
    word === 0xd4c3b2a1 ||
    word === 0x4d3cb2a1 ||
    word === 0x34cdb2a1
  );
}

function isPcapMagicLE(word: number): boolean {
  return word === PCAP_MAGIC_USEC || word === PCAP_MAGIC_NSEC || word === PCAP_MAGIC_MODIFIED;
}

export class PcapParser extends Framer {
  /** Whether the file header has been read. */
  private started = false;
  private le = true;
  private nanos = false;
  private snaplen = 0;
  private limit = MAX_RECORD_LEN;
  private linkType = 0;
  /** Record header size: REC_HDR, or MODIFIED_REC_HDR for the modified format. */
  private recHdr = REC_HDR;

  constructor(file: string, onPacket: PacketHandler) {
    super(file, onPacket, FILE_HDR, 'file header');
  }

  protected unitSize(buf: Buffer, off: number): number {
    if (!this.started) return FILE_HDR;
    const caplen = this.le ? le32(buf, off + 8) : be32(buf, off + 8);
    return caplen > this.limit ? this.badCaplen(caplen) : this.recHdr + caplen;
  }

  protected unit(buf: Buffer, off: number, size: number): boolean {
    if (!this.started) return this.header(buf, off);
    this.record(buf, off, size - this.recHdr);
    return true;
  }

  protected scan(buf: Buffer, p: number, end: number): number {
    if (!this.started) {
      this.pending = 0;
      if (end - p < FILE_HDR || !this.header(buf, p)) return p;
      p += FILE_HDR;
    }
    const le = this.le;
    const limit = this.limit;
    const rh = this.recHdr;
    while (end - p >= rh) {
      const caplen = le ? le32(buf, p + 8) : be32(buf, p + 8);
      if (caplen > limit) {
        this.badCaplen(caplen);
        return p;
      }
      if (end - p < rh + caplen) {
        this.pending = rh + caplen;
        return p;
      }
      this.record(buf, p, caplen);
      p += rh + caplen;
    }
    this.pending = 0;
    return p;
  }

  private record(buf: Buffer, off: number, caplen: number): void {
    const rec = this.rec;
    let sec: number;
    let frac: number;
    if (this.le) {
      sec = le32(buf, off);
      frac = le32(buf, off + 4);
      rec.wirelen = le32(buf, off + 12);
    } else {
      sec = be32(buf, off);
      frac = be32(buf, off + 4);
      rec.wirelen = be32(buf, off + 12);
    }
    if (this.nanos) frac = Math.floor(frac / 1000);
    // An out-of-range fraction from a sloppy writer is passed on as it is,
    // as libpcap does, so that times agree with p0f's to the second.
    rec.linkType = this.linkType;
    rec.tsSec = sec;
    rec.tsUsec = frac;
    rec.data = buf;
    rec.offset = off + this.recHdr;
    // Like libpcap, hand on no more than the file's declared snaplen.
    rec.caplen = this.snaplen !== 0 && caplen > this.snaplen ? this.snaplen : caplen;
    this.emit();
  }

  private badCaplen(caplen: number): -1 {
    this.why =
      caplen > MAX_RECORD_LEN
        ? `captured length ${caplen} exceeds ${MAX_RECORD_LEN}`
        : `captured length ${caplen} exceeds snaplen ${this.snaplen}`;
    return -1;
  }

  protected skipped(): boolean {
    return true; // records are never streamed past
  }

  private header(buf: Buffer, off: number): boolean {
    if (isPcapMagicLE(le32(buf, off))) {
      this.le = true;
    } else {
      const be = be32(buf, off);
      if (!isPcapMagicLE(be)) {
        this.why = `bad pcap magic 0x${be.toString(16).padStart(8, '0')}`;
        return false;
      }
      this.le = false;
    }
    const magic = u32(buf, off, this.le);
    this.nanos = magic === PCAP_MAGIC_NSEC;
    // The link type is the low 16 bits; the upper ones may say how long an FCS is.
    this.linkType = u32(buf, off + 20, this.le) & 0xffff;
    this.snaplen = u32(buf, off + 16, this.le);
    this.recHdr = REC_HDR;
    if (magic === PCAP_MAGIC_MODIFIED) {
      this.recHdr = MODIFIED_REC_HDR;
      if (this.linkType === DLT_EN10MB && this.snaplen !== 0) this.snaplen = Math.min(this.snaplen + MODIFIED_ETHER_SLACK, 0x7fffffff);
    }
    this.limit = capLimit(this.snaplen);
    this.started = true;
    this.hdr = this.recHdr;
    this.kind = 'record';
    return true;
  }
}
