/**
 * One direction of a connection the TLS gatherer watches (tls-gather.ts):
 * where its stream starts, what it is doing, and the bytes kept; and the
 * byte-level tests the gatherer makes on it, apart from its bookkeeping.
 */
import { MAX_TLS_HELLO_BYTES, MAX_TLS_SEGMENT_RANGES, TLS_SCAN_BYTES } from '../config.js';
import { CryptoAssembly } from '../decode/quic/crypto-assembly.js';
import { frameHandshake, scanForHandshake, type FrameOptions, type HandshakeFrame } from '../fingerprint/tls/records.js';

const HANDSHAKE = 22;

/**
 * What one direction is doing:
 *  wait    the stream's start is known (from the SYN), no data yet;
 *  scan    the stream starts in clear text: its first TLS_SCAN_BYTES are looked through for a record;
 *  gather  bytes are kept by sequence number until the hello is whole;
 *  openvpn the same, the TLS bytes taken out of OpenVPN's control packets (fingerprint/tls/openvpn.ts);
 *  after   a ClientHello was reported; more is read only if the server asks for another (HelloRetryRequest);
 *  done    nothing more is wanted.
 */
export type DirMode = 'wait' | 'scan' | 'gather' | 'openvpn' | 'after' | 'done';

export class TlsDir {
  mode: DirMode = 'wait';
  /** Sequence number of offset 0 (32 bits). */
  base = 0;
  /** Whether `base` is the stream's first byte (seen from the SYN), so clear text before TLS can be scanned. */
  startKnown = false;
  /** Offset of `base` from the stream's first byte, when known (the scan limit counts from there). */
  streamOff = 0;
  /** Where the next handshake message starts, from `base`. */
  at = 0;
  /** Other records (ChangeCipherSpec, ...) may come before the message looked for (a second hello). */
  skipOthers = false;
  /** Bytes from `base` the framer said it needs at least (0: unknown): no framing before they are there. */
  need = 0;
  asm: CryptoAssembly | null = null;

  /** As new (its assembly given back first). */
  reset(): void {
    this.mode = 'wait';
    this.base = 0;
    this.startKnown = false;
    this.streamOff = 0;
    this.at = 0;
    this.skipOthers = false;
    this.need = 0;
    this.asm = null;
  }
}

/** Whether the bytes at `p` start a TLS record holding a handshake message of `type` (22, 3.0-3.4, length, type). */
export function recordStart(b: Buffer, p: number, n: number, type: number): boolean {
  return n >= 6 && b[p] === HANDSHAKE && b[p + 1] === 3 && b[p + 2]! <= 4 && b[p + 5] === type;
}

/** HTTP/1 and HTTP/2's first bytes, which never lead to TLS (CONNECT does, and is not here). */
export function plainHttp(b: Buffer, p: number, n: number): boolean {
  if (n < 4) return false;
  const w = (b[p]! << 24) | (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!;
  // 'GET ', 'POST', 'HEAD', 'PUT ', 'OPTI', 'DELE', 'PATC', 'PRI ' (the HTTP/2 preface)
  return w === 0x47455420 || w === 0x504f5354 || w === 0x48454144 || w === 0x50555420 || w === 0x4f505449 || w === 0x44454c45 || w === 0x50415443 || w === 0x50524920;
}

/**
 * Frame the message at d.at of the bytes b[zero, end) (b[zero] is offset
 * 0; `type` 1 for a ClientHello, 2 for a ServerHello); for a second
 * message, records of other types before it are stepped over (d.at moves
 * past them). Null: those are not all there yet.
 */
export function frameNext(d: TlsDir, b: Buffer, zero: number, end: number, type: number): HandshakeFrame | null {
  let at = zero + d.at;
  if (d.skipOthers) {
    while (at + 5 <= end && b[at] !== HANDSHAKE && b[at + 1] === 3) {
      const next = at + 5 + ((b[at + 3]! << 8) | b[at + 4]!);
      if (next > end) {
        d.need = 0;
        return null;
      }
      at = next;
    }
    d.at = at - zero;
  }
  const f = frameHandshake(b, at, end, d.at === 0 ? FROM_START[type]! : { expect: type, limit: MAX_TLS_HELLO_BYTES - d.at });
  d.need = f.kind === 'need-more' ? d.at + f.need : 0;
  return f;
}

/** The framer's options for a message at offset 0, by message type (made once). */
const FROM_START: ReadonlyArray<FrameOptions | undefined> = [undefined, { expect: 1, limit: MAX_TLS_HELLO_BYTES }, { expect: 2, limit: MAX_TLS_HELLO_BYTES }];

/**
 * The gathered bytes b (offset 0 at b[0]) do not hold a message at d.at
 * (the framer's `reason`): in a stream whose clear-text start is known,
 * the next record start within the scan window. A frame there (complete
 * or needing more; d.at moves to it), 'scan' when none is there yet but
 * the window goes on past b, 'none' when there is none to find.
 */
export function rescan(d: TlsDir, b: Buffer, type: number, reason: string): HandshakeFrame | 'scan' | 'none' {
  const window = TLS_SCAN_BYTES - d.streamOff;
  if (!d.startKnown || d.skipOthers || reason === 'too-large' || d.at >= window) return 'none';
  for (let from = d.at + 1; ; ) {
    const c = scanForHandshake(b, from, Math.min(b.length, window + 5), type);
    if (c < 0 || c >= window) return b.length >= window ? 'none' : 'scan';
    const f = frameHandshake(b, c, b.length, { expect: type, limit: MAX_TLS_HELLO_BYTES - c });
    if (f.kind !== 'invalid') {
      d.at = c;
      d.need = f.kind === 'need-more' ? c + f.need : 0;
      return f;
    }
    from = c + 1;
  }
}

/** Spare assemblies kept for reuse, and the largest buffer one may keep. */
const SPARES = 64;
const SPARE_BYTES = 4096;

/**
 * The assemblies of a gatherer's directions, with the bytes they hold
 * counted (the caller adds what an add() grows); those given back are
 * kept for the next ones (a few, small ones), so that a flood of
 * connections that each send part of a hello allocates nothing.
 */
export class AssemblyPool {
  held = 0;
  private readonly spare: CryptoAssembly[] = [];

  take(): CryptoAssembly {
    const a = this.spare.pop() ?? new CryptoAssembly(MAX_TLS_HELLO_BYTES, MAX_TLS_SEGMENT_RANGES);
    this.held += a.bytesHeld;
    return a;
  }

  give(a: CryptoAssembly): void {
    this.held -= a.bytesHeld;
    if (a.bytesHeld <= SPARE_BYTES && this.spare.length < SPARES) {
      a.reset();
      this.spare.push(a);
    }
  }
}
