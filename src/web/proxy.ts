/**
 * A reverse proxy that fingerprints each client connection and tells the
 * backend what pof knows in X-Pof-* request headers (PHP sees
 * $_SERVER['HTTP_X_POF_GENRE']), with X-Forwarded-For / -Proto / -Host.
 * Client-sent X-Pof-* headers are removed: the backend can trust them.
 *
 * Bodies stream both ways (no buffering), WebSocket and other upgrades are
 * passed through, upstream connections are kept alive, TLS can be
 * terminated here. Fingerprinting never fails a request: at worst it is
 * forwarded after timeoutMs with X-Pof-Err saying why.
 */
import http from 'node:http';
import https from 'node:https';
import type net from 'node:net';

import { PofError } from '../errors.js';
import type { AccessLog, UpgradeLogEntry } from './access-log.js';
import type { PofCore } from './core.js';
import { attachPof, coreOf, type PofSetup } from './node-http.js';
import { isPofValueName, POF_EXTRA_NAMES, pofValue, resultShape, type PofResult, type PofValueName } from './result.js';

export interface PofProxyOptions {
  /** Where requests go: 'http://127.0.0.1:8080' (a path prefix may follow). */
  upstream: string;
  /** How to fingerprint (core options, or a core). */
  pof: PofSetup;
  accessLog?: AccessLog;
  /** Terminate TLS with this certificate and key (PEM). */
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
  /** Give up on an upstream that does not answer (ms, default 60000; 0 = never). */
  upstreamTimeoutMs?: number;
  /** Told about upstream failures (502s, broken upgrades). */
  onError?: (err: Error) => void;
}

const BAD_GATEWAY = 502;
/** What the client of an upgrade hears when the backend cannot be reached. */
const BAD_GATEWAY_HEADERS = { connection: 'close', 'content-length': '0' };
const BAD_GATEWAY_HEAD = 'HTTP/1.1 502 Bad Gateway\r\nConnection: close\r\nContent-Length: 0\r\n\r\n';

/** Hop-by-hop headers (RFC 9110 7.6.1) and the proxy's own ones. */
const HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer', 'transfer-encoding', 'upgrade']);

/**
 * First letters (lowercased) of the names upstreamHeaders() drops or
 * checks: HOP's, host, content-length, x-pof-*, x-forwarded-*.
 */
const SPECIAL_FIRST = new Set([...HOP, 'host', 'content-length', 'x-'].map((n) => n.charCodeAt(0)));

/** Names a Connection header lists: hop-by-hop too (RFC 9110 7.6.1); null when none. */
function connectionTokens(v: string | string[] | undefined): Set<string> | null {
  const t = Array.isArray(v) ? v.join(',') : v;
  return t && t !== 'keep-alive' && t !== 'close' ? new Set(t.toLowerCase().split(',').map((s) => s.trim())) : null;
}

/** 'pof_ua_mismatch' -> 'X-Pof-Ua-Mismatch'. */
export function pofHeaderName(name: string): string {
  return 'X-Pof-' + name.slice(4).split('_').map((w) => (w ? w[0]!.toUpperCase() + w.slice(1) : w)).join('-');
}

/** Header-safe text: printable ASCII only. */
function headerValue(v: string): string {
  return /^[\x20-\x7e]*$/.test(v) ? v : v.replace(/[^\x20-\x7e]/g, '?');
}

