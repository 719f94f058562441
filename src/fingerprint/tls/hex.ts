/** Lower-case hex of bytes, from a table made once. */
const HEX2: string[] = [];
for (let i = 0; i < 256; i++) HEX2.push(i.toString(16).padStart(2, '0'));

/** Two lower-case hex digits of a byte. */
export function hex2(b: number): string {
  return HEX2[b & 0xff];
}

