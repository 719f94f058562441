/**
 * The sensor's outputs beyond its own host (docs/cluster.md,
 * docs/report.md), for live-run.ts:
 *
 *   --store URL        each connection's verdicts, and its client's host
 *                      record, published to Redis (StorePublisher: off the
 *                      packet path, bounded, drops counted, reconnecting by
 *                      itself); capture never waits for Redis
 *   --http ADDR:PORT   Prometheus text at /metrics (PofMetrics, read from
 *                      the engine, the capture, the tables, the API server
 *                      and the publisher when scraped) and the live
 *                      dashboard at / and /dashboard.json (a TrafficSummary
 *                      of the last --dashboard-window minutes)
 *
 * openSensorNet() runs in start-up step 2, beside the API socket: as root,
 * so that a port below 1024 can be bound, and before the capture opens, so
 * that a port in use stops pof before it looks at a packet. What exists
 * only later (the API server, the capture) is given to the metrics with
 * setSources() once it does.
 *
 * Per observation, the packet path pays for what is on: the metrics'
 * counters and the summary's (a switch on mod and a few increments each),
 * and the publisher's O(1) marking of the connection and its host.
 */
import { createHttpEndpoint, type HttpEndpoint } from '../api/http-endpoint.js';
import { PofMetrics } from '../api/metrics/registry.js';
import type { QueryTimer } from '../api/query-loop.js';
import { StorePublisher } from '../api/store/publisher.js';
import type { Engine } from '../engine.js';
import type { ObservationSink } from '../observation.js';
import { TrafficSummary } from '../output/report/aggregate.js';
import { createDashboard } from '../output/report/dashboard.js';
import type { ConnVerdicts } from '../state/conn-verdicts.js';
import type { Host } from '../state/hosts.js';
import { DEFAULT_DASHBOARD_WINDOW_MIN, isLoopbackHost, type SensorNetFlags } from './sensor-flags.js';

/** How long the exit waits for the publisher to send what is left and stop (ms). */
export const STORE_CLOSE_WAIT_MS = 5000;
/** How often the dashboard's page asks for new data (ms). */
const DASHBOARD_REFRESH_MS = 5000;

export interface SensorNetDeps {
  engine: Engine;
  conns: ConnVerdicts;
  /** Most hosts the engine keeps (-m), for pof_table_capacity. */
  maxHosts: number;
  version: string;
  /** Warnings (always shown), and start-up news (-q silences it on a terminal). */
  report: (m: string) => void;
  info: (m: string) => void;
}

export interface SensorNet {
  /** For the engine's sink, after ConnVerdicts: counts and summarises each observation. Null when neither --http is on. */
  readonly observe: ObservationSink | null;
  /** For the API server (onQuery): the query latency histogram. */
  readonly onQuery: QueryTimer | undefined;
  readonly metrics: PofMetrics | null;
  readonly publisher: StorePublisher | null;
  readonly endpoint: HttpEndpoint | null;
  /** The exit summary's line about the store, or null without --store. */
  storeLine(): string | null;
  /** Stops serving HTTP, publishes what is left (bounded wait) and stops the publishing threads. */
  close(): Promise<void>;
}

