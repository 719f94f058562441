/**
 * Reading the PROXY protocol header off accepted sockets, before anything
 * else (HTTP, TLS) sees their bytes.
 *
 * Who may send a header: peers in `trusted` (the load balancers, as CIDR
 * ranges). What happens, by mode:
 *
 *                       trusted peer                  untrusted peer
 *   'required'          header needed, else refused   refused at once
 *   'optional'          header used if sent           served as it is
 *
 * and in both modes a header (or a broken one) from an untrusted peer is
 * refused: nobody but a balancer may say whose connection it is.
 *
 * Telling a header from an application's first bytes needs no guessing:
 * a v1 header starts "PROXY ", a v2 one with its 12-byte signature, and no
 * HTTP request or TLS ClientHello starts so. The reader looks at the first
 * bytes as they come; as soon as they leave both signatures they are the
 * application's and are put back (socket.unshift) untouched. In optional
 * mode a peer that sends nothing within the header timeout (a browser's
 * preconnect) is handed on as it is; in required mode it is refused.
 *
 * A refused socket is destroyed. Others are handed on paused, with the
 * bytes after the header put back; proxyHeaderOf(socket) gives the header.
 * withProxyProtocol(server) does all of it for a net/http/https server:
 * its 'connection' event (and so every listener of it, whenever added)
 * comes only after the header was read.
 */
import type net from 'node:net';

import { PofError } from '../errors.js';
import { intOption } from '../options.js';
import { CidrList, parseCidrList } from '../net/cidr.js';
import { DEFAULT_V2_MAX_LENGTH, headerTuple, parseProxyHeader, V2_FIXED_LENGTH, V2_MAX_LENGTH, type ProxyHeader } from './proxy-protocol.js';
import type { ConnTuple } from './result.js';

export type ProxyProtocolMode = 'required' | 'optional';

export const DEFAULT_HEADER_TIMEOUT_MS = 3000;
export const MAX_HEADER_TIMEOUT_MS = 600_000;
/** Sockets reading a header at once; more are refused ('busy'). */
export const DEFAULT_MAX_PENDING_HEADERS = 4096;
export const MAX_PENDING_HEADERS_CAP = 1_000_000;

export interface ProxyProtocolOptions {
  /** The peers allowed to send a header: a CidrList, or its text ('127.0.0.1/32,10.0.0.0/8'). */
  trusted: CidrList | string;
  /** 'required' (default) or 'optional'; see above. */
  mode?: ProxyProtocolMode;
  /** A header must be complete within this, ms from accept (default 3000). */
  headerTimeoutMs?: number;
  /** Largest v2 header accepted, bytes (default 4096). */
  v2MaxLength?: number;
  /** Sockets reading a header at once (default 4096). */
  maxPending?: number;
  /** Told of each refused socket (already destroyed), e.g. to log or count it. */
  onRefused?: (r: ProxyRefusal, socket: net.Socket) => void;
}

export type RefuseReason = 'untrusted' | 'missing' | 'invalid' | 'timeout' | 'closed' | 'busy';

export interface ProxyRefusal {
  kind: 'refused';
  reason: RefuseReason;
  /** One line for a log: what was wrong, and the peer. */
  detail: string;
}

export type ProxyAccept =
  /** A header was read (command 'proxy', or 'local' for the balancer's own checks). */
  | { kind: 'proxied'; header: ProxyHeader }
  /** No header (optional mode): the socket is the client's own. */
  | { kind: 'direct'; trusted: boolean }
  | ProxyRefusal;

export interface ProxyProtocolStats {
  proxied: number;
  local: number;
  direct: number;
  refused: Record<RefuseReason, number>;
  /** Sockets reading a header now. */
  pending: number;
}

const kHeader = Symbol('pof proxy header');
type WithHeader = net.Socket & { [kHeader]?: ProxyHeader };

/**
 * The PROXY header read from this socket, if any. A TLS socket's header
 * is its raw socket's (the header comes before the TLS handshake).
 */
export function proxyHeaderOf(socket: net.Socket): ProxyHeader | undefined {
  return (socket as WithHeader)[kHeader] ?? (socket as net.Socket & { _parent?: WithHeader | null })._parent?.[kHeader];
}

/**
 * The client connection a socket relays, from its PROXY header: the 4-tuple
 * the sensor saw (the client to the balancer). Undefined without a header;
 * null when the header names no addresses (LOCAL, UNKNOWN, UNIX).
 */
