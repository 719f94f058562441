/**
 * Writing PROXY protocol v2 headers, for tests and tools (pof reads them,
 * balancers write them): addresses, TLVs in the order given, and a CRC-32C
 * TLV filled in when asked for.
 */
import { crc32c } from '../net/crc32c.js';
import { parseAddress } from '../net/addr.js';
import { PP2_TYPE, V2_FIXED_LENGTH, V2_SIGNATURE, type ProxyAddress } from './proxy-protocol.js';

/** Bytes of one UNIX address. */
const UNIX_ADDR = 108;

export interface V2Spec {
  command?: 'proxy' | 'local';
  addr?: ProxyAddress | null;
  /** TLVs as given (type, value), written in order. */
  tlvs?: Array<{ type: number; value: Uint8Array }>;
  /** Append a CRC-32C TLV (filled in). */
  crc32c?: boolean;
}

/** A v2 header (for tests and tools). */
export function writeV2(spec: V2Spec): Buffer {
  const a = spec.addr ?? null;
  const parts: Buffer[] = [];
  let famByte = 0x00;
  if (spec.command !== 'local' && a) {
    const tr = a.transport === 'stream' ? 1 : a.transport === 'dgram' ? 2 : 0;
    if (a.family === 'unix') {
      famByte = 0x30 | tr;
      const p = Buffer.alloc(2 * UNIX_ADDR);
      p.write(a.src, 0, UNIX_ADDR, 'utf8');
      p.write(a.dst, UNIX_ADDR, UNIX_ADDR, 'utf8');
      parts.push(p);
    } else {
      const s = parseAddress(a.src);
      const d = parseAddress(a.dst);
      if (!s || !d) throw new Error('writeV2: bad address');
      const six = a.family === 'inet6';
      famByte = (six ? 0x20 : 0x10) | tr;
      const bytes = (p: { ver: 4 | 6; bytes: Uint8Array }): Uint8Array => {
        if (!six) return p.bytes;
        if (p.ver === 6) return p.bytes;
        const m = new Uint8Array(16);
        m[10] = m[11] = 0xff;
        m.set(p.bytes, 12);
        return m;
      };
      const ports = Buffer.alloc(4);
      ports.writeUInt16BE(a.srcPort, 0);
      ports.writeUInt16BE(a.dstPort, 2);
      parts.push(Buffer.from(bytes(s)), Buffer.from(bytes(d)), ports);
    }
  }
  for (const t of spec.tlvs ?? []) {
    const h = Buffer.from([t.type, t.value.length >> 8, t.value.length & 0xff]);
    parts.push(h, Buffer.from(t.value));
  }
  let crcAt = -1;
  if (spec.crc32c) {
    crcAt = V2_FIXED_LENGTH + parts.reduce((n, p) => n + p.length, 0) + 3;
    parts.push(Buffer.from([PP2_TYPE.CRC32C, 0, 4, 0, 0, 0, 0]));
  }
  const body = Buffer.concat(parts);
  const out = Buffer.concat([V2_SIGNATURE, Buffer.from([spec.command === 'local' ? 0x20 : 0x21, famByte, body.length >> 8, body.length & 0xff]), body]);
  if (crcAt !== -1) out.writeUInt32BE(crc32c(out), crcAt);
  return out;
}
