/**
 * TLS record layer framing of the first bytes one side of a connection
 * sent (RFC 8446 section 5, RFC 5246 section 6.2): find the first
 * handshake message (a ClientHello from a client, a ServerHello from a
 * server) in a byte prefix, across as many records as it spans.
 *
 * Given a prefix, the answer is one of three: the message is complete
 * (its body, a view when it sits in one record, a copy when it spans
 * several), more bytes are needed (and at least how many), or the bytes
 * cannot be the start of a TLS handshake (and why). A caller gathering
 * TCP segments asks again each time the prefix grows. Nothing here
 * throws or reads outside [start, end).
 */
import { MAX_TLS_HELLO_BYTES } from '../../config.js';

export const ContentType = {
  CHANGE_CIPHER_SPEC: 20,
  ALERT: 21,
  HANDSHAKE: 22,
  APPLICATION_DATA: 23,
} as const;

export const HandshakeType = {
  CLIENT_HELLO: 1,
  SERVER_HELLO: 2,
} as const;

/** Record header: type, version (2), length (2). */
export const RECORD_HEADER_LEN = 5;
/** Handshake header: type, length (3). */
export const HANDSHAKE_HEADER_LEN = 4;
/** Largest record fragment accepted: 2^14 plaintext plus the 2048 bytes TLS allows ciphertext to grow. */
export const MAX_FRAGMENT_LEN = 16384 + 2048;

export type FrameReason =
  /** The first record is not a handshake record (not TLS, or not its start). */
  | 'not-handshake'
  /** An SSL 2.0-format record (a 2-byte header with the top bit set); not parsed. */
  | 'sslv2'
  /** A record version other than 3.0 to 3.4. */
  | 'bad-record-version'
  /** A record longer than TLS allows. */
  | 'bad-record-length'
  /** Another record type arrived before the handshake message was whole. */
  | 'interleaved'
  /** The first handshake message is not of the type asked for. */
  | 'unexpected-message'
  /** The message, or the bytes needed to hold it, exceed the limit. */
  | 'too-large';

export type HandshakeFrame =
  | {
      kind: 'complete';
      /** Handshake message type (1 ClientHello, 2 ServerHello, ...). */
      msgType: number;
      /** The message body, after its 4-byte header. A view into the input when it lies in one record. */
      body: Buffer;
      /** The version field of the first record (0x0301 is usual for a ClientHello, whatever it offers). */
      recordVersion: number;
      /** How many records the message spans. */
      records: number;
      /**
       * Offset just after the last record holding part of the message,
       * where the next record starts. It may lie beyond the bytes given
       * when that record is not all there yet.
       */
      end: number;
    }
  /** Not enough bytes yet; `need` is a lower bound on the prefix length (from `start`) that could do. */
  | { kind: 'need-more'; need: number }
  | { kind: 'invalid'; reason: FrameReason };

export interface FrameOptions {
  /** Most bytes, counted from `start` and record headers included, the message may occupy. */
  limit?: number;
  /** The message type expected first; any other is 'unexpected-message' as soon as its first byte is seen. */
  expect?: number;
}

const INVALID: Record<FrameReason, HandshakeFrame> = {
  'not-handshake': { kind: 'invalid', reason: 'not-handshake' },
  sslv2: { kind: 'invalid', reason: 'sslv2' },
  'bad-record-version': { kind: 'invalid', reason: 'bad-record-version' },
  'bad-record-length': { kind: 'invalid', reason: 'bad-record-length' },
  interleaved: { kind: 'invalid', reason: 'interleaved' },
  'unexpected-message': { kind: 'invalid', reason: 'unexpected-message' },
  'too-large': { kind: 'invalid', reason: 'too-large' },
};

function needMore(need: number, limit: number): HandshakeFrame {
  if (need > limit) return INVALID['too-large'];
  return { kind: 'need-more', need };
}

/**
 * Frame the first handshake message of the records starting at `start`.
 * The 'invalid' answers are shared objects: do not mutate them.
 */