export function proxyTupleOf(socket: net.Socket): ConnTuple | null | undefined {
  const h = proxyHeaderOf(socket);
  if (!h) return undefined;
  return headerTuple(h);
}

export class ProxyProtocolReader {
  readonly trusted: CidrList;
  readonly mode: ProxyProtocolMode;
  readonly headerTimeoutMs: number;
  readonly v2MaxLength: number;
  readonly maxPending: number;
  readonly stats: ProxyProtocolStats = {
    proxied: 0,
    local: 0,
    direct: 0,
    refused: { untrusted: 0, missing: 0, invalid: 0, timeout: 0, closed: 0, busy: 0 },
    pending: 0,
  };
  private readonly onRefused: ProxyProtocolOptions['onRefused'];

  /** Checks the options (PofError E_CONFIG, one line). */
  constructor(opts: ProxyProtocolOptions) {
    if (opts === null || typeof opts !== 'object') throw new PofError('E_CONFIG', 'PROXY protocol: options must be an object');
    if (opts.trusted instanceof CidrList) this.trusted = opts.trusted;
    else if (typeof opts.trusted === 'string') {
      const r = parseCidrList(opts.trusted);
      if (!r.ok) throw new PofError('E_CONFIG', `PROXY protocol: trusted proxies: ${r.error}`);
      this.trusted = r.list;
    } else throw new PofError('E_CONFIG', 'PROXY protocol: give the trusted proxies (CIDR ranges, e.g. 127.0.0.1/32)');
    const mode = opts.mode ?? 'required';
    if (mode !== 'required' && mode !== 'optional') throw new PofError('E_CONFIG', `PROXY protocol: mode must be 'required' or 'optional' (got ${String(mode)})`);
    this.mode = mode;
    this.headerTimeoutMs = intOption('PROXY protocol: headerTimeoutMs', opts.headerTimeoutMs, DEFAULT_HEADER_TIMEOUT_MS, 1, MAX_HEADER_TIMEOUT_MS);
    this.v2MaxLength = intOption('PROXY protocol: v2MaxLength', opts.v2MaxLength, DEFAULT_V2_MAX_LENGTH, V2_FIXED_LENGTH + 12, V2_MAX_LENGTH);
    this.maxPending = intOption('PROXY protocol: maxPending', opts.maxPending, DEFAULT_MAX_PENDING_HEADERS, 1, MAX_PENDING_HEADERS_CAP);
    if (opts.onRefused !== undefined && typeof opts.onRefused !== 'function') throw new PofError('E_CONFIG', 'PROXY protocol: onRefused must be a function');
    this.onRefused = opts.onRefused;
  }

