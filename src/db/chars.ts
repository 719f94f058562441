/**
 * Character classes and number reading with the meaning p0f's parser gives
 * them (C locale: only ASCII letters and digits count). Positions past the
 * end of a string read as '' — the C string terminator.
 */

/** Non-alphanumeric characters p0f allows in OS / application names (p0f NAME_CHARS). */
export const NAME_CHARS = ' ./-_!?()';

/** Most headers in an HTTP signature's horder or habsent list (p0f HTTP_MAX_HDRS). */
export const HTTP_MAX_HDRS = 32;

export function isDigit(c: string): boolean {
  return c.length === 1 && c >= '0' && c <= '9';
}

export function isAlpha(c: string): boolean {
  return c.length === 1 && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'));
}

export function isAlnum(c: string): boolean {
  return isAlpha(c) || isDigit(c);
}

export function isBlank(c: string): boolean {
  return c === ' ' || c === '\t';
}

/** A character allowed in an OS or application name. */
export function isNameChar(c: string): boolean {
  return isAlnum(c) || (c.length === 1 && NAME_CHARS.includes(c));
}

/** A character allowed in an HTTP header name in a signature. */
export function isHeaderChar(c: string): boolean {
  return isAlnum(c) || c === '-' || c === '_';
}

/** Index of the first non-digit at or after `i`. */
export function digitsEnd(s: string, i: number): number {
  while (isDigit(s.charAt(i))) i++;
  return i;
}

/** ASCII-only lower case, as strcasecmp compares. */
export function asciiLower(s: string): string {
  return s.replace(/[A-Z]+/g, (m) => m.toLowerCase());
}

const LONG_MAX = (1n << 63n) - 1n;

/**
 * The value p0f gets from a run of decimal digits: atol() (saturating at
 * LONG_MAX on a 64-bit system) stored into a signed 32-bit variable. An
 * empty run reads as 0.
 */
export function atolS32(digits: string): number {
  if (digits === '') return 0;
  if (digits.length <= 9) return Number(digits);
  let v = BigInt(digits);
  if (v > LONG_MAX) v = LONG_MAX;
  return Number(BigInt.asIntN(32, v));
}

/** Text for a message: a short, visible rendering of what was found. */
export function shown(s: string, max = 24): string {
  if (s === '') return 'nothing';
  const t = s.length > max ? s.slice(0, max) + '...' : s;
  return `'${t.replace(/\r/g, '\\r').replace(/\t/g, '\\t')}'`;
}