export function frameHandshake(
  buf: Buffer,
  start = 0,
  end = buf.length,
  opts: FrameOptions = {},
): HandshakeFrame {
  const limit = opts.limit ?? MAX_TLS_HELLO_BYTES;
  const expect = opts.expect ?? -1;
  if (end > buf.length) end = buf.length;
  if (start < 0 || start >= end) return needMore(RECORD_HEADER_LEN, limit);

  const first = buf[start];
  if (first !== ContentType.HANDSHAKE) {
    // SSL 2.0 records start with a 2-byte length whose top bit is set;
    // an SSL 2.0 CLIENT-HELLO has message type 1 right after it.
    if ((first & 0x80) !== 0 && (end - start < 3 || buf[start + 2] === 1)) return INVALID.sslv2;
    return INVALID['not-handshake'];
  }

  let p = start;
  let records = 0;
  let recordVersion = 0;
  // The handshake header's four bytes are gathered as they stream past
  // (they may themselves straddle records).
  let got = 0;
  let msgType = -1;
  let msgLen = 0;
  let total = -1; // header + body, once the header is known
  let msgBytes = 0; // message bytes in the records before this one

  for (;;) {
    if (p + RECORD_HEADER_LEN > end) return needMore(p + RECORD_HEADER_LEN - start, limit);
    if (buf[p] !== ContentType.HANDSHAKE) return records === 0 ? INVALID['not-handshake'] : INVALID.interleaved;
    const major = buf[p + 1];
    const minor = buf[p + 2];
    if (major !== 3 || minor > 4) return INVALID['bad-record-version'];
    const len = (buf[p + 3] << 8) | buf[p + 4];
    if (len > MAX_FRAGMENT_LEN) return INVALID['bad-record-length'];
    if (records === 0) recordVersion = (major << 8) | minor;
    records++;

    const fragStart = p + RECORD_HEADER_LEN;
    const recEnd = fragStart + len;
    const availEnd = recEnd < end ? recEnd : end;
    for (let q = fragStart; got < HANDSHAKE_HEADER_LEN && q < availEnd; q++) {
      const b = buf[q];
      if (got === 0) {
        msgType = b;
        if (expect >= 0 && b !== expect) return INVALID['unexpected-message'];
      } else {
        msgLen = (msgLen << 8) | b;
      }
      got++;
    }
    if (total < 0 && got === HANDSHAKE_HEADER_LEN) {
      total = HANDSHAKE_HEADER_LEN + msgLen;
      if (total > limit) return INVALID['too-large'];
    }

    if (total >= 0) {
      const left = total - msgBytes; // message bytes from this record on
      if (availEnd - fragStart >= left) {
        return complete(buf, start, recEnd, records, recordVersion, msgType, msgLen);
      }
      if (availEnd < recEnd) {
        // Cut short inside this record: the message needs at least this
        // record's rest, or more records if it goes on past it.
        const need = left <= len ? fragStart - start + left : recEnd - start + RECORD_HEADER_LEN + (left - len);
        return needMore(need, limit);
      }
    } else if (availEnd < recEnd) {
      return needMore(availEnd - start + (HANDSHAKE_HEADER_LEN - got), limit);
    }
    msgBytes += len;
    p = recEnd;
    if (p - start >= limit) return INVALID['too-large'];
  }
}

/** The message is whole: a view when it lies in one record, else a copy of its fragments. */
function complete(
  buf: Buffer,
  start: number,
  recEnd: number,
  records: number,
  recordVersion: number,
  msgType: number,
  msgLen: number,
): HandshakeFrame {
  let body: Buffer;
  if (records === 1) {
    const from = start + RECORD_HEADER_LEN + HANDSHAKE_HEADER_LEN;
    body = buf.subarray(from, from + msgLen);
  } else {
    body = Buffer.allocUnsafe(msgLen);
    let skip = HANDSHAKE_HEADER_LEN; // header bytes still to pass over
    let filled = 0;
    let p = start;
    while (filled < msgLen) {
      const len = (buf[p + 3] << 8) | buf[p + 4];
      let q = p + RECORD_HEADER_LEN;
      let n = len;
      if (skip > 0) {
        const s = skip < n ? skip : n;
        q += s;
        n -= s;
        skip -= s;
      }
      if (n > msgLen - filled) n = msgLen - filled;
      buf.copy(body, filled, q, q + n);
      filled += n;
      p += RECORD_HEADER_LEN + len;
    }
  }
  return { kind: 'complete', msgType, body, recordVersion, records, end: recEnd };
}

