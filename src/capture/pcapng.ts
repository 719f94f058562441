/**
 * pcapng: a run of blocks, each `type, total length, body, total length`.
 * A Section Header Block starts every section and fixes its byte order;
 * Interface Description Blocks number the section's interfaces (link type,
 * snaplen, timestamp unit and offset); packets come in Enhanced, Simple or
 * the obsolete Packet Blocks. Every other block is skipped by its length,
 * streamed past when it is too big to buffer.
 */
import { MAX_RECORD_LEN } from '../config.js';
import { be32, le32, u16, u32 } from './bytes.js';
import { Framer, MAX_UNIT } from './framer.js';
import { capLimit } from './pcap.js';
import { setTimestamp, TSRESOL_USEC } from './timestamp.js';
import type { PacketHandler } from './types.js';

export const BT_SHB = 0x0a0d0d0a;
export const BT_IDB = 1;
export const BT_PB = 2;
export const BT_SPB = 3;
export const BT_EPB = 6;
/** The byte-order magic of a Section Header Block, as written. */
export const PCAPNG_BOM = 0x1a2b3c4d;

const OPT_END = 0;
const OPT_IF_TSRESOL = 9;
const OPT_IF_TSOFFSET = 14;

/** Most interfaces one section may describe. */
export const MAX_INTERFACES = 65536;
const MIN_BLOCK = 12;

function minLength(type: number): number {
  switch (type) {
    case BT_SHB:
      return 28;
    case BT_IDB:
      return 20;
    case BT_EPB:
    case BT_PB:
      return 32;
    case BT_SPB:
      return 16;
    default:
      return MIN_BLOCK;
  }
}

function blockName(type: number): string {
  switch (type) {
    case BT_SHB:
      return 'section header block';
    case BT_IDB:
      return 'interface description block';
    case BT_EPB:
      return 'enhanced packet block';
    case BT_PB:
      return 'packet block';
    case BT_SPB:
      return 'simple packet block';
    default:
      return `block of type 0x${type.toString(16)}`;
  }
}

export class PcapngParser extends Framer {
  private le = true;
  /** Type of the block whose size unitSize() last reported. */
  private type = 0;
  private started = false;
  // The current section's interfaces, indexed by interface id.
  private nIf = 0;
  private readonly ifLink: number[] = [];
  private readonly ifSnap: number[] = [];
  private readonly ifLimit: number[] = [];
  private readonly ifTsresol: number[] = [];
  private readonly ifTsoffset: number[] = [];

  constructor(file: string, onPacket: PacketHandler) {
    super(file, onPacket, MIN_BLOCK, 'block');
  }

  protected unitSize(buf: Buffer, off: number): number {
    const type = u32(buf, off, this.le);
    this.type = type;
    this.skippable = false;
    if (type === BT_SHB) {
      const bom = le32(buf, off + 8);
      if (bom === PCAPNG_BOM) this.le = true;
      else if (bom === 0x4d3c2b1a) this.le = false;
      else {
        this.why = `bad byte-order magic 0x${buf.readUInt32BE(off + 8).toString(16).padStart(8, '0')}`;
        return -1;
      }
    } else if (!this.started) {
      this.why = `${blockName(type)} before the first section header`;
      return -1;
    }
    const len = u32(buf, off + 4, this.le);
    if (len % 4 !== 0) {
      this.why = `block length ${len} is not a multiple of 4`;
      return -1;
    }
    const min = minLength(type);
    if (len < min) {
      this.why = `${blockName(type)} length ${len} is too small`;
      return -1;
    }
    this.skippable = min === MIN_BLOCK;
    if (len > MAX_UNIT && !this.skippable) {
      this.why = `${blockName(type)} length ${len} exceeds ${MAX_UNIT}`;
      return -1;
    }
    return len;
  }

  protected scan(buf: Buffer, p: number, end: number): number {
    while (end - p >= MIN_BLOCK) {
      const size = this.unitSize(buf, p);
      if (size < 0) return p;
      if (end - p < size) {
        this.pending = size;
        return p;
      }
      if (!this.unit(buf, p, size)) return p;
      p += size;
    }
    this.pending = 0;
    return p;
  }

  protected unit(buf: Buffer, off: number, size: number): boolean {
    const le = this.le;
    const trailer = u32(buf, off + size - 4, le);
    if (trailer !== size) {
      this.why = `trailing block length ${trailer} does not match ${size}`;
      return false;
    }
    switch (this.type) {
      case BT_EPB:
        return this.packet(buf, off, size, u32(buf, off + 8, le));
      case BT_PB:
        return this.packet(buf, off, size, u16(buf, off + 8, le));
      case BT_SPB:
        return this.simple(buf, off, size);
      case BT_IDB:
        return this.iface(buf, off, size);
      case BT_SHB:
        return this.section(buf, off);
      default:
        return true;
    }
  }

