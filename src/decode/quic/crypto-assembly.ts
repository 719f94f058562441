/**
 * Reassembly of a QUIC connection's CRYPTO stream at the Initial level
 * (RFC 9000 section 19.6): frames carry (offset, bytes), may come in any
 * order, split anywhere, repeated or overlapping, over several packets.
 * (The engine's TCP gatherer uses it too, for a stream's first bytes by
 * sequence number.)
 * Bytes are kept in one buffer that grows as needed up to a limit; the
 * ranges received are a short sorted list. Once the prefix from offset 0
 * holds a whole handshake message (the ClientHello), it is handed out.
 *
 * Bounded: offsets past the limit, or more separate ranges than allowed,
 * fail the assembly (a reason, counted by the caller), and it then takes
 * nothing more.
 */
import { MAX_QUIC_CRYPTO_BYTES, MAX_QUIC_CRYPTO_RANGES } from '../../config.js';

export type CryptoFailure =
  /** Data at offsets past the limit. */
  | 'over-limit'
  /** More separate ranges than allowed while waiting for the gaps to fill. */
  | 'too-fragmented';

export type CryptoMessage =
  | { kind: 'need-more'; contiguous: number }
  | {
      kind: 'complete';
      msgType: number;
      /** The message body, a view into the assembly's buffer: valid until the next add(). */
      body: Buffer;
    }
  | { kind: 'invalid'; reason: CryptoFailure | 'unexpected-message' | 'too-large' };

const HANDSHAKE_HEADER_LEN = 4;
const FIRST_ALLOC = 2048;
const EMPTY = Buffer.alloc(0);

export class CryptoAssembly {
  readonly limit: number;
  readonly maxRanges: number;
  private buf: Buffer | null = null;
  /**
   * Received ranges, flat [start0, end0, start1, end1, ...] in the first
   * `used` places: sorted, disjoint and not touching. A typed array of
   * fixed size, so that taking data allocates nothing.
   */
  private readonly ranges: Int32Array;
  private used = 0;
  private failure: CryptoFailure | null = null;

  constructor(limit = MAX_QUIC_CRYPTO_BYTES, maxRanges = MAX_QUIC_CRYPTO_RANGES) {
    this.limit = limit;
    this.maxRanges = maxRanges;
    this.ranges = new Int32Array(2 * maxRanges + 2);
  }

  /** Why the assembly stopped taking data, or null. */
  get failed(): CryptoFailure | null {
    return this.failure;
  }

  /** Bytes received without a gap from offset 0. */
  get contiguous(): number {
    return this.used > 0 && this.ranges[0] === 0 ? this.ranges[1]! : 0;
  }

  /**
   * The bytes received without a gap from offset 0, as a view into the
   * assembly's buffer: valid until the next add(). Empty before any.
   */
  prefix(): Buffer {
    const n = this.contiguous;
    return this.buf === null || n === 0 ? EMPTY : this.buf.subarray(0, n);
  }

  /**
   * Forget everything received (and a failure), keeping the buffer: an
   * assembly can be reused for another stream without a new allocation.
   * Views prefix() or message() gave before are no longer meaningful.
   */
  reset(): void {
    this.used = 0;
    this.failure = null;
  }

  /** Bytes of memory this assembly holds. */
  get bytesHeld(): number {
    return this.buf === null ? 0 : this.buf.length;
  }

  /**
   * Take the bytes `data[from, to)` found at stream offset `offset`. Bytes
   * already held are overwritten with the same stream positions (a
   * retransmission carries the same bytes). False once failed.
   */
  add(offset: number, data: Buffer, from = 0, to = data.length): boolean {
    if (this.failure !== null) return false;
    const len = to - from;
    if (len <= 0) return true;
    const endOff = offset + len;
    if (endOff > this.limit) {
      this.fail();
      this.failure = 'over-limit';
      return false;
    }
    if (!this.insertRange(offset, endOff)) {
      this.fail();
      this.failure = 'too-fragmented';
      return false;
    }
    this.ensure(endOff);
    const b = this.buf as Buffer;
    // Short copies byte by byte: Buffer.copy makes a view per call, garbage a flood of small pieces would pile up.
    if (len < 2048) for (let i = 0; i < len; i++) b[offset + i] = data[from + i]!;
    else data.copy(b, offset, from, to);
    return true;
  }

  /**
   * The first handshake message, once whole. `expect` is its required
   * type (1 for a ClientHello), -1 for any.
   */
  message(expect = -1): CryptoMessage {
    if (this.failure !== null) return { kind: 'invalid', reason: this.failure };
    const have = this.contiguous;
    const b = this.buf;
    if (b === null || have < 1) return { kind: 'need-more', contiguous: have };
    if (expect >= 0 && b[0] !== expect) return { kind: 'invalid', reason: 'unexpected-message' };
    if (have < HANDSHAKE_HEADER_LEN) return { kind: 'need-more', contiguous: have };
    const len = (b[1] << 16) | (b[2] << 8) | b[3];
    if (HANDSHAKE_HEADER_LEN + len > this.limit) return { kind: 'invalid', reason: 'too-large' };
    if (have < HANDSHAKE_HEADER_LEN + len) return { kind: 'need-more', contiguous: have };
    return { kind: 'complete', msgType: b[0], body: b.subarray(HANDSHAKE_HEADER_LEN, HANDSHAKE_HEADER_LEN + len) };
  }

  private fail(): void {
    this.buf = null;
    this.used = 0;
  }

  private ensure(size: number): void {
    const cur = this.buf;
    if (cur !== null && cur.length >= size) return;
    let cap = cur === null ? FIRST_ALLOC : cur.length * 2;
    if (cap < size) cap = size;
    if (cap > this.limit) cap = this.limit;
    const next = Buffer.alloc(cap);
    if (cur !== null) cur.copy(next);
    this.buf = next;
  }

  /** Merge [s, e) into the range list; false when that would exceed maxRanges. */
  private insertRange(s: number, e: number): boolean {
    const r = this.ranges;
    const n = this.used;
    // First range whose end reaches s (touching counts), then all it merges with.
    let i = 0;
    while (i < n && r[i + 1]! < s) i += 2;
    let j = i;
    let ns = s;
    let ne = e;
    while (j < n && r[j]! <= e) {
      if (r[j]! < ns) ns = r[j]!;
      if (r[j + 1]! > ne) ne = r[j + 1]!;
      j += 2;
    }
    if (j === i && n / 2 >= this.maxRanges) return false;
    // The ranges [i, j) become the one [ns, ne): the ones after it move.
    const delta = 2 - (j - i);
    if (delta !== 0 && j < n) r.copyWithin(i + 2, j, n);
    r[i] = ns;
    r[i + 1] = ne;
    this.used = n + delta;
    return true;
  }
}
