/**
 * Reading a TLS ClientHello off a socket just accepted, before TLS sees
 * it, without disturbing the handshake: the first bytes are read as they
 * come until the record framer (fingerprint/tls/records.ts) says the
 * hello is whole, parsed and fingerprinted (JA4, JA4_r, JA3), then put back
 * (socket.unshift) with the socket paused, for Node's TLS to read as if
 * nothing had happened (a TLSSocket made over a socket with buffered bytes
 * takes them first).
 *
 * Whatever the bytes are, the socket goes on to TLS: what is not a
 * hello (garbage, plain HTTP, SSL 2.0), a hello that does not parse, one
 * past the byte limit, and one not whole within the timeout (a client
 * dripping bytes) are handed over as they are, unfingerprinted, and TLS
 * fails or succeeds on them as it would have. Only a socket that closes
 * or fails while its hello is read is dropped (there is nothing left to
 * hand over). Bounded: at most maxBytes held per socket, at most
 * maxPending sockets read at once (more go to TLS unread), each for at
 * most helloTimeoutMs.
 */
import type net from 'node:net';
import { MAX_TLS_HELLO_BYTES } from '../config.js';
import { PofError } from '../errors.js';
import { parseClientHello, type ClientHello } from '../fingerprint/tls/hello.js';
import { ja3, type Ja3 } from '../fingerprint/tls/ja3.js';
import { ja4, type Ja4Set } from '../fingerprint/tls/ja4.js';
import { frameHandshake, HandshakeType } from '../fingerprint/tls/records.js';
import { intOption } from '../options.js';

export const DEFAULT_HELLO_TIMEOUT_MS = 5000;
export const MAX_HELLO_TIMEOUT_MS = 600_000;
/** Sockets reading their hello at once; more go to TLS unread ('busy'). */
export const DEFAULT_MAX_PENDING_HELLOS = 4096;
export const MAX_PENDING_HELLOS_CAP = 1_000_000;
/** Smallest byte limit: a record header, a handshake header and a minimal hello. */
const MIN_HELLO_BYTES = 64;

export interface TlsHelloOptions {
  /** A hello must be whole within this, ms from accept (default 5000); later, TLS goes on without a fingerprint. */
  helloTimeoutMs?: number;
  /** Most bytes held while a hello is read (default 16 KiB: config MAX_TLS_HELLO_BYTES). */
  maxHelloBytes?: number;
  /** Sockets reading their hello at once (default 4096); more go to TLS unread. */
  maxPending?: number;
}

/** Why a connection has no TLS fingerprint. */
export type HelloMiss =
  /** The first bytes are not a TLS handshake record (plain HTTP, garbage). */
  | 'not-tls'
  /** An SSL 2.0 hello. */
  | 'sslv2'
  /** The hello record does not hold together (bad version or length, interleaved records, not a ClientHello). */
  | 'bad-record'
  /** The hello's body does not parse. */
  | 'bad-hello'
  /** Longer than maxHelloBytes. */
  | 'too-large'
  /** Not whole within helloTimeoutMs. */
  | 'timeout'
  /** maxPending sockets were reading their hellos already. */
  | 'busy'
  /** The socket closed or failed first (it is not handed on). */
  | 'closed';

export const HELLO_MISSES: readonly HelloMiss[] = ['not-tls', 'sslv2', 'bad-record', 'bad-hello', 'too-large', 'timeout', 'busy', 'closed'];

export type HelloOutcome =
  | { kind: 'hello'; hello: ClientHello; ja4: Ja4Set; ja3: Ja3; bytes: number }
  | { kind: 'none'; reason: HelloMiss };

export interface TlsHelloStats {
  /** Hellos read and fingerprinted. */
  read: number;
  missed: Record<HelloMiss, number>;
  /** Sockets reading their hello now. */
  pending: number;
}

export class ClientHelloReader {
  readonly helloTimeoutMs: number;
  readonly maxHelloBytes: number;
  readonly maxPending: number;
  readonly stats: TlsHelloStats = {
    read: 0,
    missed: { 'not-tls': 0, sslv2: 0, 'bad-record': 0, 'bad-hello': 0, 'too-large': 0, timeout: 0, busy: 0, closed: 0 },
    pending: 0,
  };
  /** The sockets being read, so that a server closing can end them. */
  private readonly reading = new Set<net.Socket>();

