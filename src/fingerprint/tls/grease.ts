/**
 * GREASE (RFC 8701): reserved 16-bit values a client sprinkles into its
 * cipher suites, extensions, groups, signature algorithms and versions so
 * that servers keep tolerating unknown ones. They are 0x0a0a, 0x1a1a, ...
 * 0xfafa: both bytes equal, each with low nibble 0xa. Fingerprints skip them.
 */
export function isGrease(v: number): boolean {
  return (v & 0x0f0f) === 0x0a0a && v >> 8 === (v & 0xff);
}
