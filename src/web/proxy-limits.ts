/**
 * What the proxy allows its clients and its backend, so that slow or
 * greedy clients cannot hold it:
 *
 *   - headerTimeoutMs: the whole request head (request line and headers)
 *     must arrive within this of the connection's start or, on a kept-alive
 *     connection, of the request's first byte (as nginx's
 *     client_header_timeout); else 408 and the connection is closed. Under
 *     TLS the handshake gets as long again. Checked every
 *     headerTimeoutMs / 10 (at most every second), so a client is closed
 *     within 110% of it.
 *   - maxConnections, maxConnectionsPerClient: client connections open at
 *     once, in all and from one address (WebSocket tunnels included); one
 *     more is closed as soon as it is accepted.
 *   - upstreamTimeoutMs: longest the backend may stay silent (connecting,
 *     before its answer, between two reads); then 504 (or the connection is
 *     cut if the answer had begun).
 */
import type http from 'node:http';
import type net from 'node:net';

import { intOption } from '../options.js';

export const DEFAULT_HEADER_TIMEOUT_MS = 10_000;
/** (Node closes any request not whole after 300 s: the head's limit stays under it.) */
export const MAX_HEADER_TIMEOUT_MS = 300_000;
export const DEFAULT_MAX_CONNECTIONS = 10_000;
export const DEFAULT_MAX_CONNECTIONS_PER_CLIENT = 256;
export const MAX_CONNECTIONS = 1_000_000;
export const DEFAULT_UPSTREAM_TIMEOUT_MS = 60_000;
export const MAX_UPSTREAM_TIMEOUT_MS = 3_600_000;
/** Refused connections are told of at most this often (ms). */
export const LIMIT_WARNING_EVERY_MS = 10_000;

export interface ProxyLimitOptions {
  /** The request head must arrive within this (ms, default 10000). */
  headerTimeoutMs?: number;
  /** Client connections open at once (default 10000). */
  maxConnections?: number;
  /** Client connections open at once from one address (default 256). */
  maxConnectionsPerClient?: number;
  /** Longest the backend may stay silent (ms, default 60000; 0 = no limit). */
  upstreamTimeoutMs?: number;
}

export type ProxyLimits = Required<ProxyLimitOptions>;

/** The limits, checked (E_CONFIG naming the option). */
export function proxyLimits(o: ProxyLimitOptions): ProxyLimits {
  const opt = (name: keyof ProxyLimitOptions, dflt: number, lo: number, hi: number): number => intOption(`pof proxy: ${name}`, o[name], dflt, lo, hi);
  return {
    headerTimeoutMs: opt('headerTimeoutMs', DEFAULT_HEADER_TIMEOUT_MS, 1, MAX_HEADER_TIMEOUT_MS),
    maxConnections: opt('maxConnections', DEFAULT_MAX_CONNECTIONS, 1, MAX_CONNECTIONS),
    maxConnectionsPerClient: opt('maxConnectionsPerClient', DEFAULT_MAX_CONNECTIONS_PER_CLIENT, 1, MAX_CONNECTIONS),
    upstreamTimeoutMs: opt('upstreamTimeoutMs', DEFAULT_UPSTREAM_TIMEOUT_MS, 0, MAX_UPSTREAM_TIMEOUT_MS),
  };
}

/** Options for http(s).createServer that enforce headerTimeoutMs. */
export function serverTimeouts(l: ProxyLimits): http.ServerOptions & { handshakeTimeout: number } {
  return {
    headersTimeout: l.headerTimeoutMs,
    // Node checks its connections' clocks this often (default 30 s).
    connectionsCheckingInterval: Math.max(1, Math.min(1000, Math.floor(l.headerTimeoutMs / 10))),
    handshakeTimeout: l.headerTimeoutMs,
  };
}

/**
 * Applies the connection limits to a server: the total through Node's
 * maxConnections, the per-address one by counting connections as they are
 * accepted and closed. `warn` hears of refusals, at most once every
 * LIMIT_WARNING_EVERY_MS. `clientOf` names a connection's client when it
 * is not the peer (behind a balancer: its PROXY header's).
 */
export function limitConnections(server: net.Server, l: ProxyLimits, warn: (message: string) => void, clientOf?: (socket: net.Socket) => string | undefined): void {
  server.maxConnections = l.maxConnections;
  const open = new Map<string, number>();
  let refused = 0;
  let lastWarned = -Infinity;
  const refuse = (why: string): void => {
    refused++;
    const now = performance.now();
    if (now - lastWarned < LIMIT_WARNING_EVERY_MS) return;
    lastWarned = now;
    warn(`${why}: connection closed (${refused} refused so far)`);
  };
  server.on('drop', (d?: { remoteAddress?: string }) => refuse(`${l.maxConnections} client connections open (maxConnections), one more from ${d?.remoteAddress ?? '?'}`));
  // Before the server's own listener: a refused socket is closed before
  // anything is done with it.
  server.prependListener('connection', (socket: net.Socket) => {
    const addr = (clientOf ? clientOf(socket) : socket.remoteAddress) ?? '';
    const n = open.get(addr) ?? 0;
    if (n >= l.maxConnectionsPerClient) {
      socket.destroy();
      refuse(`${n} connections open from ${addr} (maxConnectionsPerClient)`);
      return;
    }
    open.set(addr, n + 1);
    socket.once('close', () => {
      const left = open.get(addr)! - 1;
      if (left) open.set(addr, left);
      else open.delete(addr);
    });
  });
}