  /** Checks the options (PofError E_CONFIG, one line). */
  constructor(opts: TlsHelloOptions = {}) {
    if (opts === null || typeof opts !== 'object') throw new PofError('E_CONFIG', 'TLS hello reader: options must be an object');
    this.helloTimeoutMs = intOption('TLS: helloTimeoutMs', opts.helloTimeoutMs, DEFAULT_HELLO_TIMEOUT_MS, 1, MAX_HELLO_TIMEOUT_MS);
    this.maxHelloBytes = intOption('TLS: maxHelloBytes', opts.maxHelloBytes, MAX_TLS_HELLO_BYTES, MIN_HELLO_BYTES, 1 << 20);
    this.maxPending = intOption('TLS: maxPending', opts.maxPending, DEFAULT_MAX_PENDING_HELLOS, 1, MAX_PENDING_HELLOS_CAP);
  }

  /**
   * Reads the hello of a socket just accepted, then calls `done` once,
   * with the socket paused and every byte read put back, except for
   * 'closed' (the socket is gone; not to be handed on). Never throws.
   */
  accept(socket: net.Socket, done: (o: HelloOutcome) => void): void {
    if (socket.destroyed) return this.miss(done, 'closed');
    if (this.stats.pending >= this.maxPending) return this.miss(done, 'busy');
    this.stats.pending++;
    this.reading.add(socket);
    let buf: Buffer | null = null;
    let finished = false;
    const finish = (o: HelloOutcome): void => {
      if (finished) return;
      finished = true;
      this.stats.pending--;
      this.reading.delete(socket);
      clearTimeout(timer);
      socket.removeListener('data', onData);
      socket.removeListener('error', onGone);
      socket.removeListener('end', onGone);
      socket.removeListener('close', onGone);
      if (o.kind === 'none' && o.reason === 'closed') {
        // A peer that failed may still be written to by nobody: its errors go nowhere.
        socket.on('error', noop);
        socket.destroy();
      } else {
        socket.pause();
        if (buf && buf.length) socket.unshift(buf);
      }
      if (o.kind === 'hello') this.stats.read++;
      else this.stats.missed[o.reason]++;
      done(o);
    };
    const onData = (chunk: Buffer): void => {
      buf = buf ? Buffer.concat([buf, chunk]) : chunk;
      const f = frameHandshake(buf, 0, buf.length, { limit: this.maxHelloBytes, expect: HandshakeType.CLIENT_HELLO });
      switch (f.kind) {
        case 'need-more':
          // The framer refuses a hello past the limit; this is only for bytes beyond what it needs.
          if (buf.length >= this.maxHelloBytes) finish({ kind: 'none', reason: 'too-large' });
          return;
        case 'invalid':
          return finish({ kind: 'none', reason: f.reason === 'not-handshake' ? 'not-tls' : f.reason === 'sslv2' ? 'sslv2' : f.reason === 'too-large' ? 'too-large' : 'bad-record' });
        case 'complete': {
          const p = parseClientHello(f.body);
          if (!p.ok) return finish({ kind: 'none', reason: 'bad-hello' });
          return finish({ kind: 'hello', hello: p.hello, ja4: ja4(p.hello, 'tcp'), ja3: ja3(p.hello), bytes: f.end });
        }
        default: {
          const never: never = f;
          void never;
        }
      }
    };
    const onGone = (): void => finish({ kind: 'none', reason: 'closed' });
    const timer = setTimeout(() => finish({ kind: 'none', reason: 'timeout' }), this.helloTimeoutMs);
    timer.unref?.();
    socket.on('data', onData);
    socket.on('error', onGone);
    socket.on('end', onGone);
    socket.on('close', onGone);
    // Paused by an earlier reader (a PROXY header's): the bytes it put back come first.
    socket.resume();
  }

  /** Ends the sockets whose hellos are being read (a server closing). */
  destroyPending(): void {
    for (const s of [...this.reading]) s.destroy();
  }

  private miss(done: (o: HelloOutcome) => void, reason: HelloMiss): void {
    this.stats.missed[reason]++;
    done({ kind: 'none', reason });
  }
}

const noop = (): void => {};
