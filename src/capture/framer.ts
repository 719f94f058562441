/**
 * Push-style framing shared by the pcap and pcapng parsers.
 *
 * Both formats are a run of length-prefixed units (a file header, records or
 * blocks). A subclass says how many bytes it needs to learn a unit's size
 * (`hdr`), how big a unit is (`unitSize`), what to do with a complete one
 * (`unit`), and runs the hot loop over the units wholly inside one push
 * (`scan`), in place. Only a unit that straddles two pushes is copied, into
 * a reused spill buffer, and handed to `unit` from there. A unit too big to
 * buffer that the subclass does not need (an unknown pcapng block) is
 * streamed past; only its last TAIL bytes are kept.
 *
 * Damage never throws: the subclass sets `why` and returns -1 / false, the
 * framer records `problem` at the file offset of the unit and stops. Every
 * unit is at least `hdr` > 0 bytes, so every push ends.
 */
import { MAX_RECORD_LEN } from '../config.js';
import type { CaptureProblem, PacketHandler, PacketRecord } from './types.js';

/** Largest unit ever buffered: a maximal record plus room for headers and options. */
export const MAX_UNIT = MAX_RECORD_LEN + 65536;
/** Bytes kept from the end of a unit that is streamed past. */
const TAIL = 4;
const SPILL_START = 64 * 1024;
const EMPTY = Buffer.alloc(0);

export abstract class Framer {
  packets = 0;
  problem: CaptureProblem | undefined = undefined;

  /** The one record handed to every callback. */
  protected readonly rec: PacketRecord = {
    linkType: 0,
    tsSec: 0,
    tsUsec: 0,
    data: EMPTY,
    offset: 0,
    caplen: 0,
    wirelen: 0,
  };
  /** Bytes needed at the start of a unit before unitSize() may look at it. */
  protected hdr: number;
  /** Set by unitSize(): this unit may be streamed past rather than buffered. */
  protected skippable = false;
  /** Set with a -1 / false return: what is wrong with the unit. */
  protected why = '';
  /** Name of a unit in messages ("record", "block"). */
  protected kind: string;
  /** Set by scan(): the size of the unit it stopped at, 0 if not known. */
  protected pending = 0;

  /** File offset of the unit being parsed. */
  private unitStart = 0;
  private spill: Buffer = EMPTY;
  private spillLen = 0;
  /** Size of the unit in the spill once known, else 0. */
  private need = 0;
  /** Streaming past a unit: its size (0 when not skipping) and bytes seen. */
  private skipSize = 0;
  private skipPos = 0;
  private readonly tail = Buffer.alloc(TAIL);

  protected constructor(
    protected readonly file: string,
    protected readonly onPacket: PacketHandler,
    hdr: number,
    kind: string,
  ) {
    this.hdr = hdr;
    this.kind = kind;
  }

  /**
   * Size of the unit at `off`, reading only its first `hdr` bytes; -1 with
   * `why` set if the header is damaged. The size is at least `hdr`, and
   * above MAX_UNIT only with `skippable` set.
   */
  protected abstract unitSize(buf: Buffer, off: number): number;

  /** Handle a complete unit; false with `why` set if it is damaged. */
  protected abstract unit(buf: Buffer, off: number, size: number): boolean;

  /** A unit was streamed past; `tail` holds its last TAIL bytes. */
  protected abstract skipped(tail: Buffer, size: number): boolean;

  /**
   * The hot loop: handle every whole unit in buf[p, end) in place and
   * return where the first one not handled starts. Sets `pending` to that
   * unit's size when its header could be read, else to 0. On damage sets
   * `why` and returns the offset of the damaged unit.
   */
  protected abstract scan(buf: Buffer, p: number, end: number): number;

  /** Feed bytes; false once damage was found (further pushes are ignored). */
  push(buf: Buffer, off: number, len: number): boolean {
    if (this.problem !== undefined) return false;
    const end = off + len;
    let p = off;
    while (p < end) {
      if (this.skipSize > 0) p = this.skip(buf, p, end);
      else if (this.spillLen > 0) p = this.resume(buf, p, end);
      else p = this.run(buf, p, end);
      if (p < 0) return false;
    }
    return true;
  }