export interface PofProxy {
  readonly server: http.Server | https.Server;
  readonly core: PofCore;
  listen(port: number, host?: string): Promise<net.AddressInfo>;
  close(): Promise<void>;
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
  const upTimeout = opts.upstreamTimeoutMs ?? 60_000;
  if (!Number.isInteger(upTimeout) || upTimeout < 0) throw new PofError('E_CONFIG', 'pof proxy: upstreamTimeoutMs must be an integer >= 0');
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
  // X-Pof-Type and X-Pof-Err always go (the backend can tell "unknown"
  // from "not asked"); the others only when known.
  const mustSend = new Set<PofValueName>(varNames.filter((f) => f === 'pof_type' || f === 'pof_err'));

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
      for (const [name, header] of headerNames) {
        const v = pofValue(r, name);
        if (v !== '' || mustSend.has(name)) list.push(header, headerValue(v));
      }
      // (A result the application froze is simply not cached.)
      if (Object.isExtensible(held)) held[kHeaders] = list;
    }
    return list;
  }

  /**
   * The request's headers for the backend, as a raw list (which Node sends
   * as it is, cheaper than a header object): the client's own, in their
   * order and spelling, less hop-by-hop ones, client-sent X-Pof-*,
   * X-Forwarded-Proto (the proxy knows it) and repeats of Host or
   * Content-Length; then X-Forwarded-*, then pof's.
   */
  function upstreamHeaders(req: http.IncomingMessage, r: PofResult, upgrade: boolean): string[] {
    const raw = req.rawHeaders;
    const out: string[] = [];
    const connTokens = connectionTokens(req.headers.connection);
    let host = false;
    let length = false;
    for (let i = 0; i + 1 < raw.length; i += 2) {
      const name = raw[i]!;
      // Most headers cannot be one of those looked at here: their first
      // letter says so without lowercasing the name.
      if (!connTokens && !SPECIAL_FIRST.has(name.charCodeAt(0) | 0x20)) {
        out.push(name, raw[i + 1]!);
        continue;
      }
      const k = name.toLowerCase();
      if (HOP.has(k) || (k.charCodeAt(0) === 0x78 && (k.startsWith('x-pof-') || k === 'x-forwarded-for' || k === 'x-forwarded-proto')) || connTokens?.has(k)) continue;
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
    const cli = r.conn?.cli ?? req.socket.remoteAddress ?? '';
    const xff = req.headers['x-forwarded-for'];
    out.push('X-Forwarded-For', xff ? `${xff}, ${cli}` : cli);
    out.push('X-Forwarded-Proto', secure ? 'https' : 'http');
    if (req.headers.host && !req.headers['x-forwarded-host']) out.push('X-Forwarded-Host', req.headers.host);
    const pof = pofHeaderList(r);
    for (let i = 0; i < pof.length; i++) out.push(pof[i]!);
    return out;
  }

  function forward(req: http.IncomingMessage, res: http.ServerResponse, r: PofResult): void {
    const upReq = request({
      agent,
      host: upHost,
      port: upPort,
      method: req.method,
      path: base + (req.url ?? '/'),
      headers: upstreamHeaders(req, r, false),
      timeout: upTimeout || undefined,
      servername: up.protocol === 'https:' ? upHost : undefined,
    });
    let answered = false;
    const fail = (e: Error): void => {
      if (answered) return;
      answered = true;
      onError(e);
      if (!res.headersSent) {
        res.writeHead(BAD_GATEWAY, { 'content-type': 'text/plain', connection: 'close' });
        res.end('Bad Gateway\n');
      } else res.destroy(e);
    };
    upReq.on('timeout', () => upReq.destroy(new Error(`upstream ${up.host} timed out`)));
    upReq.on('error', fail);
    upReq.on('response', (upRes) => {
      answered = true;
      const out: http.OutgoingHttpHeaders = {};
      const tokens = connectionTokens(upRes.headers.connection);
      for (const [k, v] of Object.entries(upRes.headers)) {
        if (v === undefined || HOP.has(k) || tokens?.has(k)) continue;
        out[k] = v;
      }
      res.writeHead(upRes.statusCode ?? 502, upRes.statusMessage, out);
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

  function onRequest(req: http.IncomingMessage, res: http.ServerResponse): void {
    log?.track(req, res);
    attachPof(core, req, () => {
      if (!res.destroyed) forward(req, res, req.pof!);
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
    const upReq = request({
      agent: false,
      host: upHost,
      port: upPort,
      method: req.method,
      path: base + (req.url ?? '/'),
      headers: upstreamHeaders(req, r, true),
      // Until the backend answers the handshake; a tunnel may then idle.
      timeout: upTimeout || undefined,
      servername: up.protocol === 'https:' ? upHost : undefined,
    });
    upReq.on('timeout', () => upReq.destroy(new Error(`upstream ${up.host} timed out`)));
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
      if (socket.writable) socket.end(BAD_GATEWAY_HEAD);
      answer(BAD_GATEWAY, BAD_GATEWAY_HEADERS);
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

  const server = secure ? https.createServer({ cert: opts.tls!.cert, key: opts.tls!.key }) : http.createServer();
  server.on('request', onRequest);
  // An upgraded socket is no longer the server's: close() ends it itself.
  const upgraded = new Set<net.Socket>();
  server.on('upgrade', (req: http.IncomingMessage, socket: net.Socket, head: Buffer) => {
    // The server no longer listens for this socket's errors; a client
    // reset (even while pof is asked) must not throw: it shows as 'close'.
    socket.on('error', () => {});
    const entry = log?.trackUpgrade(req, socket);
    upgraded.add(socket);
    socket.once('close', () => upgraded.delete(socket));
    attachPof(core, req, () => upgrade(req, socket, head, req.pof!, entry));
  });
  server.on('clientError', (_e, socket: net.Socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
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
          server.closeAllConnections?.();
        }),
        ...tunnels,
      ]);
      agent.destroy();
      await core.close();
    },
  };
}