  protected skipped(tail: Buffer, size: number): boolean {
    const trailer = u32(tail, 0, this.le);
    if (trailer !== size) {
      this.why = `trailing block length ${trailer} does not match ${size}`;
      return false;
    }
    return true;
  }

  /** Enhanced and obsolete Packet Blocks share their layout past the interface id. */
  private packet(buf: Buffer, off: number, size: number, ifid: number): boolean {
    if (ifid >= this.nIf) {
      this.why = `packet on interface ${ifid}, but the section describes ${this.nIf}`;
      return false;
    }
    let hi: number;
    let lo: number;
    let caplen: number;
    let wirelen: number;
    if (this.le) {
      hi = le32(buf, off + 12);
      lo = le32(buf, off + 16);
      caplen = le32(buf, off + 20);
      wirelen = le32(buf, off + 24);
    } else {
      hi = be32(buf, off + 12);
      lo = be32(buf, off + 16);
      caplen = be32(buf, off + 20);
      wirelen = be32(buf, off + 24);
    }
    if (caplen > size - 32) {
      this.why = `captured length ${caplen} overruns the ${size}-byte block`;
      return false;
    }
    if (caplen > this.ifLimit[ifid]!) {
      this.why = this.tooLong(caplen, ifid);
      return false;
    }
    const rec = this.rec;
    setTimestamp(rec, hi, lo, this.ifTsresol[ifid]!, this.ifTsoffset[ifid]!);
    rec.linkType = this.ifLink[ifid]!;
    rec.data = buf;
    rec.offset = off + 28;
    // Like libpcap, hand on no more than the interface's snaplen.
    const snapI = this.ifSnap[ifid]!;
    rec.caplen = snapI !== 0 && caplen > snapI ? snapI : caplen;
    rec.wirelen = wirelen;
    this.emit();
    return true;
  }

  private simple(buf: Buffer, off: number, size: number): boolean {
    if (this.nIf === 0) {
      this.why = 'simple packet block before any interface description';
      return false;
    }
    const wirelen = u32(buf, off + 8, this.le);
    const snap = this.ifSnap[0]!;
    let caplen = Math.min(wirelen, size - 16);
    if (snap !== 0 && snap < caplen) caplen = snap;
    if (caplen > MAX_RECORD_LEN) {
      this.why = this.tooLong(caplen, 0);
      return false;
    }
    const rec = this.rec;
    rec.linkType = this.ifLink[0]!;
    rec.tsSec = 0;
    rec.tsUsec = 0;
    rec.data = buf;
    rec.offset = off + 12;
    rec.caplen = caplen;
    rec.wirelen = wirelen;
    this.emit();
    return true;
  }

  private tooLong(caplen: number, ifid: number): string {
    return caplen > MAX_RECORD_LEN
      ? `captured length ${caplen} exceeds ${MAX_RECORD_LEN}`
      : `captured length ${caplen} exceeds interface ${ifid}'s snaplen ${this.ifSnap[ifid]}`;
  }

  private section(buf: Buffer, off: number): boolean {
    const major = u16(buf, off + 12, this.le);
    if (major !== 1) {
      this.why = `unsupported pcapng version ${major}.${u16(buf, off + 14, this.le)}`;
      return false;
    }
    this.started = true;
    this.nIf = 0;
    return true;
  }

  private iface(buf: Buffer, off: number, size: number): boolean {
    const le = this.le;
    const n = this.nIf;
    if (n >= MAX_INTERFACES) {
      this.why = `more than ${MAX_INTERFACES} interfaces in one section`;
      return false;
    }
    const snaplen = u32(buf, off + 12, le);
    let tsresol = TSRESOL_USEC;
    let tsoffset = 0;
    // Options: code, length, value padded to 4 bytes. A malformed list is
    // read up to the damage; it does not make the packets unusable.
    const end = off + size - 4;
    let o = off + 16;
    while (o + 4 <= end) {
      const code = u16(buf, o, le);
      const len = u16(buf, o + 2, le);
      if (code === OPT_END || o + 4 + len > end) break;
      if (code === OPT_IF_TSRESOL && len >= 1) {
        tsresol = buf[o + 4]!;
      } else if (code === OPT_IF_TSOFFSET && len >= 8) {
        tsoffset = le
          ? buf.readInt32LE(o + 8) * 4294967296 + buf.readUInt32LE(o + 4)
          : buf.readInt32BE(o + 4) * 4294967296 + buf.readUInt32BE(o + 8);
      }
      o += 4 + ((len + 3) & ~3);
    }
    this.ifLink[n] = u16(buf, off + 8, le);
    this.ifSnap[n] = snaplen;
    this.ifLimit[n] = capLimit(snaplen);
    this.ifTsresol[n] = tsresol;
    this.ifTsoffset[n] = tsoffset;
    this.nIf = n + 1;
    return true;
  }
}
