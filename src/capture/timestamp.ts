/**
 * pcapng timestamps: a 64-bit count of units since the epoch, given as two
 * 32-bit words, where the unit is 10^-n or 2^-n seconds (the interface's
 * if_tsresol byte: the high bit picks base 2, the rest is n). Splitting it
 * into whole seconds and microseconds must be exact although the count
 * passes 2^53, so all arithmetic below works on pieces that stay exact in
 * doubles: no BigInt, no allocation.
 */
import type { PacketRecord } from './types.js';

/** The if_tsresol byte meaning microseconds, the pcapng default. */
export const TSRESOL_USEC = 6;

const TWO32 = 4294967296;
/** A high word below this keeps hi*2^32 + lo under 2^53. */
const SAFE_HI = 0x200000;
const POW10 = [1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000, 1000000000];

// Result of the last divmod64(): quotient as two words, and remainder.
let qHi = 0;
let qLo = 0;
let rem = 0;

/** Divide hi*2^32 + lo by d (1 <= d <= 2^32) exactly, 16 bits at a time. */
function divmod64(hi: number, lo: number, d: number): void {
  let q = Math.floor(hi / d);
  let r = hi - q * d;
  qHi = q;
  let t = r * 65536 + (lo >>> 16);
  q = Math.floor(t / d);
  r = t - q * d;
  if (r < 0) {
    q--;
    r += d;
  }
  const low = q * 65536;
  t = r * 65536 + (lo & 0xffff);
  q = Math.floor(t / d);
  r = t - q * d;
  if (r < 0) {
    q--;
    r += d;
  }
  qLo = low + q;
  rem = r;
}

/**
 * Write the time `hi*2^32 + lo` units (unit given by `tsresol`) plus
 * `offsetSec` seconds into rec.tsSec / rec.tsUsec, truncating below a
 * microsecond.
 */
export function setTimestamp(
  rec: PacketRecord,
  hi: number,
  lo: number,
  tsresol: number,
  offsetSec: number,
): void {
  if (tsresol === TSRESOL_USEC && hi < SAFE_HI) {
    // The common case: microseconds below 2^53. Multiply rather than
    // divide, then correct the at most one-off floor.
    const v = hi * TWO32 + lo;
    let sec = Math.floor(v * 1e-6);
    let r = v - sec * 1000000;
    if (r < 0) {
      sec--;
      r += 1000000;
    } else if (r >= 1000000) {
      sec++;
      r -= 1000000;
    }
    rec.tsSec = sec + offsetSec;
    rec.tsUsec = r;
    return;
  }
  const n = tsresol & 0x7f;
  if (tsresol & 0x80) {
    splitBinary(rec, hi, lo, n);
  } else if (n <= 9) {
    const unit = POW10[n]!;
    let sec: number;
    let r: number;
    if (hi < SAFE_HI) {
      // The count is below 2^53: one exact division does it.
      const v = hi * TWO32 + lo;
      sec = Math.floor(v / unit);
      r = v - sec * unit;
    } else {
      divmod64(hi, lo, unit);
      sec = qHi * TWO32 + qLo;
      r = rem;
    }
    rec.tsSec = sec;
    rec.tsUsec = n >= 6 ? Math.floor(r / POW10[n - 6]!) : r * POW10[6 - n]!;
  } else {
    // Bring the count down to microseconds, at most 10^9 per step.
    let h = hi;
    let l = lo;
    for (let k = n - 6; k > 0; k -= 9) {
      divmod64(h, l, POW10[k < 9 ? k : 9]!);
      h = qHi;
      l = qLo;
    }
    divmod64(h, l, 1000000);
    rec.tsSec = qHi * TWO32 + qLo;
    rec.tsUsec = rem;
  }
  if (offsetSec !== 0) rec.tsSec += offsetSec;
}

/** Units of 2^-n seconds: shifts, and a product split so it stays exact. */
function splitBinary(rec: PacketRecord, hi: number, lo: number, n: number): void {
  if (n < 32) {
    const unit = 2 ** n;
    const secLo = Math.floor(lo / unit);
    rec.tsSec = hi * 2 ** (32 - n) + secLo;
    // frac < 2^32, so frac * 10^6 < 2^52 is exact.
    rec.tsUsec = Math.floor(((lo - secLo * unit) * 1000000) / unit);
    return;
  }
  const unit = 2 ** (n - 32);
  const sec = Math.floor(hi / unit);
  const fracHi = hi - sec * unit;
  rec.tsSec = sec;
  // frac * 10^6 = fracHi*10^6 * 2^32 + lo*10^6; drop the low 32 bits first.
  const top = fracHi * 1000000 + Math.floor((lo * 1000000) / TWO32);
  rec.tsUsec = Math.floor(top / unit);
}
