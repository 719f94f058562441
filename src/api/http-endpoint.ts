/**
 * The small HTTP server behind `--http ADDR:PORT` (daemon and proxy):
 * read-only routes on one port, /metrics (Prometheus text) among them.
 * It binds to loopback unless told otherwise: metrics and dashboards say
 * who connects to the site.
 *
 *   const ep = createHttpEndpoint({
 *     host: '127.0.0.1', port: 9100,
 *     metrics,                                  // mounts GET /metrics
 *     routes: new Map([['/', dashboardPage], ['/events', sseHandler]]),
 *   });
 *   await ep.listen();
 *   ep.mount('/api/hosts', handler);            // later mounts work too
 *
 * A route is (req, res) => void | Promise<void>, given GET and HEAD
 * requests for its exact path (the query string is the route's own
 * business); it answers as it likes, long-lived (SSE) included. Other
 * methods get 405, other paths 404, a route that throws 500 (one line to
 * onError). Bounded: connections (maxConnections), request headers
 * (size, time); responses are the routes'.
 */
import http from 'node:http';
import net from 'node:net';

import { PofError } from '../errors.js';
import { intOption } from '../options.js';

export type HttpRoute = (req: http.IncomingMessage, res: http.ServerResponse) => void | Promise<void>;

export interface HttpEndpointOptions {
  /** Address to bind (default 127.0.0.1). */
  host?: string;
  /** Port (0: any free one; see address()). */
  port: number;
  /** Routes by exact path. */
  routes?: Map<string, HttpRoute> | Record<string, HttpRoute>;
  /** Mounts GET /metrics rendering these (anything with render() and contentType). */
  metrics?: { render(): Promise<string>; readonly contentType: string };
  /** Connections at once (default 64). */
  maxConnections?: number;
  /** Told of a route's failures and of server errors after listen (one line each). */
  onError?: (message: string) => void;
}

export const DEFAULT_HTTP_HOST = '127.0.0.1';
export const DEFAULT_HTTP_MAX_CONNECTIONS = 64;

export interface HttpEndpoint {
  readonly server: http.Server;
  /** Adds (or replaces) a route. */
  mount(path: string, route: HttpRoute): void;
  unmount(path: string): boolean;
  /** The paths served. */
  paths(): string[];
  /** Starts listening; resolves with the address (rejects with PofError E_CONFIG naming it). */
  listen(): Promise<{ host: string; port: number }>;
  address(): { host: string; port: number } | null;
  close(): Promise<void>;
}

/**
 * Parses --http's value: PORT, :PORT, ADDR:PORT or [IPv6]:PORT; the address
 * defaults to 127.0.0.1. PofError E_USAGE naming the flag.
 */
export function parseHttpAddress(text: string, flag = '--http'): { host: string; port: number } {
  const bad = (): PofError => new PofError('E_USAGE', `${flag} wants ADDR:PORT, :PORT or PORT (got "${String(text).slice(0, 64)}")`);
  if (typeof text !== 'string' || !text) throw bad();
  let host = DEFAULT_HTTP_HOST;
  let portText = text;
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(text) ?? /^([^:]*):(\d+)$/.exec(text);
  if (m) {
    if (m[1]) host = m[1];
    portText = m[2]!;
  }
  if (!/^\d{1,5}$/.test(portText) || Number(portText) > 65535) throw bad();
  if (host !== 'localhost' && net.isIP(host) === 0) throw new PofError('E_USAGE', `${flag}: "${host.slice(0, 64)}" is not an IP address`);
  return { host, port: Number(portText) };
}

function checkPath(path: string): void {
  if (typeof path !== 'string' || !path.startsWith('/') || path.includes('?') || path.includes('#')) throw new PofError('E_CONFIG', `http endpoint: a route path starts with / and has no ? or # (got ${String(path)})`);
}

export function createHttpEndpoint(opts: HttpEndpointOptions): HttpEndpoint {
  if (opts === null || typeof opts !== 'object') throw new PofError('E_CONFIG', 'http endpoint: options must be an object');
  const host = opts.host ?? DEFAULT_HTTP_HOST;
  if (typeof host !== 'string' || (host !== 'localhost' && net.isIP(host) === 0)) throw new PofError('E_CONFIG', `http endpoint: host must be an IP address (got ${String(host)})`);
  const port = intOption('http endpoint: port', opts.port, 0, 0, 65535);
  const maxConnections = intOption('http endpoint: maxConnections', opts.maxConnections, DEFAULT_HTTP_MAX_CONNECTIONS, 1, 100_000);
  const onError = opts.onError ?? (() => {});
  const routes = new Map<string, HttpRoute>();
  const given = opts.routes instanceof Map ? [...opts.routes] : Object.entries(opts.routes ?? {});
  for (const [p, r] of given) {
    checkPath(p);
    if (typeof r !== 'function') throw new PofError('E_CONFIG', `http endpoint: the route for ${p} is not a function`);
    routes.set(p, r);
  }
  const metrics = opts.metrics;
  if (metrics) {
    routes.set('/metrics', async (_req, res) => {
      const body = await metrics.render();
      res.writeHead(200, { 'Content-Type': metrics.contentType, 'Content-Length': Buffer.byteLength(body), 'Cache-Control': 'no-store' });
      res.end(body);
    });
  }

  const server = http.createServer({ maxHeaderSize: 8192 }, (req, res) => {
    res.setHeader('X-Content-Type-Options', 'nosniff');
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q === -1 ? url : url.slice(0, q);
    const route = routes.get(path);
    if (!route) {
      res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' });
      res.end(`not found; this endpoint serves ${[...routes.keys()].sort().join(' ')}\n`);
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD', 'Content-Type': 'text/plain; charset=utf-8' });
      res.end('read only: GET or HEAD\n');
      return;
    }
    const failed = (e: unknown): void => {
      onError(`http endpoint: ${path}: ${(e as Error)?.message?.split('\n')[0] ?? String(e)}`);
      if (!res.headersSent) {
        res.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8' });
        res.end('internal error\n');
      } else res.destroy();
    };
    try {
      const p = route(req, res);
      if (p && typeof (p as Promise<void>).then === 'function') (p as Promise<void>).catch(failed);
    } catch (e) {
      failed(e);
    }
  });
  server.maxConnections = maxConnections;
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  server.keepAliveTimeout = 5_000;

  let bound: { host: string; port: number } | null = null;
  return {
    server,
    mount(path, route) {
      checkPath(path);
      if (typeof route !== 'function') throw new PofError('E_CONFIG', `http endpoint: the route for ${path} is not a function`);
      routes.set(path, route);
    },
    unmount: (path) => routes.delete(path),
    paths: () => [...routes.keys()].sort(),
    listen() {
      return new Promise((resolve, reject) => {
        const fail = (e: NodeJS.ErrnoException): void => reject(new PofError('E_CONFIG', `cannot serve HTTP on ${host.includes(':') ? `[${host}]` : host}:${port}: ${e.code ?? e.message}`));
        server.once('error', fail);
        server.listen(port, host, () => {
          server.removeListener('error', fail);
          server.on('error', (e) => onError(`http endpoint: ${e.message}`));
          const a = server.address() as net.AddressInfo;
          bound = { host: a.address, port: a.port };
          resolve(bound);
        });
      });
    },
    address: () => bound,
    close() {
      return new Promise<void>((resolve) => {
        if (!server.listening) return resolve();
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
