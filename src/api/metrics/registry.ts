/**
 * PofMetrics: pof's Prometheus metrics, in a prom-client Registry of its
 * own (nothing global), rendered as the text exposition format for
 * /metrics (http-endpoint.ts).
 *
 * Almost everything is read when /metrics is scraped, from the counters
 * pof keeps anyway (engine, capture, tables, API server, store, PROXY
 * reader): give the sources as functions, any of them, at any time
 * (setSources). The packet path pays only for ObservationCounters (plain
 * integers per observation) and for LatencyHistogram.observe() per timed
 * query. A source that throws leaves its metrics out of that scrape.
 *
 * Names (all prefixed pof_; counters end in _total):
 *
 *   packets_total, tcp_packets_total            the engine
 *   packets_dropped_total{reason}                pof's own: packets it could not use
 *   capture_received_total, capture_dropped_total{where=kernel|interface}
 *   records_total{mod}                           observations by module
 *   verdicts_total{mod,family,match}             SYN / SYN+ACK: OS family, match quality
 *   http_bad_sw_total{bad_sw}                    HTTP: 0 fine, 1 OS mismatch, 2 fake
 *   truth_verdicts_total{verdict}                the truth verdict (mod=verdict observations)
 *   tls_hellos_total{transport}                  TLS / QUIC ClientHellos (mod=tls observations)
 *   tls_events_total{event}                      the engine's TLS counters, if it keeps any
 *   table_entries{table}, table_capacity{table}, table_evictions_total{table}
 *   api_clients{state}, api_queries_total{protocol}, api_bad_queries_total,
 *   api_closed_total{why=refused|evicted|pending_timeout|query_timeout|idle_timeout|long_line},
 *   api_query_duration_seconds{protocol} (histogram)
 *   store_up{side}, store_published_total, store_publish_dropped_total{reason},
 *   store_errors_total{side}, store_lookups_total{result},
 *   store_publish_duration_seconds, store_lookup_duration_seconds (histograms)
 *   proxy_protocol_connections_total{result}
 *
 * plus prom-client's process and Node.js metrics (pof_process_*, pof_nodejs_*).
 */
import { createRequire } from 'node:module';

import type { Metric, Registry } from 'prom-client';

import { LATENCY_BUCKETS, LatencyHistogram, ObservationCounters } from './counters.js';

type Num = number;

type PromClient = typeof import('prom-client');
let prom: PromClient | null = null;
/** prom-client, loaded by the first PofMetrics (not by importing pof). */
const promClient = (): PromClient => (prom ??= createRequire(import.meta.url)('prom-client') as PromClient);

/** What the metrics read; every member optional, each a function called at scrape time. */
export interface MetricSources {
  /**
   * The engine (Engine.stats). A `tls` member, when the engine has one, is
   * read as counters by name (pof_tls_events_total{event}).
   */
  engine?: () => { packets: Num; tcp: Num; observations: Num; drops: Partial<Record<string, Num>>; tls?: object };
  capture?: () => { received: Num; droppedKernel: Num; droppedInterface: Num } | null;
  tables?: () => ReadonlyArray<{ table: string; entries: Num; capacity: Num; evicted: Num }>;
  /** The query server (PofApiServer.stats). */
  api?: () => {
    active: Num;
    pending: Num;
    refused: Num;
    /** The sum of the timeouts below; used alone (why="timeout") when they are not given. */
    timedOut: Num;
    evicted: Num;
    pendingTimeouts?: Num;
    queryTimeouts?: Num;
    idleTimeouts?: Num;
    longLines?: Num;
    queries: { v3: Num; v2: Num; json: Num };
    badQueries: Num;
  };
  publisher?: () => {
    up: boolean;
    published: Num;
    errors: Num;
    dropped: { full: Num; down: Num; tooLarge: Num };
  };
  reader?: () => {
    up: boolean;
    stats: { redis: Num; cached: Num; joined: Num; timeouts: Num; down: Num; busy: Num; errors: Num; badValues: Num };
  };
  /** ClientHellos fingerprinted, by transport ('tcp', 'quic'); without it, the mod=tls observations counted. */
  tlsHellos?: () => Partial<Record<string, Num>>;
  proxyProtocol?: () => { proxied: Num; local: Num; direct: Num; refused: Partial<Record<string, Num>> };
}

export type ApiProtocol = 'v3' | 'v2' | 'json';