  /** No more input: a unit left half-read is reported as truncation. */
  end(): void {
    if (this.problem !== undefined) return;
    if (this.skipSize > 0) {
      this.why = `truncated ${this.kind}: ${this.skipPos} of ${this.skipSize} bytes present`;
    } else if (this.need > 0) {
      this.why = `truncated ${this.kind}: ${this.spillLen} of ${this.need} bytes present`;
    } else if (this.spillLen > 0) {
      this.why = `truncated ${this.kind}: only ${this.spillLen} bytes present`;
    } else {
      return;
    }
    this.fail();
  }

  /** Hand the shared record to the callback. */
  protected emit(): void {
    this.packets++;
    this.onPacket(this.rec);
  }

  private fail(): -1 {
    this.problem = { file: this.file, offset: this.unitStart, message: this.why };
    this.spillLen = 0;
    this.need = 0;
    this.skipSize = 0;
    return -1;
  }

  /** The fast path: units wholly inside `buf` are handled in place. */
  private run(buf: Buffer, p: number, end: number): number {
    const q = this.scan(buf, p, end);
    this.unitStart += q - p;
    if (this.why !== '') return this.fail();
    if (q === end) return end;
    const size = this.pending;
    if (size > MAX_UNIT) {
      this.startSkip(size);
      return q;
    }
    // What is left is a partial unit, of known size or with its header incomplete.
    this.stash(buf, q, end - q, size);
    return end;
  }

  /** Finish the unit begun in an earlier push; returns where to go on, or -1. */
  private resume(buf: Buffer, p: number, end: number): number {
    if (this.need === 0) {
      const want = Math.min(this.hdr - this.spillLen, end - p);
      this.stash(buf, p, want, 0);
      p += want;
      if (this.spillLen < this.hdr) return p;
      const size = this.unitSize(this.spill, 0);
      if (size < 0) return this.fail();
      if (size > MAX_UNIT) {
        const have = this.spillLen;
        this.spillLen = 0;
        this.startSkip(size);
        this.skip(this.spill, 0, have); // cannot finish: have < size
        return p;
      }
      this.need = size;
      this.grow(size);
    }
    const want = Math.min(this.need - this.spillLen, end - p);
    buf.copy(this.spill, this.spillLen, p, p + want);
    this.spillLen += want;
    p += want;
    if (this.spillLen < this.need) return p;
    const size = this.need;
    this.spillLen = 0;
    this.need = 0;
    if (!this.unit(this.spill, 0, size)) return this.fail();
    this.unitStart += size;
    return p;
  }

  /** Append bytes to the spill; `size` is the unit's size if known, else 0. */
  private stash(buf: Buffer, p: number, n: number, size: number): void {
    if (size > 0) this.need = size;
    this.grow(Math.max(size, this.spillLen + n));
    buf.copy(this.spill, this.spillLen, p, p + n);
    this.spillLen += n;
  }

  private grow(size: number): void {
    if (this.spill.length >= size) return;
    let cap = Math.max(SPILL_START, this.spill.length * 2);
    while (cap < size) cap *= 2;
    const next = Buffer.allocUnsafe(Math.min(cap, MAX_UNIT));
    this.spill.copy(next, 0, 0, this.spillLen);
    this.spill = next;
  }

  private startSkip(size: number): void {
    this.skipSize = size;
    this.skipPos = 0;
  }

  /** Stream past the unit being skipped; returns where to go on, or -1. */
  private skip(buf: Buffer, p: number, end: number): number {
    const n = Math.min(this.skipSize - this.skipPos, end - p);
    const tailStart = this.skipSize - TAIL;
    if (this.skipPos + n > tailStart) {
      const from = Math.max(this.skipPos, tailStart);
      buf.copy(this.tail, from - tailStart, p + (from - this.skipPos), p + n);
    }
    this.skipPos += n;
    p += n;
    if (this.skipPos < this.skipSize) return p;
    const size = this.skipSize;
    this.skipSize = 0;
    if (!this.skipped(this.tail, size)) return this.fail();
    this.unitStart += size;
    return p;
  }
}