  /**
   * Reads the header of a socket just accepted, then calls `done` once:
   * with 'proxied' or 'direct' (the socket paused, bytes after the header
   * put back: resume it, or hand it to a server that reads it), or with a
   * refusal (the socket destroyed). Never throws.
   */
  accept(socket: net.Socket, done: (r: ProxyAccept) => void): void {
    const peer = socket.remoteAddress ?? '';
    // No address: the peer has already gone (Node knows no address of a
    // closed socket), so it can be neither trusted nor refused as untrusted.
    if (peer === '') return this.refuse(socket, done, 'closed', 'a connection closed before it could be read');
    const trusted = this.trusted.match(peer);
    const who = `from ${peer}`;
    if (!trusted && this.mode === 'required') return this.refuse(socket, done, 'untrusted', `connection ${who}, not a trusted proxy`);
    if (this.stats.pending >= this.maxPending) return this.refuse(socket, done, 'busy', `connection ${who}: ${this.maxPending} connections are already sending their PROXY headers`);
    this.stats.pending++;
    let buf: Buffer | null = null;
    let finished = false;
    const finish = (r: ProxyAccept, rest: Buffer | null): void => {
      if (finished) return;
      finished = true;
      this.stats.pending--;
      clearTimeout(timer);
      socket.removeListener('data', onData);
      socket.removeListener('error', onError);
      socket.removeListener('end', onEnd);
      socket.removeListener('close', onEnd);
      if (r.kind === 'refused') return this.refuse(socket, done, r.reason, r.detail);
      socket.pause();
      if (rest && rest.length) socket.unshift(rest);
      if (r.kind === 'proxied') {
        (socket as WithHeader)[kHeader] = r.header;
        if (r.header.command === 'local') this.stats.local++;
        else this.stats.proxied++;
      } else this.stats.direct++;
      done(r);
    };
    const refused = (reason: RefuseReason, detail: string): ProxyRefusal => ({ kind: 'refused', reason, detail });
    const onData = (chunk: Buffer): void => {
      buf = buf ? Buffer.concat([buf, chunk]) : chunk;
      const r = parseProxyHeader(buf, { v2MaxLength: this.v2MaxLength });
      switch (r.kind) {
        case 'incomplete':
          return;
        case 'none':
          if (trusted && this.mode === 'required') return finish(refused('missing', `connection ${who} sent no PROXY header`), null);
          return finish({ kind: 'direct', trusted }, buf);
        case 'header':
          if (!trusted) return finish(refused('untrusted', `PROXY header ${who}, not a trusted proxy`), null);
          return finish({ kind: 'proxied', header: r.header }, buf.subarray(r.header.length));
        case 'invalid':
          if (!trusted) return finish(refused('untrusted', `PROXY header ${who}, not a trusted proxy`), null);
          return finish(refused('invalid', `bad PROXY v${r.version} header ${who}: ${r.reason}`), null);
        default: {
          const never: never = r;
          void never;
        }
      }
    };
    const onError = (e: Error): void => finish(refused('closed', `connection ${who} failed before its PROXY header: ${(e as NodeJS.ErrnoException).code ?? e.message}`), null);
    const onEnd = (): void => finish(refused('closed', `connection ${who} closed before its PROXY header`), null);
    const timer = setTimeout(() => {
      // Optional mode, nothing sent yet: not ours to judge (a preconnect).
      if (!buf && this.mode === 'optional') return finish({ kind: 'direct', trusted }, null);
      finish(refused('timeout', `no complete PROXY header ${who} within ${this.headerTimeoutMs} ms`), null);
    }, this.headerTimeoutMs);
    timer.unref?.();
    socket.on('data', onData);
    socket.on('error', onError);
    socket.on('end', onEnd);
    socket.on('close', onEnd);
  }

  private refuse(socket: net.Socket, done: (r: ProxyAccept) => void, reason: RefuseReason, detail: string): void {
    this.stats.refused[reason]++;
    // A refused peer may still write: its errors go nowhere.
    socket.on('error', noop);
    socket.destroy();
    const r: ProxyRefusal = { kind: 'refused', reason, detail };
    if (this.onRefused) {
      try {
        this.onRefused(r, socket);
      } catch {
        // The caller's fault is not the connection's.
      }
    }
    done(r);
  }
}

const noop = (): void => {};

const kWrapped = Symbol('pof proxy protocol');

/** The reader withProxyProtocol put on this server, if any. */
export function proxyProtocolReaderOf(server: net.Server): ProxyProtocolReader | undefined {
  return (server as net.Server & { [kWrapped]?: ProxyProtocolReader })[kWrapped];
}

/**
 * Makes a server read the PROXY header of each connection before it emits
 * 'connection' (so http/https/net servers, and every 'connection' listener
 * however late it was added, see sockets after their header). Refused
 * sockets are never emitted. Returns the reader (stats, options).
 */
export function withProxyProtocol<S extends net.Server>(server: S, opts: ProxyProtocolOptions | ProxyProtocolReader): ProxyProtocolReader {
  const reader = opts instanceof ProxyProtocolReader ? opts : new ProxyProtocolReader(opts);
  const s = server as S & { [kWrapped]?: ProxyProtocolReader };
  if (s[kWrapped]) throw new PofError('E_CONFIG', 'PROXY protocol: this server reads PROXY headers already');
  s[kWrapped] = reader;
  type Emit = (this: S, event: string | symbol, ...args: unknown[]) => boolean;
  const emit = server.emit as Emit;
  (server as { emit: Emit }).emit = function (this: S, event: string | symbol, ...args: unknown[]): boolean {
    if (event !== 'connection') return emit.call(this, event, ...args);
    const socket = args[0] as net.Socket;
    reader.accept(socket, (r) => {
      if (r.kind === 'refused') return;
      emit.call(this, 'connection', socket);
      // The listeners have attached their readers. One that reads through
      // 'data' (http, most net servers) needs the socket flowing again,
      // the bytes put back first; TLS takes the handle over and reads on
      // its own (resuming the raw socket then would steal its bytes).
      if (socket.listenerCount('data') > 0 && socket.readableFlowing === false) socket.resume();
    });
    return true;
  };
  return reader;
}
