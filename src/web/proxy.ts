/**
 * A reverse proxy that fingerprints each client connection and tells the
 * backend what pof knows in X-Pof-* request headers (PHP sees
 * $_SERVER['HTTP_X_POF_GENRE']), with X-Forwarded-For / -Proto / -Host.
 * Client-sent X-Pof-* headers are removed, however spelled (proxy-headers.ts),
 * and each chosen one is always sent (empty when unknown): the backend can
 * trust them.
 *
 * Slow and greedy clients are bounded: the request head must come within a
 * timeout, connections are limited in all and per client address, and a
 * silent backend costs at most upstreamTimeoutMs (proxy-limits.ts).
 *
 * Bodies stream both ways (no buffering), WebSocket and other upgrades are
 * passed through, upstream connections are kept alive, TLS can be
 * terminated here. With TLS the proxy serves HTTP/2 and HTTP/1.1 (ALPN),
 * and reads what only the end that decrypts can see (pofTls in
 * tls-server.ts): X-Pof-Ja4, X-Pof-Ja4-R, X-Pof-Ja3 and X-Pof-Tls-Client
 * from the ClientHello, X-Pof-H2 from an HTTP/2 connection's first frames,
 * X-Pof-App, X-Pof-Language and X-Pof-Ua-Mismatch from the decrypted
 * request's headers. The backend is spoken to in HTTP/1.1 either way.
 * Fingerprinting never fails a request: at worst it is
 * forwarded after timeoutMs with X-Pof-Err saying why.
 *
 * A connection goes through these layers, in this order:
 *
 *   1. accept: Node's maxConnections;
 *   2. the PROXY header (pof: { proxyProtocol }), read by the core's
 *      attachServer before the server listens (withProxyProtocol): the
 *      server's 'connection' event, and so every layer below, comes only
 *      once the header is read, with the bytes after it put back; refused
 *      connections never get further. The client it names is the client
 *      from here on: the per-client limit, the lookup, X-Forwarded-For and
 *      the access log;
 *   3. the per-client limit (limitConnections, the first 'connection'
 *      listener);
 *   4. the ClientHello, read for its fingerprints and put back (pofTls,
 *      in place of the TLS server's own 'connection' listener, set by the
 *      core's attachServer), when TLS is terminated here;
 *   5. TLS (the http2 secure server's own listener): the handshake reads
 *      the bytes after the PROXY header;
 *   6. on an h2 connection, its first frames, read for the HTTP/2
 *      fingerprint and put back (pofTls, before the HTTP/2 session);
 *   7. HTTP: the request head within headerTimeoutMs (HTTP/1.1), then the
 *      lookup (attachPof) and the backend request.
 */
import http from 'node:http';
import http2 from 'node:http2';
import https from 'node:https';
import type net from 'node:net';
import tls from 'node:tls';

import { PofError } from '../errors.js';
import type { AccessLog, UpgradeLogEntry } from './access-log.js';
import type { PofCore } from './core.js';
import { attachPof, coreOf, type PofSetup } from './node-http.js';
import { clientTuple } from './conn-tuple.js';
import { connectionTokens, forwardedField, headerValue, HOP, isPofHeaderName, pofHeaderName, SPECIAL_FIRST } from './proxy-headers.js';
import { limitConnections, MAX_UPSTREAM_TIMEOUT_MS, proxyLimits, serverTimeouts, type ProxyLimitOptions } from './proxy-limits.js';
import { isPofValueName, POF_EXTRA_NAMES, pofValue, resultShape, type PofResult, type PofValueName } from './result.js';
import { pofTlsOf } from './tls-server.js';

export { forwardedField, isPofHeaderName, pofHeaderName } from './proxy-headers.js';
export type { ProxyLimitOptions } from './proxy-limits.js';

