/** Lower-case hex of bytes and 16-bit values, from a table made once. */
const HEX2: string[] = [];
for (let i = 0; i < 256; i++) HEX2.push(i.toString(16).padStart(2, '0'));

/** Two lower-case hex digits of a byte. */
export function hex2(b: number): string {
  return HEX2[b & 0xff];
}

/** Four lower-case hex digits of a 16-bit value. */
export function hex4(v: number): string {
  return HEX2[(v >> 8) & 0xff] + HEX2[v & 0xff];
}
