/**
 * QUIC Initial packets (RFC 9000 section 17.2, RFC 9001 section 5, RFC
 * 9369 for version 2): the long header, the Initial keys every observer
 * can derive from the client's Destination Connection ID (public by
 * design: they guard against tampering, not reading), header protection
 * removal and AES-128-GCM payload decryption.
 *
 * Nothing here throws or writes into the packet: a failed decryption, a
 * version pof does not know or a short packet is a reason the caller
 * counts.
 */
import { createCipheriv, createDecipheriv, createHmac, type Cipher } from 'node:crypto';
import { readVarint, type VarintOut } from './varint.js';

export const QUIC_V1 = 0x00000001;
export const QUIC_V2 = 0x6b3343cf;

export type LongPacketType = 'initial' | '0-rtt' | 'handshake' | 'retry';

interface VersionParams {
  salt: Buffer;
  keyInfo: Buffer;
  ivInfo: Buffer;
  hpInfo: Buffer;
  /** Packet type by the header's two type bits. */
  types: readonly LongPacketType[];
}

/** HKDF-Expand-Label's HkdfLabel (RFC 8446 section 7.1) with an empty context. */
function hkdfLabel(label: string, length: number): Buffer {
  const full = Buffer.from('tls13 ' + label, 'latin1');
  const out = Buffer.alloc(2 + 1 + full.length + 1);
  out.writeUInt16BE(length, 0);
  out[2] = full.length;
  full.copy(out, 3);
  return out;
}

const KEY_LEN = 16;
const IV_LEN = 12;
const HP_LEN = 16;
const SECRET_LEN = 32;
const TAG_LEN = 16;
const SAMPLE_LEN = 16;
/** Bytes after the packet number offset where the header protection sample starts (RFC 9001 section 5.4.2). */
const SAMPLE_SKIP = 4;

const V1: VersionParams = {
  salt: Buffer.from('38762cf7f55934b34d179ae6a4c80cadccbb7f0a', 'hex'),
  keyInfo: hkdfLabel('quic key', KEY_LEN),
  ivInfo: hkdfLabel('quic iv', IV_LEN),
  hpInfo: hkdfLabel('quic hp', HP_LEN),
  types: ['initial', '0-rtt', 'handshake', 'retry'],
};
const V2: VersionParams = {
  salt: Buffer.from('0dede3def700a6db819381be6e269dcbf9bd2ed9', 'hex'),
  keyInfo: hkdfLabel('quicv2 key', KEY_LEN),
  ivInfo: hkdfLabel('quicv2 iv', IV_LEN),
  hpInfo: hkdfLabel('quicv2 hp', HP_LEN),
  types: ['retry', 'initial', '0-rtt', 'handshake'],
};
const CLIENT_IN = hkdfLabel('client in', SECRET_LEN);
const SERVER_IN = hkdfLabel('server in', SECRET_LEN);

function params(version: number): VersionParams | null {
  return version === QUIC_V1 ? V1 : version === QUIC_V2 ? V2 : null;
}

/** Whether pof can read this version's Initial packets (v1 and v2). */
export function isSupportedVersion(version: number): boolean {
  return params(version) !== null;
}

export interface LongHeader {
  version: number;
  type: LongPacketType;
  /** Views into the packet. */
  dcid: Buffer;
  scid: Buffer;
  /** The Initial's token (empty for other types). */
  token: Buffer;
  /** Offset of the packet's first byte. */
  start: number;
  /** Offset of the (protected) packet number; -1 for Retry. */
  pnOffset: number;
  /** Offset just after this packet: where a coalesced next one starts. */
  end: number;
}

export type LongHeaderReason =
  /** A short-header (1-RTT) packet, or an empty datagram. */
  | 'short-header'
  /** The header or the payload its Length field announces runs past the datagram. */
  | 'truncated'
  /** Version 0: a Version Negotiation packet. */
  | 'version-negotiation'
  /** A version whose Initial keys pof does not know. */
  | 'unsupported-version'
  /** A connection ID longer than the 20 bytes v1 and v2 allow. */
  | 'bad-cid-length';