export interface PofProxyOptions extends ProxyLimitOptions {
  /** Where requests go: 'http://127.0.0.1:8080' (a path prefix may follow). */
  upstream: string;
  /** How to fingerprint (core options, or a core). */
  pof: PofSetup;
  accessLog?: AccessLog;
  /** Terminate TLS with this certificate and key (PEM), serving HTTP/2 and HTTP/1.1. */
  tls?: { cert: string | Buffer; key: string | Buffer };
  /** Send pof's own fields (X-Pof-Os, X-Pof-App, ...) too (default true). */
  extraHeaders?: boolean;
  /**
   * Exactly which X-Pof-* headers to send, e.g. ['pof_genre', 'pof_app']
   * (default: the core's fields, plus pof's own with extraHeaders). Each
   * costs the proxy some 1 µs per request. The access log keeps every
   * field either way.
   */
  headers?: readonly PofValueName[];
  /** Keep the client's Host header (default true); false sends the upstream's. */
  preserveHost?: boolean;
  /** Told about upstream failures (502s, 504s, broken upgrades). */
  onError?: (err: Error) => void;
  /** Told when connections are refused for a limit, at most every 10 s (default: process.emitWarning). */
  onWarning?: (message: string) => void;
}

const BAD_GATEWAY = 502;
const GATEWAY_TIMEOUT = 504;
/** What the client of an upgrade hears when the backend cannot be reached (or is silent). */
const GATEWAY_ERROR_HEADERS = { connection: 'close', 'content-length': '0' };
const gatewayErrorHead = (status: number): string =>
  `HTTP/1.1 ${status} ${status === GATEWAY_TIMEOUT ? 'Gateway Timeout' : 'Bad Gateway'}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`;

/** A backend silent for upstreamTimeoutMs (504, not 502). */
class UpstreamTimeout extends Error {}

/** What a client whose request could not be read hears (then the connection is closed). */
function clientErrorHead(code: string | undefined): string {
  const status =
    code === 'ERR_HTTP_REQUEST_TIMEOUT' ? '408 Request Timeout' : code === 'HPE_HEADER_OVERFLOW' ? '431 Request Header Fields Too Large' : '400 Bad Request';
  return `HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`;
}

/** Streams an HTTP/2 client may have open at once on one connection (as nginx's http2_max_concurrent_streams). */
export const H2_MAX_CONCURRENT_STREAMS = 128;

/** A client request: HTTP/1.x, or HTTP/2 through Node's compatibility API (which has what the proxy reads). */
type ClientRequest = http.IncomingMessage;
type ClientResponse = http.ServerResponse;
const isH2 = (req: ClientRequest): boolean => req.httpVersionMajor === 2;
const COLON = 0x3a;

export interface PofProxy {
  readonly server: http.Server | https.Server | http2.Http2SecureServer;
  readonly core: PofCore;
  listen(port: number, host?: string): Promise<net.AddressInfo>;
  close(): Promise<void>;
}

/**
 * The TLS listener: HTTP/2 and HTTP/1.1 by ALPN, with the HTTP/1.1 limits
 * an http.Server takes (its request head within headerTimeoutMs) and, for
 * HTTP/2, at most H2_MAX_CONCURRENT_STREAMS streams per connection and a
 * connection idle longer than the backend may be silent closed (an hour
 * when the backend has no limit).
 */
function secureServer(t: NonNullable<PofProxyOptions['tls']>, timeouts: ReturnType<typeof serverTimeouts>, upstreamTimeoutMs: number): http2.Http2SecureServer {
  const server = http2.createSecureServer({
    cert: t.cert,
    key: t.key,
    allowHTTP1: true,
    handshakeTimeout: timeouts.handshakeTimeout,
    settings: { maxConcurrentStreams: H2_MAX_CONCURRENT_STREAMS },
  });
  // What http.createServer takes as options, Node's HTTP/2 server (for its HTTP/1.1) as properties.
  const h1 = server as unknown as { headersTimeout: number; connectionsCheckingInterval: number };
  h1.headersTimeout = timeouts.headersTimeout!;
  h1.connectionsCheckingInterval = timeouts.connectionsCheckingInterval!;
  server.setTimeout(Math.max(upstreamTimeoutMs || MAX_UPSTREAM_TIMEOUT_MS, timeouts.handshakeTimeout));
  return server;
}

