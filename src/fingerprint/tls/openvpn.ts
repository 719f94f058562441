/**
 * TLS carried in OpenVPN's control channel over TCP. OpenVPN runs its TLS
 * handshake inside its own reliable packets: over TCP each packet has a
 * 2-byte length, then an opcode and key id, the sender's session id, an
 * optional tls-auth HMAC block, acknowledgements and a message packet id;
 * P_CONTROL_V1 packets carry the TLS bytes, which may be cut anywhere
 * across packets. This takes the TLS byte stream back out of a client's
 * first bytes so that the record framer can read its ClientHello.
 *
 * Packet layout from OpenVPN's protocol description (ssl_pkt.h):
 *   opcode << 3 | key_id (1), session_id (8),
 *   [tls-auth: HMAC (16, 20, 32 or 64), packet_id (4), net_time (4)],
 *   ack count (1), acked ids (4 each), remote session_id (8, when acks),
 *   message packet_id (4, not in P_ACK_V1), payload.
 * tls-crypt encrypts all of this and cannot be read; such a stream is
 * 'unreadable'.
 */

export const OpenVpnOpcode = {
  CONTROL_HARD_RESET_CLIENT_V1: 1,
  CONTROL_V1: 4,
  ACK_V1: 5,
  CONTROL_HARD_RESET_CLIENT_V2: 7,
  CONTROL_HARD_RESET_CLIENT_V3: 10,
} as const;

export type OpenVpnTls =
  /** The TLS bytes in order, as far as they run without a gap. */
  | { kind: 'tls'; bytes: Buffer }
  /** The stream does not start like an OpenVPN client over TCP. */
  | { kind: 'not-openvpn' }
  /** OpenVPN, but no layout tried gives TLS (tls-crypt, or an unknown HMAC size). */
  | { kind: 'unreadable' }
  /** OpenVPN so far, without a whole P_CONTROL_V1 packet yet. */
  | { kind: 'need-more' };

/** tls-auth HMAC sizes (MD5, SHA-1, SHA-256, SHA-512) plus packet_id and net_time, and none. */
const AUTH_BLOCKS = [0, 16 + 8, 20 + 8, 32 + 8, 64 + 8];
const SESSION_ID_LEN = 8;
/** Most control packets looked at. */
const MAX_PACKETS = 64;

/** Whether the first bytes of a TCP client stream look like an OpenVPN hard reset. */
export function looksLikeOpenVpnTcp(buf: Buffer, start = 0, end = buf.length): boolean {
  if (end - start < 3) return false;
  const len = (buf[start] << 8) | buf[start + 1];
  const op = buf[start + 2] >> 3;
  return (
    len >= 1 + SESSION_ID_LEN + 1 + 4 &&
    len <= 1500 &&
    (op === OpenVpnOpcode.CONTROL_HARD_RESET_CLIENT_V2 ||
      op === OpenVpnOpcode.CONTROL_HARD_RESET_CLIENT_V3 ||
      op === OpenVpnOpcode.CONTROL_HARD_RESET_CLIENT_V1)
  );
}

/** Offset of a P_CONTROL_V1 packet's payload for an auth block size, or -1. */
function payloadAt(buf: Buffer, s: number, e: number, auth: number): number {
  let p = s + 1 + SESSION_ID_LEN + auth;
  if (p >= e) return -1;
  const acks = buf[p++];
  p += acks * 4 + (acks > 0 ? SESSION_ID_LEN : 0) + 4;
  return p <= e ? p : -1;
}

/** The TLS bytes of an OpenVPN-over-TCP client stream. */
export function openVpnTcpTls(buf: Buffer, start = 0, end = buf.length): OpenVpnTls {
  if (end > buf.length) end = buf.length;
  if (!looksLikeOpenVpnTcp(buf, start, end)) return { kind: 'not-openvpn' };
  // Control packets by position: [start, end) of each, and its opcode.
  const pkts: Array<[number, number]> = [];
  for (let p = start; p + 2 <= end && pkts.length < MAX_PACKETS; ) {
    const len = (buf[p] << 8) | buf[p + 1];
    if (len === 0 || p + 2 + len > end) break;
    if (buf[p + 2] >> 3 === OpenVpnOpcode.CONTROL_V1) pkts.push([p + 2, p + 2 + len]);
    p += 2 + len;
  }
  if (pkts.length === 0) return { kind: 'need-more' };
  // The layout is the one under which the first control payload starts a TLS handshake record.
  const [fs, fe] = pkts[0];
  const auth = AUTH_BLOCKS.find((a) => {
    const q = payloadAt(buf, fs, fe, a);
    return q >= 0 && q + 2 <= fe && buf[q] === 22 && buf[q + 1] === 3;
  });
  if (auth === undefined) return { kind: 'unreadable' };
  // Payloads by message packet id; retransmissions repeat an id.
  const byId = new Map<number, Buffer>();
  for (const [s, e] of pkts) {
    const q = payloadAt(buf, s, e, auth);
    if (q < 0) continue;
    const id = buf.readUInt32BE(q - 4);
    if (!byId.has(id)) byId.set(id, buf.subarray(q, e));
  }
  let firstId = Infinity;
  for (const id of byId.keys()) if (id < firstId) firstId = id;
  const parts: Buffer[] = [];
  for (let id = firstId; byId.has(id); id++) parts.push(byId.get(id) as Buffer);
  return { kind: 'tls', bytes: parts.length === 1 ? parts[0] : Buffer.concat(parts) };
}
