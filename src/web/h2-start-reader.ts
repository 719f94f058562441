/**
 * Reading the start of an HTTP/2 connection off its TLS socket, before
 * Node's HTTP/2 session takes the socket over: the plaintext is read as it
 * comes until the first request's HEADERS frame (fingerprint/h2.ts), then
 * put back (unshift) with the socket paused. Node's session, made over a
 * socket with buffered bytes, feeds them to its parser first.
 *
 * Node's HTTP/2 never shows the frames themselves in the order they came
 * (only what they set), and its parser reads the TLS socket in C++; hence
 * this step between TLS and HTTP/2. It costs the first request nothing
 * when the client sends it right after its preface, as clients do (RFC
 * 9113 3.4 allows it, and curl, browsers, Node, Go and nghttp2 do it). A
 * client that waits for the server's SETTINGS first waits h2TimeoutMs
 * more (the server says nothing until the session starts); its
 * fingerprint is then what it sent before.
 *
 * Whatever the bytes, the socket goes on to HTTP/2: what is not a client
 * preface is handed over as it is, for HTTP/2 to refuse. Bounded like the
 * hello reader: bytes per socket, sockets at once, time.
 */
import type net from 'node:net';
import { PofError } from '../errors.js';
import { H2_MAX_START_BYTES, readH2Start, type H2Start } from '../fingerprint/h2.js';
import { intOption } from '../options.js';
import type { H2Miss } from './tls-facts.js';

export const DEFAULT_H2_TIMEOUT_MS = 50;
export const MAX_H2_TIMEOUT_MS = 60_000;
export const DEFAULT_MAX_PENDING_H2 = 4096;

export interface H2StartOptions {
  /** Longest wait for the first request after the handshake, ms (default 50); then HTTP/2 goes on with what came. */
  h2TimeoutMs?: number;
  /** Connections reading their start at once (default 4096); more go to HTTP/2 unread. */
  maxPendingH2?: number;
}

export type H2Outcome = { kind: 'start'; start: H2Start; cut: boolean } | { kind: 'none'; reason: H2Miss | 'closed' };

export interface H2StartStats {
  read: number;
  /** Read up to the timeout without reaching a request (cut short). */
  cut: number;
  missed: Record<H2Miss | 'closed', number>;
  pending: number;
}

export class H2StartReader {
  readonly h2TimeoutMs: number;
  readonly maxPending: number;
  readonly stats: H2StartStats = {
    read: 0,
    cut: 0,
    missed: { 'not-h2': 0, 'no-settings': 0, 'bad-frame': 0, 'too-large': 0, timeout: 0, busy: 0, closed: 0 },
    pending: 0,
  };
  private readonly reading = new Set<net.Socket>();

  constructor(opts: H2StartOptions = {}) {
    if (opts === null || typeof opts !== 'object') throw new PofError('E_CONFIG', 'HTTP/2 start reader: options must be an object');
    this.h2TimeoutMs = intOption('TLS: h2TimeoutMs', opts.h2TimeoutMs, DEFAULT_H2_TIMEOUT_MS, 1, MAX_H2_TIMEOUT_MS);
    this.maxPending = intOption('TLS: maxPendingH2', opts.maxPendingH2, DEFAULT_MAX_PENDING_H2, 1, 1_000_000);
  }

  /**
   * Reads the start of a TLS socket just secured, then calls `done` once:
   * the socket paused with its bytes put back, except for 'closed' (gone;
   * not to be handed on). Never throws.
   */
  accept(socket: net.Socket, done: (o: H2Outcome) => void): void {
    if (socket.destroyed) return this.miss(done, 'closed');
    if (this.stats.pending >= this.maxPending) return this.miss(done, 'busy');
    this.stats.pending++;
    this.reading.add(socket);
    let buf: Buffer | null = null;
    let finished = false;
    const finish = (o: H2Outcome): void => {
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
        socket.on('error', noop);
        socket.destroy();
      } else {
        socket.pause();
        if (buf && buf.length) socket.unshift(buf);
      }
      if (o.kind === 'start') {
        if (o.cut) this.stats.cut++;
        else this.stats.read++;
      } else this.stats.missed[o.reason]++;
      done(o);
    };
    const onData = (chunk: Buffer): void => {
      buf = buf ? Buffer.concat([buf, chunk]) : chunk;
      const r = readH2Start(buf, 0, buf.length, { limit: H2_MAX_START_BYTES });
      if (r.kind === 'complete') finish({ kind: 'start', start: r.start, cut: false });
      else if (r.kind === 'invalid') finish({ kind: 'none', reason: r.reason });
    };
    const onGone = (): void => finish({ kind: 'none', reason: 'closed' });
    const timer = setTimeout(() => {
      const r = buf ? readH2Start(buf) : null;
      if (r && r.kind === 'need-more' && r.start) finish({ kind: 'start', start: r.start, cut: true });
      else finish({ kind: 'none', reason: 'timeout' });
    }, this.h2TimeoutMs);
    timer.unref?.();
    socket.on('data', onData);
    socket.on('error', onGone);
    socket.on('end', onGone);
    socket.on('close', onGone);
  }

  /** Ends the connections whose start is being read (a server closing). */
  destroyPending(): void {
    for (const s of [...this.reading]) s.destroy();
  }

  private miss(done: (o: H2Outcome) => void, reason: H2Miss | 'closed'): void {
    this.stats.missed[reason]++;
    done({ kind: 'none', reason });
  }
}

const noop = (): void => {};
