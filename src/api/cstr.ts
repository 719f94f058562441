/**
 * Fixed-size, NUL-terminated C strings as the p0f wire structs hold them.
 * Text is written as UTF-8, cut to size - 1 bytes (never in the middle of a
 * character) so the field always ends in NUL; the rest of the field is NUL.
 */

/** Writes `text` into buf[off, off + size). The target bytes must already be zero. */
export function writeCString(buf: Buffer, off: number, size: number, text: string | null | undefined): void {
  if (!text) return;
  // Buffer#write stops before a character that would not fit whole.
  buf.write(text, off, size - 1, 'utf8');
}

/** Reads a C string from buf[off, off + size): up to the first NUL, or the whole field. */
export function readCString(buf: Buffer, off: number, size: number): string {
  let end = off;
  const max = off + size;
  while (end < max && buf[end] !== 0) end++;
  return buf.toString('utf8', off, end);
}

/** A number fitted to a wire field's range: truncated, clamped, `dflt` when not finite. */
export function clamp(n: number, lo: number, hi: number, dflt: number): number {
  return Number.isFinite(n) ? Math.min(Math.max(Math.trunc(n), lo), hi) : dflt;
}