/**
 * Where, at or after `from`, the bytes look like the start of a TLS record
 * carrying a handshake message of type `msgType` (22, 3.x, a plausible
 * length, then the type byte), or -1. For protocols that talk in clear
 * before TLS (STARTTLS in SMTP, IMAP, FTP, XMPP; PostgreSQL's and MySQL's
 * SSL requests), whose hello does not start their first bytes. A hit is
 * only a candidate: frame it and parse it to know.
 */
export function scanForHandshake(buf: Buffer, from = 0, end = buf.length, msgType: number = HandshakeType.CLIENT_HELLO): number {
  if (end > buf.length) end = buf.length;
  let i = from < 0 ? 0 : from;
  while (i + RECORD_HEADER_LEN < end) {
    i = buf.indexOf(ContentType.HANDSHAKE, i);
    if (i < 0 || i + RECORD_HEADER_LEN >= end) return -1;
    if (buf[i + 1] === 3 && buf[i + 2] <= 4 && buf[i + 5] === msgType) {
      const len = (buf[i + 3] << 8) | buf[i + 4];
      if (len >= HANDSHAKE_HEADER_LEN && len <= MAX_FRAGMENT_LEN) return i;
    }
    i++;
  }
  return -1;
}

/** DTLS record header: type, version (2), epoch (2), sequence number (6), length (2). */
export const DTLS_RECORD_HEADER_LEN = 13;
/** DTLS handshake header: type, length (3), message_seq (2), fragment_offset (3), fragment_length (3). */
export const DTLS_HANDSHAKE_HEADER_LEN = 12;

export type DtlsFrameReason = 'not-handshake' | 'bad-record-version' | 'bad-record-length' | 'fragmented' | 'truncated';

export type DtlsHandshakeFrame =
  | { kind: 'complete'; msgType: number; body: Buffer; recordVersion: number }
  | { kind: 'invalid'; reason: DtlsFrameReason };

/**
 * The first handshake message of a DTLS datagram (RFC 6347 section 4.1 and
 * 4.2.2; RFC 9147 keeps this plaintext form for the ClientHello), when it
 * is in one piece. A ClientHello fragmented over several DTLS handshake
 * fragments is 'fragmented' (rare: it would need a hello larger than the
 * path MTU).
 */
export function frameDtlsHandshake(buf: Buffer, start = 0, end = buf.length): DtlsHandshakeFrame {
  if (end > buf.length) end = buf.length;
  if (end - start < DTLS_RECORD_HEADER_LEN) return { kind: 'invalid', reason: 'truncated' };
  if (buf[start] !== ContentType.HANDSHAKE) return { kind: 'invalid', reason: 'not-handshake' };
  const major = buf[start + 1];
  const minor = buf[start + 2];
  // DTLS 1.0 is 0xfeff, 1.2 0xfefd, 1.3 0xfefc; a DTLS 1.0 hello may carry 0xfeff or 0xfefd.
  if (major !== 0xfe || minor < 0xfc) return { kind: 'invalid', reason: 'bad-record-version' };
  const len = (buf[start + 11] << 8) | buf[start + 12];
  if (len > MAX_FRAGMENT_LEN) return { kind: 'invalid', reason: 'bad-record-length' };
  const frag = start + DTLS_RECORD_HEADER_LEN;
  if (frag + len > end) return { kind: 'invalid', reason: 'truncated' };
  if (len < DTLS_HANDSHAKE_HEADER_LEN) return { kind: 'invalid', reason: 'truncated' };
  const msgType = buf[frag];
  const msgLen = (buf[frag + 1] << 16) | (buf[frag + 2] << 8) | buf[frag + 3];
  const fragOff = (buf[frag + 6] << 16) | (buf[frag + 7] << 8) | buf[frag + 8];
  const fragLen = (buf[frag + 9] << 16) | (buf[frag + 10] << 8) | buf[frag + 11];
  if (fragOff !== 0 || fragLen !== msgLen) return { kind: 'invalid', reason: 'fragmented' };
  if (DTLS_HANDSHAKE_HEADER_LEN + msgLen > len) return { kind: 'invalid', reason: 'truncated' };
  const from = frag + DTLS_HANDSHAKE_HEADER_LEN;
  return { kind: 'complete', msgType, body: buf.subarray(from, from + msgLen), recordVersion: (major << 8) | minor };
}
