/**
 * pofTls(server): fingerprints what a tls.Server (https.Server and
 * http2's secure server are ones) sees of each client before Node reads
 * it: the ClientHello (JA4, JA4_r, JA3, SNI, ALPN and the TLS client from
 * signatures/tls.fp) and, on an HTTP/2 server, the start of each HTTP/2
 * connection (Akamai's fingerprint). The middleware then gives them as
 * req.pof.tls and req.pof.h2, and matches each connection's decrypted
 * request against the [http:request] signatures (req.pof.http).
 *
 *   const server = https.createServer({ key, cert }, app);
 *   pofTls(server);          // before listen(); or attach(server) on the middleware
 *
 * Node's TLS server wraps each socket in TLS from its own 'connection'
 * listener, and its HTTP/2 server starts a session from its own
 * 'secureConnection' listener. pofTls puts a step in front of each, in
 * its place among the listeners: the hello reader (tls-hello-reader.ts)
 * before TLS, the HTTP/2 start reader (h2-start-reader.ts) before
 * HTTP/2. Both hand the socket on with every byte put back, whatever the
 * bytes were. So a connection goes:
 *
 *   accept -> PROXY header (when read: the server's 'connection' comes
 *   after it) -> ClientHello -> TLS -> HTTP/2 start -> HTTP/2 (or HTTP/1.1)
 */
import http2 from 'node:http2';
import type net from 'node:net';
import tls from 'node:tls';

import { loadSignatures } from '../db/load.js';
import { loadTlsDb } from '../db/tls-load.js';
import type { TlsDb } from '../db/tls-types.js';
import type { SignatureDb } from '../db/types.js';
import { PofError } from '../errors.js';
import { buildHttpIndex } from '../fingerprint/http-sig.js';
import { buildTlsIndex, labelTls, type TlsIndex } from '../fingerprint/tls/label.js';
import { H2StartReader, type H2StartOptions } from './h2-start-reader.js';
import { helloFactsOf, setH2Facts, setHelloFacts, type PofTls, type SecureContext } from './tls-facts.js';
import { ClientHelloReader, type HelloOutcome, type TlsHelloOptions } from './tls-hello-reader.js';

export interface PofTlsOptions extends TlsHelloOptions, H2StartOptions {
  /** Read each HTTP/2 connection's start, on an HTTP/2 server (default true). */
  h2?: boolean;
  /** The TLS client database: one loaded, or a file (default: signatures/tls.fp). */
  tlsDb?: TlsDb | string;
  /** The signatures decrypted requests are matched against: a database, or a file in p0f.fp syntax (default: signatures/pof.fp). */
  signatures?: SignatureDb | string;
}

export interface PofTlsServer {
  readonly hello: ClientHelloReader;
  /** Null on a server that does not speak HTTP/2 (or with h2: false). */
  readonly h2: H2StartReader | null;
  /** Ends the connections whose hello or HTTP/2 start is being read (for a server closing). */
  destroyPending(): void;
}

type TlsConnection = (this: tls.Server, raw: net.Socket) => void;
type SecureConnection = (this: tls.Server, s: tls.TLSSocket) => void;
let nodeOwn: { tls: TlsConnection; h2: SecureConnection } | null = null;

/**
 * Node's own listeners: one function for every server of their kind
 * (found on throwaway servers, once).
 */
function nodeListeners(): { tls: TlsConnection; h2: SecureConnection } {
  return (nodeOwn ??= {
    tls: new tls.Server().listeners('connection')[0] as TlsConnection,
    h2: http2.createSecureServer({}).listeners('secureConnection')[0] as SecureConnection,
  });
}

const kPofTls = Symbol('pof tls');

/** The pofTls() handle of a server, if it has one. */
export function pofTlsOf(server: net.Server): PofTlsServer | undefined {
  return (server as net.Server & { [kPofTls]?: PofTlsServer })[kPofTls];
}

// The shipped databases, loaded once for every server that uses them.
let defaultTls: TlsIndex | null = null;
let defaultHttp: SecureContext | null = null;

function tlsIndexOf(opt: PofTlsOptions['tlsDb']): TlsIndex {
  if (opt === undefined) return (defaultTls ??= buildTlsIndex(loadTlsDb()));
  if (typeof opt === 'string') return buildTlsIndex(loadTlsDb(opt));
  if (opt && typeof opt === 'object' && Array.isArray(opt.entries)) return buildTlsIndex(opt);
  throw new PofError('E_CONFIG', 'pof TLS: tlsDb must be a TLS database or a file name');
}

function contextOf(opt: PofTlsOptions['signatures']): SecureContext {
  if (opt === undefined) return (defaultHttp ??= { http: buildHttpIndex(loadSignatures()) });
  if (typeof opt === 'string') return { http: buildHttpIndex(loadSignatures(opt)) };
  if (opt && typeof opt === 'object' && Array.isArray(opt.httpRequest)) return { http: buildHttpIndex(opt) };
  throw new PofError('E_CONFIG', 'pof TLS: signatures must be a signature database or a file name');
}

function pofTlsOfHello(o: Extract<HelloOutcome, { kind: 'hello' }>, idx: TlsIndex): PofTls {
  const label = labelTls(idx, o.ja4.ja4);
  return {
    ja4: o.ja4.ja4,
    ja4_r: o.ja4.ja4_r,
    ja3: o.ja3.ja3,
    ja3_full: o.ja3.ja3_full,
    sni: o.hello.sni,
    alpn: o.hello.alpn,
    client: label.kind === 'known' ? label.name : null,
    family: label.kind === 'known' ? label.family : null,
  };
}

