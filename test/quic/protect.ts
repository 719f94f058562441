/**
 * Packet protection for tests, written from RFC 9001 sections 5.3 and 5.4
 * (the inverse of what pof does): build a long-header Initial, encrypt its
 * frames with AES-128-GCM and apply header protection. The tests check it
 * first against the RFC's own protected packets.
 */
import { createCipheriv } from 'node:crypto';

export interface ProtectSpec {
  version: number;
  dcid: Buffer;
  scid?: Buffer;
  token?: Buffer;
  pn: number;
  pnLen: 1 | 2 | 3 | 4;
  /** The frames, already padded as wanted. */
  payload: Buffer;
  keys: { key: Buffer; iv: Buffer; hp: Buffer };
}

const V2 = 0x6b3343cf;

export function protectInitial(s: ProtectSpec): Buffer {
  const scid = s.scid ?? Buffer.alloc(0);
  const token = s.token ?? Buffer.alloc(0);
  if (token.length > 63) throw new Error('test helper: token too long for a 1-byte varint');
  const typeBits = s.version === V2 ? 1 : 0;
  const length = s.pnLen + s.payload.length + 16;
  const pn = Buffer.alloc(s.pnLen);
  for (let i = 0; i < s.pnLen; i++) pn[s.pnLen - 1 - i] = (s.pn >>> (8 * i)) & 0xff;
  const version = Buffer.alloc(4);
  version.writeUInt32BE(s.version);
  const header = Buffer.concat([
    Buffer.from([0xc0 | (typeBits << 4) | (s.pnLen - 1)]),
    version,
    Buffer.from([s.dcid.length]),
    s.dcid,
    Buffer.from([scid.length]),
    scid,
    Buffer.from([token.length]),
    token,
    Buffer.from([0x40 | (length >> 8), length & 0xff]),
    pn,
  ]);
  const nonce = Buffer.from(s.keys.iv);
  for (let i = 0; i < 4; i++) nonce[11 - i] ^= (s.pn >>> (8 * i)) & 0xff;
  const c = createCipheriv('aes-128-gcm', s.keys.key, nonce);
  c.setAAD(header);
  const sealed = Buffer.concat([c.update(s.payload), c.final(), c.getAuthTag()]);
  const sample = sealed.subarray(4 - s.pnLen, 4 - s.pnLen + 16);
  const ecb = createCipheriv('aes-128-ecb', s.keys.hp, null);
  ecb.setAutoPadding(false);
  const mask = ecb.update(sample);
  const out = Buffer.concat([header, sealed]);
  out[0] ^= mask[0] & 0x0f;
  const pnAt = header.length - s.pnLen;
  for (let i = 0; i < s.pnLen; i++) out[pnAt + i] ^= mask[1 + i];
  return out;
}

/** A CRYPTO frame: type 0x06, offset and length as varints, data. */
export function cryptoFrame(offset: number, data: Buffer): Buffer {
  return Buffer.concat([Buffer.from([0x06]), varint(offset), varint(data.length), data]);
}

export function varint(v: number): Buffer {
  if (v < 0x40) return Buffer.from([v]);
  if (v < 0x4000) return Buffer.from([0x40 | (v >> 8), v & 0xff]);
  if (v < 0x40000000) {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(v);
    b[0] |= 0x80;
    return b;
  }
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(BigInt(v));
  b[0] |= 0xc0;
  return b;
}