export function createPofProxy(opts: PofProxyOptions): PofProxy {
  if (!opts || typeof opts !== 'object') throw new PofError('E_CONFIG', 'pof proxy: options are required');
  let up: URL;
  try {
    up = new URL(opts.upstream);
  } catch {
    throw new PofError('E_CONFIG', `pof proxy: upstream is not a URL: ${String(opts.upstream)}`);
  }
  if (up.protocol !== 'http:' && up.protocol !== 'https:') throw new PofError('E_CONFIG', 'pof proxy: upstream must be an http:// or https:// URL');
  if (up.search || up.hash) throw new PofError('E_CONFIG', 'pof proxy: upstream takes no query or fragment');
  const limits = proxyLimits(opts);
  const upTimeout = limits.upstreamTimeoutMs;
  if (opts.onWarning !== undefined && typeof opts.onWarning !== 'function') throw new PofError('E_CONFIG', 'pof proxy: onWarning must be a function');
  const onWarning = opts.onWarning ?? ((m: string) => process.emitWarning(m, { code: 'POF_PROXY_LIMIT' }));
  const core = coreOf(opts.pof);
  const log = opts.accessLog;
  const secure = opts.tls !== undefined;
  const preserveHost = opts.preserveHost ?? true;
  const extra = opts.extraHeaders ?? true;
  const onError = opts.onError ?? (() => {});
  const base = up.pathname === '/' ? '' : up.pathname.replace(/\/$/, '');
  const upHost = up.hostname.startsWith('[') ? up.hostname.slice(1, -1) : up.hostname;
  const upPort = Number(up.port || (up.protocol === 'https:' ? 443 : 80));
  const agent = up.protocol === 'https:' ? new https.Agent({ keepAlive: true, maxFreeSockets: 256 }) : new http.Agent({ keepAlive: true, maxFreeSockets: 256 });
  const request = up.protocol === 'https:' ? https.request : http.request;

  const bad = opts.headers?.find((n) => !isPofValueName(n));
  if (bad !== undefined) throw new PofError('E_CONFIG', `pof proxy: headers: unknown field '${String(bad)}'`);
  const varNames: readonly PofValueName[] = opts.headers ? [...new Set(opts.headers)] : [...core.options.fields, ...(extra ? POF_EXTRA_NAMES : [])];
  const headerNames = new Map<PofValueName, string>(varNames.map((n) => [n, pofHeaderName(n)]));

  // A connection's pof headers are the same for each of its requests (and
  // for each connection of a result's shape: see resultFor): name, value,
  // name, value, ... as Node's raw header lists are. Kept on the result
  // (under this proxy's own key) rather than in a WeakMap, for the same
  // reason as the core's connection cache.
  const kHeaders = Symbol('pof proxy headers');
  function pofHeaderList(r: PofResult): string[] {
    const held = resultShape(r) as PofResult & { [kHeaders]?: string[] };
    let list = held[kHeaders];
    if (!list) {
      list = [];
      // Every chosen header goes, empty when unknown: a backend that folds
      // names finds each of its variables filled by the proxy.
      for (const [name, header] of headerNames) list.push(header, headerValue(pofValue(r, name)));
      // (A result the application froze is simply not cached.)
      if (Object.isExtensible(held)) held[kHeaders] = list;
    }
    return list;
  }

  /**
   * The request's headers for the backend, as a raw list (which Node sends
   * as it is, cheaper than a header object): the client's own, in their
   * order and spelling, less hop-by-hop ones, pof's (isPofHeaderName),
   * X-Forwarded-For (chained into the proxy's own), X-Forwarded-Proto (the
   * proxy knows it), any other spelling of the X-Forwarded-* it sets, and
   * repeats of Host or Content-Length; then X-Forwarded-*, then pof's.
   */
  function upstreamHeaders(req: ClientRequest, r: PofResult, upgrade: boolean): string[] {
    const raw = req.rawHeaders;
    const out: string[] = [];
    const connTokens = connectionTokens(req.headers.connection);
    let host = false;
    let length = false;
    // A client's X-Forwarded-Host (exactly so spelled, not empty) is kept in place of the proxy's.
    const xfh = req.headers['x-forwarded-host'];
    // HTTP/2 names the host in :authority (a Host header may come too).
    const reqHost = req.headers.host ?? (req.headers[':authority'] as string | undefined);
    for (let i = 0; i + 1 < raw.length; i += 2) {
      const name = raw[i]!;
      if (name.charCodeAt(0) === COLON) {
        // HTTP/2's pseudo-headers: :authority is the Host; :method, :path
        // and :scheme make the backend's request line.
        if (name === ':authority' && !host && preserveHost) {
          out.push('Host', raw[i + 1]!);
          host = true;
        }
        continue;
      }
      // Most headers cannot be one of those looked at here: their first
      // letter says so without lowercasing the name.
      if (!connTokens && !SPECIAL_FIRST.has(name.charCodeAt(0) | 0x20)) {
        out.push(name, raw[i + 1]!);
        continue;
      }
      const k = name.toLowerCase();
      if (HOP.has(k) || connTokens?.has(k)) continue;
      if (k.charCodeAt(0) === 0x78 /* x */) {
        if (isPofHeaderName(k)) continue;
        const f = forwardedField(k);
        if (f !== null && (f !== 'host' || !xfh || k !== 'x-forwarded-host')) continue;
      }
      if (k === 'host') {
        if (host || !preserveHost) continue;
        host = true;
      } else if (k === 'content-length') {
        if (length) continue;
        length = true;
      }
      out.push(name, raw[i + 1]!);
    }
    if (!host) out.push('Host', up.host);
    if (upgrade) {
      out.push('Connection', 'Upgrade');
      if (req.headers.upgrade) out.push('Upgrade', req.headers.upgrade);
    }
    const cli = r.conn?.cli ?? clientTuple(req.socket)?.cli ?? req.socket.remoteAddress ?? '';
    const xff = req.headers['x-forwarded-for'];
    out.push('X-Forwarded-For', xff ? `${xff}, ${cli}` : cli);
    out.push('X-Forwarded-Proto', secure ? 'https' : 'http');
    if (reqHost && !xfh) out.push('X-Forwarded-Host', reqHost);
    const pof = pofHeaderList(r);
    for (let i = 0; i < pof.length; i++) out.push(pof[i]!);
    return out;
  }

  /**
   * The backend request for a client request, or null when Node refuses to
   * send what its parser took (the client was answered 400 and closed).
   */
  function upstreamRequest(req: ClientRequest, r: PofResult, upgrade: boolean, reject: () => void): http.ClientRequest | null {
    let upReq: http.ClientRequest;
    try {
      upReq = request({
        agent: upgrade ? false : agent,
        host: upHost,
        port: upPort,
        method: req.method,
        path: base + (req.url ?? '/'),
        headers: upstreamHeaders(req, r, upgrade),
        // Until the backend answers (a tunnel may then idle), and between its reads.
        timeout: upTimeout || undefined,
        servername: up.protocol === 'https:' ? upHost : undefined,
      });
    } catch {
      reject();
      return null;
    }
    upReq.on('timeout', () => upReq.destroy(new UpstreamTimeout(`upstream ${up.host} silent for ${upTimeout} ms`)));
    return upReq;
  }

  function forward(req: ClientRequest, res: ClientResponse, r: PofResult): void {
    const h2 = isH2(req);
    // HTTP/2 has no Connection header (the stream ends, the connection stays).
    const closing = (h: http.OutgoingHttpHeaders): http.OutgoingHttpHeaders => (h2 ? h : { ...h, connection: 'close' });
    const upReq = upstreamRequest(req, r, false, () => {
      res.writeHead(400, closing({ 'content-type': 'text/plain' }));
      res.end('Bad Request\n');
    });
    if (!upReq) return;
    let answered = false;
    const fail = (e: Error): void => {
      if (answered) return;
      answered = true;
      onError(e);
      if (!res.headersSent) {
        const timedOut = e instanceof UpstreamTimeout;
        res.writeHead(timedOut ? GATEWAY_TIMEOUT : BAD_GATEWAY, closing({ 'content-type': 'text/plain' }));
        res.end(timedOut ? 'Gateway Timeout\n' : 'Bad Gateway\n');
      } else res.destroy(e);
    };
    upReq.on('error', fail);
    upReq.on('response', (upRes) => {
      answered = true;
      const out: http.OutgoingHttpHeaders = {};
      const tokens = connectionTokens(upRes.headers.connection);
      for (const [k, v] of Object.entries(upRes.headers)) {
        if (v === undefined || HOP.has(k) || tokens?.has(k)) continue;
        out[k] = v;
      }
      // HTTP/2 has no reason phrase.
      if (h2) res.writeHead(upRes.statusCode ?? 502, out);
      else res.writeHead(upRes.statusCode ?? 502, upRes.statusMessage, out);
      upRes.on('error', (e) => res.destroy(e));
      upRes.pipe(res);
    });
    // A client that leaves takes its backend request with it; the error
    // that destroying it raises is not the backend's failure.
    const drop = (): void => {
      answered = true;
      upReq.destroy();
    };
    res.on('close', () => {
      if (!res.writableFinished) drop();
    });
    req.on('error', drop);
    req.pipe(upReq);
  }

  function onRequest(req: ClientRequest, res: ClientResponse): void {
    log?.track(req, res);
    attachPof(core, req, () => {
      // (An HTTP/2 response is gone with its stream.)
      const gone = res.destroyed ?? (res as unknown as http2.Http2ServerResponse).stream?.destroyed;
      if (!gone) forward(req, res, req.pof!);
    });
  }

  function rawHead(statusLine: string, rawHeaders: string[]): string {
    let s = statusLine + '\r\n';
    for (let i = 0; i + 1 < rawHeaders.length; i += 2) s += `${rawHeaders[i]}: ${rawHeaders[i + 1]}\r\n`;
    return s + '\r\n';
  }

  /** Passes an upgrade on; `entry` (when logging) is told the answer the client got. */
  function upgrade(req: http.IncomingMessage, socket: net.Socket, head: Buffer, r: PofResult, entry: UpgradeLogEntry | undefined): void {
    // The client left while pof was asked: nothing to pass on.
    if (socket.destroyed || socket.readableEnded) {
      socket.destroy();
      return;
    }
    const upReq = upstreamRequest(req, r, true, () => {
      entry?.answered(400, GATEWAY_ERROR_HEADERS);
      socket.end(clientErrorHead(undefined));
    });
    if (!upReq) return;
    let answered = false;
    const answer = (status: number, headers: http.IncomingHttpHeaders): void => {
      answered = true;
      entry?.answered(status, headers);
    };
    // A client that leaves takes its backend request (or tunnel) with it.
    // The server allows half-open sockets: before the answer, a FIN from the
    // client is its leaving (after it, the tunnel passes the FIN on).
    socket.once('close', () => upReq.destroy());
    socket.once('end', () => {
      if (!answered) socket.destroy();
    });
    upReq.on('error', (e) => {
      // After an answer, or with the client gone, there is no one to tell.
      if (answered || socket.destroyed) return;
      onError(e);
      const status = e instanceof UpstreamTimeout ? GATEWAY_TIMEOUT : BAD_GATEWAY;
      if (socket.writable) socket.end(gatewayErrorHead(status));
      answer(status, GATEWAY_ERROR_HEADERS);
    });
    upReq.on('upgrade', (upRes, upSocket, upHead) => {
      upSocket.setTimeout(0);
      upSocket.on('error', () => socket.destroy());
      socket.on('error', () => upSocket.destroy());
      socket.write(rawHead(`HTTP/${upRes.httpVersion} ${upRes.statusCode} ${upRes.statusMessage}`, upRes.rawHeaders));
      answer(upRes.statusCode ?? BAD_GATEWAY, upRes.headers);
      if (upHead.length) socket.write(upHead);
      if (head.length) upSocket.write(head);
      upSocket.pipe(socket);
      socket.pipe(upSocket);
      socket.on('close', () => upSocket.destroy());
      upSocket.on('close', () => socket.destroy());
    });
    upReq.on('response', (upRes) => {
      // The backend declined the upgrade: relay its answer and close.
      const raw: string[] = [];
      const tokens = connectionTokens(upRes.headers.connection);
      for (let i = 0; i + 1 < upRes.rawHeaders.length; i += 2) {
        const k = upRes.rawHeaders[i]!.toLowerCase();
        if (HOP.has(k) || tokens?.has(k)) continue;
        raw.push(upRes.rawHeaders[i]!, upRes.rawHeaders[i + 1]!);
      }
      raw.push('Connection', 'close');
      socket.write(rawHead(`HTTP/${upRes.httpVersion} ${upRes.statusCode} ${upRes.statusMessage}`, raw));
      answer(upRes.statusCode ?? BAD_GATEWAY, upRes.headers);
      upRes.pipe(socket);
    });
    upReq.end();
  }

  const timeouts = serverTimeouts(limits);
  const server = secure ? secureServer(opts.tls!, timeouts, limits.upstreamTimeoutMs) : http.createServer(timeouts);
  // Behind a balancer, a client is the one its PROXY header names (the
  // balancer's own address is every connection's).
  limitConnections(server, limits, onWarning, core.proxyProtocol ? (s) => clientTuple(s)?.cli : undefined);
  server.on('request', onRequest as (req: unknown, res: unknown) => void);
  // An upgraded socket is no longer the server's: close() ends it itself.
  const upgraded = new Set<net.Socket>();
  server.on('upgrade', (req: ClientRequest, socket: net.Socket, head: Buffer) => {
    // The server no longer listens for this socket's errors; a client
    // reset (even while pof is asked) must not throw: it shows as 'close'.
    socket.on('error', () => {});
    const entry = log?.trackUpgrade(req, socket);
    upgraded.add(socket);
    socket.once('close', () => upgraded.delete(socket));
    attachPof(core, req, () => upgrade(req, socket, head, req.pof!, entry));
  });
  // A request that cannot be read (malformed, too large, its head too
  // slow): told why when the connection can still carry it, then closed.
  // (Not in the middle of a response to an earlier request of the connection.)
  // Connections of the TLS server, HTTP/2's and HTTP/1.1's alike, for close().
  const secureSockets = new Set<net.Socket>();
  if (secure) {
    server.on('secureConnection', (s: net.Socket) => {
      secureSockets.add(s);
      s.once('close', () => secureSockets.delete(s));
    });
    // A client that fails its handshake or its HTTP/2 session is its own affair.
    server.on('sessionError', () => {});
  }
  server.on('clientError', (e: NodeJS.ErrnoException, socket: net.Socket) => {
    const inFlight = (socket as net.Socket & { _httpMessage?: http.ServerResponse | null })._httpMessage;
    if (socket.writable && e.code !== 'ECONNRESET' && !inFlight?.headersSent) socket.end(clientErrorHead(e.code));
    else socket.destroy();
  });

  return {
    server,
    core,
    listen(port, host) {
      core.attachServer(server);
      return new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          resolve(server.address() as net.AddressInfo);
        });
      });
    },
    async close() {
      // Waiting for the tunnels' 'close' lets their access-log lines out first.
      const tunnels = [...upgraded].map((s) => new Promise<void>((resolve) => s.once('close', () => resolve())));
      for (const s of upgraded) s.destroy();
      await Promise.all([
        new Promise<void>((resolve) => {
          server.close(() => resolve());
          (server as http.Server).closeAllConnections?.();
          // An HTTP/2 server has no closeAllConnections; a hello still being read is no connection of Node's yet.
          for (const s of secureSockets) s.destroy();
          if (server instanceof tls.Server) pofTlsOf(server)?.destroyPending();
        }),
        ...tunnels,
      ]);
      agent.destroy();
      await core.close();
    },
  };
}