export interface PofMetricsOptions {
  /** Name prefix (default 'pof_'). */
  prefix?: string;
  /** prom-client's process and Node.js metrics (default true). */
  processMetrics?: boolean;
  sources?: MetricSources;
}

const PREFIX = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;

/** A counter's name as a label value: camelCase to snake_case. */
const snake = (k: string): string => k.replace(/[A-Z]/g, (c) => '_' + c.toLowerCase());

export class PofMetrics {
  readonly registry: Registry;
  /** Feed it the engine's observations (an ObservationSink). */
  readonly observations = new ObservationCounters();
  readonly prefix: string;
  private sources: MetricSources;
  private readonly apiLatency: Record<ApiProtocol, LatencyHistogram> = {
    v3: new LatencyHistogram(LATENCY_BUCKETS),
    v2: new LatencyHistogram(LATENCY_BUCKETS),
    json: new LatencyHistogram(LATENCY_BUCKETS),
  };
  private readonly publishLatency = new LatencyHistogram(LATENCY_BUCKETS);
  private readonly lookupLatency = new LatencyHistogram(LATENCY_BUCKETS);

  constructor(opts: PofMetricsOptions = {}) {
    const p = opts.prefix ?? 'pof_';
    if (typeof p !== 'string' || (p !== '' && !PREFIX.test(p))) throw new RangeError(`metrics prefix must match ${PREFIX} (got ${String(p)})`);
    this.prefix = p;
    this.sources = { ...(opts.sources ?? {}) };
    const pc = promClient();
    this.registry = new pc.Registry();
    if (opts.processMetrics !== false) pc.collectDefaultMetrics({ register: this.registry, prefix: p });
    this.define();
  }

  /** Adds or replaces sources (a member set to undefined removes it). */
  setSources(s: MetricSources): void {
    this.sources = { ...this.sources, ...s };
  }

  /** Times one API query (seconds). */
  apiQuery(protocol: ApiProtocol, seconds: number): void {
    this.apiLatency[protocol].observe(seconds);
  }

  /** A store publish batch's round trip (StorePublisher onPublish). */
  readonly storePublish = (seconds: number): void => this.publishLatency.observe(seconds);
  /** A store lookup's round trip (StoreReader onLookup). */
  readonly storeLookup = (seconds: number): void => this.lookupLatency.observe(seconds);

