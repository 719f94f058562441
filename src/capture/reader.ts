/**
 * The push-style entry point for capture bytes from anywhere: it recognises
 * the format from the first four bytes, then hands everything to the pcap
 * or pcapng parser. Files and stdin both go through here.
 */
import { PofError } from '../errors.js';
import type { Framer } from './framer.js';
import { isPcapMagic, PcapParser } from './pcap.js';
import { BT_SHB, PcapngParser } from './pcapng.js';
import type { CaptureFormat, CaptureSummary, PacketHandler } from './types.js';

/** The format a capture starting with these four bytes is in, if any. */
export function detectFormat(buf: Buffer, off = 0): CaptureFormat | undefined {
  const word = buf.readUInt32BE(off);
  if (isPcapMagic(word)) return 'pcap';
  if (word === BT_SHB) return 'pcapng';
  return undefined;
}

export class CaptureParser {
  private inner: Framer | undefined = undefined;
  private format: CaptureFormat = 'pcap';
  private readonly head = Buffer.alloc(4);
  private headLen = 0;

  /** `file` names the source in messages and in `problem`. */
  constructor(
    readonly file: string,
    private readonly onPacket: PacketHandler,
  ) {}

  /** Packets delivered so far. */
  get packets(): number {
    return this.inner === undefined ? 0 : this.inner.packets;
  }

  /**
   * Feed the next `len` bytes of `buf` from `off`. Returns false once the
   * capture was found damaged (see end()); throws PofError E_CAPTURE_FORMAT
   * if it is not a pcap or pcapng capture at all.
   */
  push(buf: Buffer, off: number, len: number): boolean {
    if (this.inner === undefined) {
      const n = Math.min(4 - this.headLen, len);
      buf.copy(this.head, this.headLen, off, off + n);
      this.headLen += n;
      if (this.headLen < 4) return true;
      off += n;
      len -= n;
      this.inner = this.start();
      if (!this.inner.push(this.head, 0, 4)) return false;
    }
    return this.inner.push(buf, off, len);
  }

  /** The input is over: count, format, and where it was damaged, if it was. */
  end(): CaptureSummary {
    const inner = this.inner;
    if (inner === undefined) {
      const what = this.headLen === 0 ? 'empty file' : `only ${this.headLen} bytes`;
      throw new PofError('E_CAPTURE_FORMAT', `${this.file}: not a pcap or pcapng capture (${what})`);
    }
    inner.end();
    const summary: CaptureSummary = { format: this.format, packets: inner.packets };
    if (inner.problem !== undefined) summary.problem = inner.problem;
    return summary;
  }

  private start(): Framer {
    const format = detectFormat(this.head);
    if (format === undefined) {
      const hex = this.head.readUInt32BE(0).toString(16).padStart(8, '0');
      throw new PofError('E_CAPTURE_FORMAT', `${this.file}: not a pcap or pcapng capture (starts with 0x${hex})`);
    }
    this.format = format;
    return format === 'pcap'
      ? new PcapParser(this.file, this.onPacket)
      : new PcapngParser(this.file, this.onPacket);
  }
}
