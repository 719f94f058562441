/**
 * One reused byte buffer that the fingerprints write their ASCII forms
 * into (hex lists for JA4, decimal lists for JA3): hashing reads the bytes
 * as they are, and a string is made only of what is kept. Single-threaded
 * use only: each fingerprint function is done with it before it returns.
 */

const HEX = Buffer.from('0123456789abcdef', 'latin1');
const COMMA = 0x2c;
const DASH = 0x2d;

let bytes = Buffer.allocUnsafe(16 * 1024);
let words = new Uint16Array(4096);

/** The scratch bytes, at least `n` long (their contents are not kept when it grows). */
export function scratchBytes(n: number): Buffer {
  if (bytes.length < n) bytes = Buffer.allocUnsafe(Math.max(n, bytes.length * 2));
  return bytes;
}

/** Scratch 16-bit values, at least `n` (three lists side by side use 3n). */
export function scratchWords(n: number): Uint16Array {
  if (words.length < n) words = new Uint16Array(Math.max(n, words.length * 2));
  return words;
}

/** Write `n` values from `v[from..]` as comma-separated 4-digit lower-case hex at `p`; the offset after. */
export function putHexList(b: Buffer, p: number, v: ArrayLike<number>, from: number, n: number): number {
  for (let i = 0; i < n; i++) {
    if (i > 0) b[p++] = COMMA;
    const x = v[from + i];
    b[p] = HEX[(x >> 12) & 15];
    b[p + 1] = HEX[(x >> 8) & 15];
    b[p + 2] = HEX[(x >> 4) & 15];
    b[p + 3] = HEX[x & 15];
    p += 4;
  }
  return p;
}

/** Write a non-negative integer below 2^31 in decimal at `p`; the offset after. */
export function putDecimal(b: Buffer, p: number, x: number): number {
  let digits = 1;
  for (let t = x; t >= 10; t = (t / 10) | 0) digits++;
  for (let i = p + digits - 1; i >= p; i--) {
    b[i] = 0x30 + (x % 10);
    x = (x / 10) | 0;
  }
  return p + digits;
}

/** Write values as JA3 does: decimal, '-' joined, GREASE left out when asked; the offset after. */
export function putDecimalList(b: Buffer, p: number, v: ArrayLike<number>, skip: ((x: number) => boolean) | null): number {
  let first = true;
  for (let i = 0; i < v.length; i++) {
    const x = v[i];
    if (skip !== null && skip(x)) continue;
    if (!first) b[p++] = DASH;
    p = putDecimal(b, p, x);
    first = false;
  }
  return p;
}