/** Starts what --store and --http ask for (nothing when neither is given). */
export async function openSensorNet(f: SensorNetFlags, d: SensorNetDeps): Promise<SensorNet> {
  const { engine, conns } = d;
  let publisher: StorePublisher | null = null;
  let metrics: PofMetrics | null = null;
  let endpoint: HttpEndpoint | null = null;
  let observe: ObservationSink | null = null;
  try {
    if (f.http) {
      metrics = new PofMetrics({
        sources: {
          engine: () => engine.stats,
          tables: () => [
            { table: 'hosts', entries: engine.hosts.size, capacity: d.maxHosts, evicted: engine.hosts.evicted },
            { table: 'flows', entries: engine.flows.size, capacity: engine.flows.maxConn, evicted: engine.flows.evicted },
            { table: 'conns', entries: conns.size, capacity: conns.capacity, evicted: conns.evicted },
          ],
        },
      });
    }
    if (f.store) publisher = startPublisher(f, d, metrics);
    if (f.http && metrics) {
      const windowS = f.dashboardWindowS ?? DEFAULT_DASHBOARD_WINDOW_MIN * 60;
      const summary = new TrafficSummary({ windowS });
      const dash = createDashboard({ summary, version: d.version, refreshMs: DASHBOARD_REFRESH_MS });
      const counters = metrics.observations.observe;
      observe = (o) => {
        counters(o);
        summary.add(o);
      };
      endpoint = createHttpEndpoint({ host: f.http.host, port: f.http.port, metrics, routes: dash.routes, onError: (m) => d.report(`[!] ${m}`) });
      const a = await endpoint.listen();
      const where = a.host.includes(':') ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`;
      d.info(`[+] Serving /metrics and the live dashboard (the last ${windowS / 60} min) on http://${where}/.`);
      if (!isLoopbackHost(a.host)) {
        d.report(`[!] --http ${where} is not loopback: whoever reaches it sees the metrics and the dashboard (this site's clients, their addresses and systems).`);
      }
    }
  } catch (e) {
    await endpoint?.close();
    await publisher?.close();
    throw e;
  }
  const m = metrics;
  return {
    observe,
    onQuery: m ? (protocol, seconds) => m.apiQuery(protocol, seconds) : undefined,
    metrics,
    publisher,
    endpoint,
    storeLine: () => (publisher ? storeSummary(publisher) : null),
    async close() {
      await endpoint?.close();
      if (publisher) await closeWithin(publisher.close(), STORE_CLOSE_WAIT_MS);
    },
  };
}

function startPublisher(f: SensorNetFlags, d: SensorNetDeps, metrics: PofMetrics | null): StorePublisher {
  const { engine, conns } = d;
  let wasDown = false;
  const pub = new StorePublisher({
    url: f.store!,
    password: f.storePassword,
    onPublish: metrics?.storePublish,
    onState: (down) => {
      if (down === null) {
        // The first connection is start-up news; coming back after an outage is said as the outage was.
        (wasDown ? d.report : d.info)(`[+] Store: ${wasDown ? 'Redis is back, ' : ''}publishing verdicts to ${pub.url.display}.`);
        wasDown = false;
      } else if (!/^not connected yet/.test(down)) {
        d.report(`[!] Store: ${down}; verdicts are dropped (counted) until publishing resumes, capture goes on.`);
        wasDown = true;
      }
    },
  });
  // The client's host record goes with each update of its connection. Its
  // lookup parses the address text: the one before is remembered for the
  // rest of this turn (a SYN's verdict and its MTU come one after the
  // other), then forgotten, so that no stale record outlives a turn.
  let lastCli: string | null = null;
  let lastHost: Host | undefined;
  const forget = (): void => {
    lastCli = null;
    lastHost = undefined;
  };
  conns.onUpdate((v) => {
    pub.conn(v);
    if (v.cli !== lastCli) {
      if (lastCli === null) setImmediate(forget);
      lastCli = v.cli;
      lastHost = engine.hosts.get(v.cli);
    }
    if (lastHost) pub.host(lastHost);
  });
  metrics?.setSources({ publisher: () => ({ up: pub.unavailable() === null, ...pub.stats }) });
  return pub;
}

/** "[+] Store: 1,234 records published to redis://...; 5 dropped (queue full 0, Redis down 5, too large 0)." */
function storeSummary(pub: StorePublisher): string {
  const s = pub.stats;
  const dropped = s.dropped.full + s.dropped.down + s.dropped.tooLarge;
  return (
    `[+] Store: ${s.published} record${s.published === 1 ? '' : 's'} published to ${pub.url.display}; ${dropped} dropped ` +
    `(queue full ${s.dropped.full}, Redis down ${s.dropped.down}, too large ${s.dropped.tooLarge})` +
    `${s.errors ? `; Redis refused ${s.errors}${s.lastError ? ` (${s.lastError})` : ''}` : ''}.`
  );
}

async function closeWithin(p: Promise<void>, ms: number): Promise<void> {
  let t: NodeJS.Timeout | undefined;
  await Promise.race([p.catch(() => undefined), new Promise<void>((r) => (t = setTimeout(r, ms)))]);
  clearTimeout(t);
}