  /** The Prometheus text exposition of every metric. */
  render(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  // ---------------------------------------------------------------- definitions

  /** A value read at scrape time; undefined (or a throw) leaves the metric empty. */
  private read<T>(f: (() => T) | undefined): T | undefined {
    if (!f) return undefined;
    try {
      return f();
    } catch {
      return undefined;
    }
  }

  private counter(name: string, help: string, labelNames: string[], fill: (set: (labels: Record<string, string>, v: number) => void) => void): void {
    const c = new (promClient().Counter)({
      name: this.prefix + name,
      help,
      labelNames,
      registers: [this.registry],
      collect() {
        c.reset();
        fill((labels, v) => {
          if (Number.isFinite(v) && v > 0) c.inc(labels, v);
        });
      },
    });
  }

  private gauge(name: string, help: string, labelNames: string[], fill: (set: (labels: Record<string, string>, v: number) => void) => void): void {
    const g = new (promClient().Gauge)({
      name: this.prefix + name,
      help,
      labelNames,
      registers: [this.registry],
      collect() {
        g.reset();
        fill((labels, v) => {
          if (Number.isFinite(v)) g.set(labels, v);
        });
      },
    });
  }

  /** A histogram from LatencyHistograms, one per label value. */
  private histogram(name: string, help: string, label: string | null, hs: () => Array<[string | null, LatencyHistogram]>): void {
    const full = this.prefix + name;
    const metric = {
      name: full,
      help,
      type: 'histogram',
      aggregator: 'sum',
      get: async () => {
        const values: Array<{ metricName: string; labels: Record<string, string | number>; value: number }> = [];
        for (const [lv, h] of hs()) {
          const base: Record<string, string> = label && lv !== null ? { [label]: lv } : {};
          let acc = 0;
          h.bounds.forEach((b, i) => {
            acc += h.counts[i]!;
            values.push({ metricName: `${full}_bucket`, labels: { ...base, le: b }, value: acc });
          });
          acc += h.counts[h.bounds.length]!;
          values.push({ metricName: `${full}_bucket`, labels: { ...base, le: '+Inf' }, value: acc });
          values.push({ metricName: `${full}_sum`, labels: base, value: h.sum });
          values.push({ metricName: `${full}_count`, labels: base, value: h.count });
        }
        return { name: full, help, type: 'histogram', aggregator: 'sum', values };
      },
    };
    this.registry.registerMetric(metric as unknown as Metric);
  }

  private define(): void {
    const s = (): MetricSources => this.sources;
    const engine = () => this.read(s().engine);
    this.counter('packets_total', 'Packets the engine was given.', [], (set) => {
      const e = engine();
      if (e) set({}, e.packets);
    });
    this.counter('tcp_packets_total', 'Packets decoded as TCP.', [], (set) => {
      const e = engine();
      if (e) set({}, e.tcp);
    });
    this.counter('packets_dropped_total', "Packets pof could not use, by reason (pof's drops; the kernel's are capture_dropped_total).", ['reason'], (set) => {
      const e = engine();
      if (e) for (const [reason, n] of Object.entries(e.drops)) set({ reason }, n ?? 0);
    });
    this.counter('capture_received_total', 'Packets the kernel passed the capture filter (live capture).', [], (set) => {
      const c = this.read(s().capture);
      if (c) set({}, c.received);
    });
    this.counter('capture_dropped_total', 'Packets dropped before pof saw them: by the kernel (buffer full) or the interface.', ['where'], (set) => {
      const c = this.read(s().capture);
      if (c) {
        set({ where: 'kernel' }, c.droppedKernel);
        set({ where: 'interface' }, c.droppedInterface);
      }
    });
    const obs = this.observations;
    this.counter('records_total', 'Observations (log records) by module.', ['mod'], (set) => {
      for (const [mod, n] of obs.records) set({ mod }, n);
    });
    this.counter('verdicts_total', 'SYN and SYN+ACK verdicts by OS family ("unknown": no match, "userland": a tool) and match quality.', ['mod', 'family', 'match'], (set) => {
      for (const [k, n] of obs.verdicts) {
        const [mod, family, match] = k.split('|') as [string, string, string];
        set({ mod, family, match }, n);
      }
    });
    this.counter('http_bad_sw_total', "HTTP verdicts by p0f's bad_sw: 0 fine, 1 OS differs from the User-Agent, 2 fake User-Agent.", ['bad_sw'], (set) => {
      obs.badSw.forEach((n, i) => set({ bad_sw: String(i) }, n));
    });
    this.counter('truth_verdicts_total', 'Truth verdicts (the layers against the User-Agent) by outcome.', ['verdict'], (set) => {
      for (const [verdict, n] of obs.truth) set({ verdict }, n);
    });
    this.counter('tls_hellos_total', 'TLS ClientHellos fingerprinted, by transport.', ['transport'], (set) => {
      const t = s().tlsHellos ? this.read(s().tlsHellos) : Object.fromEntries(obs.tlsHellos);
      if (t) for (const [transport, n] of Object.entries(t)) set({ transport }, n ?? 0);
    });
    this.counter('tls_events_total', "The engine's TLS counters by name (hellos gathered, dropped over budget, QUIC packets that failed to decrypt, ...), as it keeps them.", ['event'], (set) => {
      const t = engine()?.tls;
      if (t && typeof t === 'object') for (const [event, n] of Object.entries(t)) if (typeof n === 'number') set({ event: snake(event) }, n);
    });
    const tables = () => this.read(s().tables) ?? [];
    this.gauge('table_entries', 'Entries in each bounded table now.', ['table'], (set) => {
      for (const t of tables()) set({ table: t.table }, t.entries);
    });
    this.gauge('table_capacity', 'Most entries each table holds.', ['table'], (set) => {
      for (const t of tables()) set({ table: t.table }, t.capacity);
    });
    this.counter('table_evictions_total', 'Entries evicted from each table to make room.', ['table'], (set) => {
      for (const t of tables()) set({ table: t.table }, t.evicted);
    });
    const api = () => this.read(s().api);
    this.gauge('api_clients', 'API socket connections: served now, waiting for a slot.', ['state'], (set) => {
      const a = api();
      if (a) {
        set({ state: 'active' }, a.active);
        set({ state: 'pending' }, a.pending);
      }
    });
    this.counter('api_queries_total', 'API queries answered, by protocol.', ['protocol'], (set) => {
      const a = api();
      if (a) for (const p of ['v3', 'v2', 'json'] as const) set({ protocol: p }, a.queries[p]);
    });
    this.counter('api_bad_queries_total', 'API queries answered "bad query".', [], (set) => {
      const a = api();
      if (a) set({}, a.badQueries);
    });
    this.counter(
      'api_closed_total',
      'API connections closed by pof: refused (queue full), evicted (idle, for a waiting one), pending_timeout (waited too long for a slot), query_timeout (a query not completed in time), idle_timeout, long_line (a JSON line too long).',
      ['why'],
      (set) => {
        const a = api();
        if (!a) return;
        set({ why: 'refused' }, a.refused);
        set({ why: 'evicted' }, a.evicted);
        if (a.pendingTimeouts === undefined) return set({ why: 'timeout' }, a.timedOut);
        set({ why: 'pending_timeout' }, a.pendingTimeouts);
        set({ why: 'query_timeout' }, a.queryTimeouts ?? 0);
        set({ why: 'idle_timeout' }, a.idleTimeouts ?? 0);
        set({ why: 'long_line' }, a.longLines ?? 0);
      },
    );
    this.histogram('api_query_duration_seconds', 'API query latency, from its bytes read to its answer written.', 'protocol', () =>
      (['v3', 'v2', 'json'] as const).map((p) => [p, this.apiLatency[p]] as [string, LatencyHistogram]),
    );
    const pub = () => this.read(s().publisher);
    const rd = () => this.read(s().reader);
    this.gauge('store_up', 'The shared store (Redis) connection is up (1) or down (0).', ['side'], (set) => {
      const p = pub();
      if (p) set({ side: 'publish' }, p.up ? 1 : 0);
      const r = rd();
      if (r) set({ side: 'lookup' }, r.up ? 1 : 0);
    });
    this.counter('store_published_total', 'Verdicts and host records Redis accepted.', [], (set) => {
      const p = pub();
      if (p) set({}, p.published);
    });
    this.counter('store_publish_dropped_total', 'Verdicts not published: queue full (Redis behind), Redis down, too large.', ['reason'], (set) => {
      const p = pub();
      if (p) {
        set({ reason: 'full' }, p.dropped.full);
        set({ reason: 'down' }, p.dropped.down);
        set({ reason: 'too_large' }, p.dropped.tooLarge);
      }
    });
    this.counter('store_errors_total', 'Store errors: SETs Redis refused; lookups that failed (timeout, down, busy, Redis error, bad value).', ['side', 'kind'], (set) => {
      const p = pub();
      if (p) set({ side: 'publish', kind: 'redis' }, p.errors);
      const r = rd();
      if (r) {
        const st = r.stats;
        set({ side: 'lookup', kind: 'timeout' }, st.timeouts);
        set({ side: 'lookup', kind: 'down' }, st.down);
        set({ side: 'lookup', kind: 'busy' }, st.busy);
        set({ side: 'lookup', kind: 'redis' }, st.errors);
        set({ side: 'lookup', kind: 'bad_value' }, st.badValues);
      }
    });
    this.counter('store_lookups_total', 'Store lookups by how they were answered: a Redis round trip, the local cache, or a question already out.', ['result'], (set) => {
      const r = rd();
      if (r) {
        set({ result: 'redis' }, r.stats.redis);
        set({ result: 'cached' }, r.stats.cached);
        set({ result: 'joined' }, r.stats.joined);
      }
    });
    this.histogram('store_publish_duration_seconds', 'Round trip of one batch of SETs to Redis.', null, () => [[null, this.publishLatency]]);
    this.histogram('store_lookup_duration_seconds', 'Round trip of one store lookup to Redis.', null, () => [[null, this.lookupLatency]]);
    this.counter('proxy_protocol_connections_total', 'Connections by PROXY header outcome: proxied, local (health checks), direct, refused_<reason>.', ['result'], (set) => {
      const x = this.read(s().proxyProtocol);
      if (!x) return;
      set({ result: 'proxied' }, x.proxied);
      set({ result: 'local' }, x.local);
      set({ result: 'direct' }, x.direct);
      for (const [why, n] of Object.entries(x.refused)) set({ result: `refused_${why}` }, n ?? 0);
    });
  }
}
