/**
 * TLS ClientHello fingerprints (issue 22): pure functions over bytes, no
 * I/O, no state. Takes a connection's first bytes (TCP: the client's, or
 * the server's for its ServerHello) or a QUIC CRYPTO message body; gives
 * the parsed hello, JA4 with JA4_r, JA4_o and JA4_ro, and JA3 with its
 * string. Imports only config and node:crypto. Every function returns a
 * result (a kind or an ok flag with a reason); none throws on bad input.
 *
 * Typical use on the packet path:
 *
 *   const f = frameHandshake(firstBytes, 0, n, { expect: HandshakeType.CLIENT_HELLO });
 *   // 'need-more': wait for more bytes (up to f.need); 'invalid': count f.reason, stop
 *   const h = parseClientHello(f.body);            // { ok, hello } | { ok: false, reason }
 *   const { ja4, ja4_r, ja4_o, ja4_ro } = ja4(h.hello, 'tcp');
 *   const { ja3, ja3_full } = ja3(h.hello);
 */
export { isGrease } from './grease.js';
export {
  ExtensionType,
  parseClientHello,
  parseServerHello,
  type ClientHello,
  type ClientHelloResult,
  type HelloReason,
  type ServerHello,
  type ServerHelloResult,
} from './hello.js';
export { EMPTY_HASH, ja4, ja4a, ja4Alpn, ja4Version, ja4VersionCode, type Ja4Set, type Ja4Transport } from './ja4.js';
export { ja3, ja3String, type Ja3 } from './ja3.js';
export { looksLikeOpenVpnTcp, openVpnTcpTls, type OpenVpnTls } from './openvpn.js';
export {
  ContentType,
  HandshakeType,
  MAX_FRAGMENT_LEN,
  frameDtlsHandshake,
  frameHandshake,
  scanForHandshake,
  type DtlsFrameReason,
  type DtlsHandshakeFrame,
  type FrameOptions,
  type FrameReason,
  type HandshakeFrame,
} from './records.js';