/** Puts `fresh` where `old` is among the server's listeners of `event`. */
function replaceListener(server: net.Server, event: string, old: (...a: never[]) => void, fresh: (...a: never[]) => void): boolean {
  const list = server.rawListeners(event);
  if (!list.includes(old)) return false;
  server.removeAllListeners(event);
  for (const l of list) server.on(event, (l === old ? fresh : l) as (...a: unknown[]) => void);
  return true;
}

/**
 * Checks pofTls options without loading anything (PofError E_CONFIG, one
 * line), for the middleware's options to be checked at construction.
 */
export function checkTlsOptions(opts: PofTlsOptions): void {
  if (opts === null || typeof opts !== 'object') throw new PofError('E_CONFIG', 'pof TLS: options must be an object');
  if (opts.h2 !== undefined && typeof opts.h2 !== 'boolean') throw new PofError('E_CONFIG', 'pof TLS: h2 must be true or false');
  if (opts.tlsDb !== undefined && typeof opts.tlsDb !== 'string' && !(opts.tlsDb && typeof opts.tlsDb === 'object' && Array.isArray(opts.tlsDb.entries))) {
    throw new PofError('E_CONFIG', 'pof TLS: tlsDb must be a TLS database or a file name');
  }
  if (opts.signatures !== undefined && typeof opts.signatures !== 'string' && !(opts.signatures && typeof opts.signatures === 'object' && Array.isArray(opts.signatures.httpRequest))) {
    throw new PofError('E_CONFIG', 'pof TLS: signatures must be a signature database or a file name');
  }
  new ClientHelloReader(opts);
  new H2StartReader(opts);
}

/**
 * For a connection that came before its server was given to pofTls (a
 * server the middleware was not attached to): makes the server read the
 * next ones. Does nothing for a connection that is not TLS, or read.
 */
export function pofTlsLate(socket: net.Socket, opts: PofTlsOptions): void {
  const s = socket as tls.TLSSocket & { server?: unknown };
  if (!s.encrypted || helloFactsOf(s)) return;
  const server = s.server;
  if (!(server instanceof tls.Server) || pofTlsOf(server)) return;
  try {
    pofTls(server, opts);
  } catch {
    // A server of a kind pofTls cannot read (its listener replaced): left as it is.
  }
}

/**
 * Makes a tls.Server (https, http2 secure) read each client's ClientHello
 * (and HTTP/2 start) before Node does. Call it before the server listens;
 * again on the same server gives the same handle. Throws PofError
 * E_CONFIG for a server that is not a TLS one, for bad options, and
 * E_IO / E_SIGNATURES for databases that cannot be read.
 */
export function pofTls(server: tls.Server, opts: PofTlsOptions = {}): PofTlsServer {
  if (!(server instanceof tls.Server)) throw new PofError('E_CONFIG', 'pof TLS: the server must be a tls.Server (https.createServer, http2.createSecureServer, tls.createServer)');
  const had = pofTlsOf(server);
  if (had) return had;
  checkTlsOptions(opts);
  const { tls: TLS_CONNECTION, h2: H2_SECURE_CONNECTION } = nodeListeners();
  const hello = new ClientHelloReader(opts);
  const tlsIdx = tlsIndexOf(opts.tlsDb);
  const ctx = contextOf(opts.signatures);
  const speaksH2 = server.rawListeners('secureConnection').includes(H2_SECURE_CONNECTION);
  const h2 = speaksH2 && opts.h2 !== false ? new H2StartReader(opts) : null;

  const onConnection = function pofTlsConnection(this: tls.Server, raw: net.Socket): void {
    hello.accept(raw, (o) => {
      if (o.kind === 'none' && o.reason === 'closed') return;
      setHelloFacts(raw, { ctx, tls: o.kind === 'hello' ? pofTlsOfHello(o, tlsIdx) : null, miss: o.kind === 'none' ? o.reason : null });
      try {
        TLS_CONNECTION.call(server, raw);
      } catch {
        raw.destroy();
      }
    });
  };
  if (!replaceListener(server, 'connection', TLS_CONNECTION, onConnection)) {
    throw new PofError('E_CONFIG', "pof TLS: the server has no TLS 'connection' listener of Node's (was it removed?)");
  }
  if (h2) {
    const onSecure = function pofH2Connection(this: tls.Server, s: tls.TLSSocket): void {
      // HTTP/1.1 on an HTTP/2 server (allowHTTP1) goes straight on.
      if (s.alpnProtocol !== 'h2') return H2_SECURE_CONNECTION.call(server, s);
      h2.accept(s, (o) => {
        if (o.kind === 'start') setH2Facts(s, { start: o.start, miss: o.cut ? 'timeout' : null });
        else if (o.reason === 'closed') return;
        else setH2Facts(s, { start: null, miss: o.reason });
        try {
          H2_SECURE_CONNECTION.call(server, s);
        } catch {
          s.destroy();
        }
      });
    };
    replaceListener(server, 'secureConnection', H2_SECURE_CONNECTION, onSecure);
  }
  const handle: PofTlsServer = {
    hello,
    h2,
    destroyPending() {
      hello.destroyPending();
      h2?.destroyPending();
    },
  };
  Object.defineProperty(server, kPofTls, { value: handle });
  return handle;
}
