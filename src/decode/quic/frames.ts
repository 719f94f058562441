/**
 * The frames of a decrypted Initial packet (RFC 9000 section 12.4 and 19):
 * only PADDING, PING, ACK, CRYPTO and CONNECTION_CLOSE may appear there.
 * CRYPTO frames are handed to a CryptoAssembly; the others are stepped
 * over. Any other frame type ends the walk as 'unexpected-frame' (frames
 * carry no common length, so an unknown one cannot be skipped).
 */
import type { CryptoAssembly } from './crypto-assembly.js';
import { readVarint, type VarintOut } from './varint.js';

export const FrameType = {
  PADDING: 0x00,
  PING: 0x01,
  ACK: 0x02,
  ACK_ECN: 0x03,
  CRYPTO: 0x06,
  CONNECTION_CLOSE: 0x1c,
  CONNECTION_CLOSE_APP: 0x1d,
} as const;

export type FrameReason =
  /** A frame runs past the end of the payload. */
  | 'truncated'
  /** A frame type that has no place in an Initial packet. */
  | 'unexpected-frame'
  /** The CRYPTO data could not be taken (the assembly is over its limits). */
  | 'crypto-rejected';

export type FrameWalk =
  | {
      ok: true;
      /** CRYPTO frames handed on. */
      crypto: number;
      /** Whether a PING, an ACK or a CONNECTION_CLOSE was seen. */
      ping: boolean;
      ack: boolean;
      close: boolean;
    }
  | { ok: false; reason: FrameReason };

const vi: VarintOut = { value: 0, next: 0 };

/** Walk the frames of `payload`, giving CRYPTO data to `sink`. */
export function walkInitialFrames(payload: Buffer, sink: CryptoAssembly): FrameWalk {
  const end = payload.length;
  let p = 0;
  let crypto = 0;
  let ping = false;
  let ack = false;
  let close = false;
  while (p < end) {
    const type = payload[p];
    switch (type) {
      case FrameType.PADDING:
        p++;
        while (p < end && payload[p] === 0) p++;
        break;
      case FrameType.PING:
        ping = true;
        p++;
        break;
      case FrameType.ACK:
      case FrameType.ACK_ECN: {
        ack = true;
        p++;
        // Largest Acknowledged, ACK Delay, ACK Range Count, First ACK Range.
        let n = 0;
        for (let i = 0; i < 4; i++) {
          if (!readVarint(payload, p, end, vi)) return { ok: false, reason: 'truncated' };
          p = vi.next;
          if (i === 2) n = vi.value;
        }
        // Each further range is a Gap and an ACK Range Length; ECN counts are three more.
        if (n > end) return { ok: false, reason: 'truncated' };
        let more = n * 2 + (type === FrameType.ACK_ECN ? 3 : 0);
        while (more-- > 0) {
          if (!readVarint(payload, p, end, vi)) return { ok: false, reason: 'truncated' };
          p = vi.next;
        }
        break;
      }
      case FrameType.CRYPTO: {
        if (!readVarint(payload, p + 1, end, vi)) return { ok: false, reason: 'truncated' };
        const offset = vi.value;
        if (!readVarint(payload, vi.next, end, vi)) return { ok: false, reason: 'truncated' };
        const len = vi.value;
        const d = vi.next;
        if (len > end - d) return { ok: false, reason: 'truncated' };
        if (!sink.add(offset, payload, d, d + len)) return { ok: false, reason: 'crypto-rejected' };
        crypto++;
        p = d + len;
        break;
      }
      case FrameType.CONNECTION_CLOSE:
      case FrameType.CONNECTION_CLOSE_APP: {
        close = true;
        // Error Code, (Frame Type for 0x1c), Reason Phrase Length, Reason Phrase.
        p++;
        const fields = type === FrameType.CONNECTION_CLOSE ? 3 : 2;
        for (let i = 0; i < fields; i++) {
          if (!readVarint(payload, p, end, vi)) return { ok: false, reason: 'truncated' };
          p = vi.next;
        }
        if (vi.value > end - p) return { ok: false, reason: 'truncated' };
        p += vi.value;
        break;
      }
      default:
        return { ok: false, reason: 'unexpected-frame' };
    }
  }
  return { ok: true, crypto, ping, ack, close };
}