export type LongHeaderResult = { ok: true; header: LongHeader } | { ok: false; reason: LongHeaderReason };

const MAX_CID_LEN = 20;
const EMPTY: Buffer = Buffer.alloc(0);
const vi: VarintOut = { value: 0, next: 0 };

function fail(reason: LongHeaderReason): LongHeaderResult {
  return { ok: false, reason };
}

/** Parse the long header of the packet at `start` in a UDP payload. */
export function parseLongHeader(buf: Buffer, start = 0, end = buf.length): LongHeaderResult {
  if (end > buf.length) end = buf.length;
  if (start >= end || (buf[start] & 0x80) === 0) return fail('short-header');
  if (start + 7 > end) return fail('truncated');
  const version = buf.readUInt32BE(start + 1);
  if (version === 0) return fail('version-negotiation');
  const vp = params(version);
  if (vp === null) return fail('unsupported-version');
  const type = vp.types[(buf[start] >> 4) & 3];
  let p = start + 5;
  const dcidLen = buf[p++];
  if (dcidLen > MAX_CID_LEN) return fail('bad-cid-length');
  if (p + dcidLen + 1 > end) return fail('truncated');
  const dcid = buf.subarray(p, p + dcidLen);
  p += dcidLen;
  const scidLen = buf[p++];
  if (scidLen > MAX_CID_LEN) return fail('bad-cid-length');
  if (p + scidLen > end) return fail('truncated');
  const scid = buf.subarray(p, p + scidLen);
  p += scidLen;
  if (type === 'retry') {
    return { ok: true, header: { version, type, dcid, scid, token: EMPTY, start, pnOffset: -1, end } };
  }
  let token: Buffer = EMPTY;
  if (type === 'initial') {
    if (!readVarint(buf, p, end, vi)) return fail('truncated');
    p = vi.next;
    if (vi.value > end - p) return fail('truncated');
    token = buf.subarray(p, p + vi.value);
    p += vi.value;
  }
  if (!readVarint(buf, p, end, vi)) return fail('truncated');
  p = vi.next;
  if (vi.value > end - p) return fail('truncated');
  return { ok: true, header: { version, type, dcid, scid, token, start, pnOffset: p, end: p + vi.value } };
}

export interface InitialKeys {
  version: number;
  key: Buffer;
  iv: Buffer;
  hp: Buffer;
  /** AES-128-ECB with the hp key, kept for the keys' life: ECB blocks are independent, so one cipher serves every sample. */
  hpCipher: Cipher | null;
}

function hmac(key: Buffer, data: Buffer): Buffer {
  return createHmac('sha256', key).update(data).digest();
}

/** HKDF-Expand for at most one SHA-256 block (RFC 5869): T(1) = HMAC(prk, info | 0x01). */
function expand(prk: Buffer, info: Buffer, length: number): Buffer {
  return createHmac('sha256', prk).update(info).update(ONE).digest().subarray(0, length);
}
const ONE = Buffer.from([1]);

/**
 * The Initial keys of one direction (RFC 9001 section 5.2), from the
 * Destination Connection ID of the client's first Initial packet; null
 * for a version pof does not know.
 */
export function initialKeys(dcid: Buffer, version: number, side: 'client' | 'server' = 'client'): InitialKeys | null {
  const vp = params(version);
  if (vp === null) return null;
  const initialSecret = hmac(vp.salt, dcid);
  const secret = expand(initialSecret, side === 'client' ? CLIENT_IN : SERVER_IN, SECRET_LEN);
  return {
    version,
    key: expand(secret, vp.keyInfo, KEY_LEN),
    iv: expand(secret, vp.ivInfo, IV_LEN),
    hp: expand(secret, vp.hpInfo, HP_LEN),
    hpCipher: null,
  };
}

