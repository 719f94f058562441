/**
 * A single-producer single-consumer ring of variable-length records over a
 * SharedArrayBuffer: the sensor's thread writes, the publishing thread
 * reads. Writing never waits: a record that does not fit is refused (the
 * caller counts it as dropped). Wait-free on both sides; only the two
 * positions are shared, through Atomics.
 *
 * Positions count bytes written / read since the start, modulo 2^32 (the
 * capacity is a power of two, so a position's place in the ring survives
 * the wrap). A record is a u32 length and its bytes, padded to 4; one that
 * would run past the end starts again at 0, a marker (or less than 4 spare
 * bytes) telling the reader to skip the rest.
 */

/** Control words (Int32Array over ctlBuffer). */
export const CTL_WRITE = 0;
export const CTL_READ = 1;
/** Bumped by the writer after a batch, for Atomics.waitAsync in the reader. */
export const CTL_SEQ = 2;
export const CTL_WORDS = 8;

const WRAP = 0xffffffff;

export const MIN_RING_BYTES = 4096;
export const MAX_RING_BYTES = 1 << 30;

export interface RingBuffers {
  data: SharedArrayBuffer;
  ctl: SharedArrayBuffer;
}

/** Buffers for a ring of `bytes` (rounded up to a power of two). */
export function makeRing(bytes: number): RingBuffers {
  let cap = MIN_RING_BYTES;
  while (cap < bytes && cap < MAX_RING_BYTES) cap *= 2;
  return { data: new SharedArrayBuffer(cap), ctl: new SharedArrayBuffer(CTL_WORDS * 4) };
}

const align4 = (n: number): number => (n + 3) & ~3;

export class RingWriter {
  private readonly bytes: Uint8Array;
  private readonly dv: DataView;
  private readonly ctl: Int32Array;
  readonly capacity: number;

  constructor(b: RingBuffers) {
    this.bytes = new Uint8Array(b.data);
    this.dv = new DataView(b.data);
    this.ctl = new Int32Array(b.ctl);
    this.capacity = b.data.byteLength;
  }

  /** Bytes in the ring now. */
  get used(): number {
    return (Atomics.load(this.ctl, CTL_WRITE) - Atomics.load(this.ctl, CTL_READ)) >>> 0;
  }

  /** Appends src[0, len); false (nothing written) when it does not fit. */
  push(src: Uint8Array, len: number): boolean {
    const cap = this.capacity;
    const need = align4(4 + len);
    if (need > cap) return false;
    let w = Atomics.load(this.ctl, CTL_WRITE) >>> 0;
    const r = Atomics.load(this.ctl, CTL_READ) >>> 0;
    let used = (w - r) >>> 0;
    let pos = w & (cap - 1);
    const tail = cap - pos;
    if (need > tail) {
      if (used + tail + need > cap) return false;
      this.dv.setUint32(pos, WRAP, true);
      w = (w + tail) >>> 0;
      used += tail;
      pos = 0;
    }
    if (used + need > cap) return false;
    this.dv.setUint32(pos, len, true);
    this.bytes.set(len === src.length ? src : src.subarray(0, len), pos + 4);
    Atomics.store(this.ctl, CTL_WRITE, (w + need) | 0);
    return true;
  }

  /** Wakes the reader (after a batch of pushes). */
  notify(): void {
    Atomics.add(this.ctl, CTL_SEQ, 1);
    Atomics.notify(this.ctl, CTL_SEQ);
  }
}

export class RingReader {
  private readonly buf: Buffer;
  private readonly dv: DataView;
  readonly ctl: Int32Array;
  readonly capacity: number;
  private r: number;

  constructor(b: RingBuffers) {
    this.buf = Buffer.from(b.data);
    this.dv = new DataView(b.data);
    this.ctl = new Int32Array(b.ctl);
    this.capacity = b.data.byteLength;
    this.r = Atomics.load(this.ctl, CTL_READ) >>> 0;
  }

  /**
   * Calls `fn` with each record written so far (a view into the ring, valid
   * during the call), then frees their room. Returns how many were read.
   * At most `max` records.
   */
  drain(fn: (buf: Buffer, off: number, len: number) => void, max = Infinity): number {
    const cap = this.capacity;
    const w = Atomics.load(this.ctl, CTL_WRITE) >>> 0;
    let r = this.r;
    let n = 0;
    while (r !== w && n < max) {
      const pos = r & (cap - 1);
      if (cap - pos < 4 || this.dv.getUint32(pos, true) === WRAP) {
        r = (r + (cap - pos)) >>> 0;
        continue;
      }
      const len = this.dv.getUint32(pos, true);
      fn(this.buf, pos + 4, len);
      r = (r + align4(4 + len)) >>> 0;
      n++;
    }
    this.r = r;
    Atomics.store(this.ctl, CTL_READ, r | 0);
    return n;
  }

  /** Nothing waits to be read. */
  empty(): boolean {
    return this.r === Atomics.load(this.ctl, CTL_WRITE) >>> 0;
  }

  /** The writer's batch counter, for Atomics.waitAsync. */
  seq(): number {
    return Atomics.load(this.ctl, CTL_SEQ);
  }
}
