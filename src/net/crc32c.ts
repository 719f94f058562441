/**
 * CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), as the PROXY
 * protocol v2 checksum TLV carries it. Table-driven; check value
 * crc32c("123456789") = 0xe3069283.
 */
const TABLE = (() => {
  const t = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    t[i] = c >>> 0;
  }
  return t;
})();

/** CRC-32C of b[start, end), continuing from `crc` (0 to start). */
export function crc32c(b: Uint8Array, start = 0, end = b.length, crc = 0): number {
  let c = ~crc >>> 0;
  for (let i = start; i < end; i++) c = TABLE[(c ^ b[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}