/** The header protection mask for a 16-byte sample. */
function headerMask(keys: InitialKeys, sample: Buffer): Buffer {
  let c = keys.hpCipher;
  if (c === null) {
    c = createCipheriv('aes-128-ecb', keys.hp, null);
    c.setAutoPadding(false);
    keys.hpCipher = c;
  }
  return c.update(sample);
}

/**
 * The full packet number from its truncated form (RFC 9000 appendix A.3),
 * given the largest one seen so far (-1 for none).
 */
export function decodePacketNumber(largest: number, truncated: number, pnLen: number): number {
  const expected = largest + 1;
  const win = 2 ** (8 * pnLen);
  const hwin = win / 2;
  const candidate = expected - (expected % win) + truncated;
  if (candidate <= expected - hwin && candidate < 2 ** 62 - win) return candidate + win;
  if (candidate > expected + hwin && candidate >= win) return candidate - win;
  return candidate;
}

export type OpenReason =
  /** Not an Initial, 0-RTT or Handshake packet (a Retry has no payload). */
  | 'no-payload'
  /** Too short to hold the sample header protection needs, or the tag. */
  | 'too-short'
  /** The authentication tag does not match: other keys, or damaged. */
  | 'decrypt-failed';

export type OpenResult =
  | {
      ok: true;
      /** The full packet number. */
      pn: number;
      /** The decrypted frames (a new buffer). */
      payload: Buffer;
      /** The first byte with header protection removed. */
      firstByte: number;
    }
  | { ok: false; reason: OpenReason };

/**
 * Remove header protection and decrypt one packet with `keys`. The input
 * is not modified. `largestPn` is the largest packet number seen in this
 * direction so far (-1 for none).
 */
export function openPacket(buf: Buffer, header: LongHeader, keys: InitialKeys, largestPn = -1): OpenResult {
  const { start, pnOffset, end } = header;
  if (pnOffset < 0) return { ok: false, reason: 'no-payload' };
  const sampleAt = pnOffset + SAMPLE_SKIP;
  if (sampleAt + SAMPLE_LEN > end) return { ok: false, reason: 'too-short' };
  const mask = headerMask(keys, buf.subarray(sampleAt, sampleAt + SAMPLE_LEN));
  const firstByte = buf[start] ^ (mask[0] & 0x0f);
  const pnLen = (firstByte & 3) + 1;
  const payloadAt = pnOffset + pnLen;
  if (payloadAt + TAG_LEN > end) return { ok: false, reason: 'too-short' };

  // The associated data is the header as it was before protection.
  const aad = Buffer.allocUnsafe(payloadAt - start);
  buf.copy(aad, 0, start, payloadAt);
  aad[0] = firstByte;
  let truncated = 0;
  for (let i = 0; i < pnLen; i++) {
    const b = buf[pnOffset + i] ^ mask[1 + i];
    aad[pnOffset - start + i] = b;
    truncated = truncated * 256 + b;
  }
  const pn = decodePacketNumber(largestPn, truncated, pnLen);

  const nonce = Buffer.from(keys.iv);
  let rest = pn;
  for (let i = IV_LEN - 1; i >= IV_LEN - 8 && rest > 0; i--) {
    nonce[i] ^= rest % 256;
    rest = Math.floor(rest / 256);
  }
  try {
    const d = createDecipheriv('aes-128-gcm', keys.key, nonce);
    d.setAAD(aad);
    d.setAuthTag(buf.subarray(end - TAG_LEN, end));
    const head = d.update(buf.subarray(payloadAt, end - TAG_LEN));
    const tail = d.final();
    const payload = tail.length === 0 ? head : Buffer.concat([head, tail]);
    return { ok: true, pn, payload, firstByte };
  } catch {
    return { ok: false, reason: 'decrypt-failed' };
  }
}
