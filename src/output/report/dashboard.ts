/**
 * The live dashboard: two read-only routes for the daemon's `--http`
 * endpoint (the same port as /metrics).
 *
 *   /                the page (render.ts): the report's charts, plus recent
 *                    mismatches, over the summary's window;
 *   /dashboard.json  the summary's snapshot (data.ts), which the page polls.
 *
 * Polling JSON, not Server-Sent Events: the server keeps nothing per
 * viewer (no open stream to bound, time out or clean up; a request is a
 * request, under the endpoint's own limits), every answer is a complete
 * picture (a viewer that missed one misses nothing), and it passes any
 * proxy. The cost is one small request per viewer every few seconds, and
 * snapshots are cached for SNAPSHOT_TTL_MS so that many viewers cost one
 * snapshot a second.
 *
 * Only GET and HEAD; no query parameters are read; nothing is stored.
 * What it shows is what pof observed (addresses, labels, counts), nothing
 * of its configuration, paths or keys. The page allows itself no fetch but
 * its data route (Content-Security-Policy, also sent as a header).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { PofError } from '../../errors.js';
import type { TrafficSummary } from './aggregate.js';
import { renderPage } from './render.js';

export type RequestHandler = (req: IncomingMessage, res: ServerResponse) => void;

export interface DashboardOptions {
  summary: TrafficSummary;
  version: string;
  /** The page's heading; default "pof: live traffic". */
  title?: string;
  /** How often the page fetches the data (ms, 1000..60000); default 5000. */
  refreshMs?: number;
  /** The time a snapshot's window ends at, in seconds; default the clock (packet time is the clock's, live). */
  now?: () => number;
}

export interface Dashboard {
  /** Path -> handler, for an endpoint's routes map. */
  readonly routes: Readonly<Record<string, RequestHandler>>;
  /** Answers `req` if its path is one of the routes; false (nothing written) otherwise. */
  handle(req: IncomingMessage, res: ServerResponse): boolean;
}

export const DASHBOARD_PATH = '/';
export const DASHBOARD_DATA_PATH = '/dashboard.json';
/** A snapshot is reused for this long (ms), however many viewers ask. */
const SNAPSHOT_TTL_MS = 1000;

const COMMON_HEADERS = {
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

export function createDashboard(o: DashboardOptions): Dashboard {
  const refreshMs = o.refreshMs ?? 5000;
  if (!Number.isInteger(refreshMs) || refreshMs < 1000 || refreshMs > 60000) {
    throw new PofError('E_CONFIG', `dashboard: refreshMs must be an integer from 1000 to 60000 (got ${String(o.refreshMs)})`);
  }
  if (o.summary.windowS <= 0) throw new PofError('E_CONFIG', 'dashboard: the summary needs a window (windowS > 0)');
  const now = o.now ?? ((): number => Date.now() / 1000);
  const page = renderPage(null, {
    title: o.title ?? 'pof: live traffic',
    version: o.version,
    // Relative, so that the page also works behind a proxy that mounts it under a prefix.
    live: { dataPath: DASHBOARD_DATA_PATH.slice(1), refreshMs, windowS: o.summary.windowS },
  });
  const pageBody = Buffer.from(page.html, 'utf8');
  let cached: { at: number; body: Buffer } | null = null;

  const pageRoute: RequestHandler = (req, res) => {
    if (!readOnly(req, res)) return;
    send(req, res, 200, { 'Content-Type': 'text/html; charset=utf-8', 'Content-Security-Policy': page.csp, 'Cache-Control': 'no-cache' }, pageBody);
  };
  const dataRoute: RequestHandler = (req, res) => {
    if (!readOnly(req, res)) return;
    const t = Date.now();
    if (cached === null || t - cached.at >= SNAPSHOT_TTL_MS || t < cached.at) {
      cached = { at: t, body: Buffer.from(JSON.stringify(o.summary.snapshot(now())), 'utf8') };
    }
    send(req, res, 200, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' }, cached.body);
  };
  const routes: Record<string, RequestHandler> = { [DASHBOARD_PATH]: pageRoute, [DASHBOARD_DATA_PATH]: dataRoute };
  const byPath = new Map(Object.entries(routes));
  return {
    routes,
    handle(req, res) {
      const url = req.url ?? '';
      const q = url.indexOf('?');
      const h = byPath.get(q === -1 ? url : url.slice(0, q));
      if (h === undefined) return false;
      h(req, res);
      return true;
    },
  };
}

function readOnly(req: IncomingMessage, res: ServerResponse): boolean {
  if (req.method === 'GET' || req.method === 'HEAD') return true;
  send(req, res, 405, { 'Content-Type': 'text/plain; charset=utf-8', Allow: 'GET, HEAD' }, Buffer.from('read-only: GET or HEAD\n'));
  return false;
}

function send(req: IncomingMessage, res: ServerResponse, status: number, headers: Record<string, string>, body: Buffer): void {
  res.writeHead(status, { ...COMMON_HEADERS, ...headers, 'Content-Length': String(body.length) });
  res.end(req.method === 'HEAD' ? undefined : body);
}
