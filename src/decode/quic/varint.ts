/**
 * QUIC variable-length integers (RFC 9000 section 16): the top two bits of
 * the first byte give the length (1, 2, 4 or 8 bytes), the rest is the
 * value, big-endian. Values past 2^53 lose precision as numbers; every
 * length or offset that large is invalid where it is read anyway.
 */

/** Where `readVarint` leaves its result: the value and the offset after it. */
export interface VarintOut {
  value: number;
  next: number;
}

/**
 * Read the varint at `p` (before `end`) into `out`; false when it does not
 * fit. `out` is a caller-owned scratch object, so reading costs no
 * allocation.
 */
export function readVarint(buf: Buffer, p: number, end: number, out: VarintOut): boolean {
  if (p >= end) return false;
  const first = buf[p];
  const len = 1 << (first >> 6);
  if (p + len > end) return false;
  let v = first & 0x3f;
  for (let i = 1; i < len; i++) v = v * 256 + buf[p + i];
  out.value = v;
  out.next = p + len;
  return true;
}
