/**
 * QUIC Initial packets (issue 22): pure functions over a UDP payload, no
 * I/O. Takes datagrams; gives long headers, the Initial keys of a client
 * DCID (v1 RFC 9001, v2 RFC 9369), decrypted payloads, their frames, and
 * the reassembled CRYPTO stream's first handshake message (the
 * ClientHello, for fingerprint/tls). Imports only config and node:crypto.
 * Nothing throws on bad input: each step returns a reason to count.
 *
 * Per client datagram (the caller keeps, per connection, the keys of the
 * client's first DCID, the largest packet number and one CryptoAssembly):
 *
 *   for (let off = 0; off < d.length; ) {          // coalesced packets
 *     const r = parseLongHeader(d, off); if (!r.ok) break; off = r.header.end;
 *     if (r.header.type !== 'initial') continue;
 *     keys ??= initialKeys(r.header.dcid, r.header.version);
 *     const o = openPacket(d, r.header, keys, largestPn); // 'decrypt-failed' is counted
 *     walkInitialFrames(o.payload, assembly);
 *   }
 *   const m = assembly.message(1);                  // 'complete' -> parseClientHello(m.body)
 */
export { CryptoAssembly, type CryptoFailure, type CryptoMessage } from './crypto-assembly.js';
export { FrameType, walkInitialFrames, type FrameReason, type FrameWalk } from './frames.js';
export {
  QUIC_V1,
  QUIC_V2,
  decodePacketNumber,
  initialKeys,
  isSupportedVersion,
  openPacket,
  parseLongHeader,
  type InitialKeys,
  type LongHeader,
  type LongHeaderReason,
  type LongHeaderResult,
  type LongPacketType,
  type OpenReason,
  type OpenResult,
} from './initial.js';
export { readVarint, type VarintOut } from './varint.js';
