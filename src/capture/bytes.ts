/**
 * Unsigned 32/16-bit reads by hand. The callers have checked the bounds
 * already, and these inline where Buffer#readUInt32LE and friends (with
 * their own checks) sometimes do not.
 */

export function le32(b: Buffer, o: number): number {
  return (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16)) + b[o + 3]! * 0x1000000;
}

export function be32(b: Buffer, o: number): number {
  return b[o]! * 0x1000000 + ((b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!);
}

export function u32(b: Buffer, o: number, le: boolean): number {
  return le ? le32(b, o) : be32(b, o);
}

export function u16(b: Buffer, o: number, le: boolean): number {
  return le ? b[o]! | (b[o + 1]! << 8) : (b[o]! << 8) | b[o + 1]!;
}
