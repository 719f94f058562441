/** The query server's counters (PofApiServer.stats), and its status answer built from them. */
import type { ServerStatus } from './json-types.js';
import type { StatusInfo } from './types.js';

export interface ApiServerStats {
  accepted: number;
  active: number;
  pending: number;
  /** Closed at once because the waiting queue was full. */
  refused: number;
  /** Closed for a slow query, idle time, queue wait or an oversized line. */
  timedOut: number;
  /** Closed, idle, to give their slot to a waiting connection. */
  evicted: number;
  queries: { v3: number; v2: number; json: number };
  badQueries: number;
  /** p0f 2 fingerprint queries that found nothing. */
  v2Misses: number;
  /** Connection events sent to watching clients, and left out for clients that did not read. */
  events: number;
  eventsDropped: number;
}

export function newServerStats(): ApiServerStats {
  return {
    accepted: 0,
    active: 0,
    pending: 0,
    refused: 0,
    timedOut: 0,
    evicted: 0,
    queries: { v3: 0, v2: 0, json: 0 },
    badQueries: 0,
    v2Misses: 0,
    events: 0,
    eventsDropped: 0,
  };
}

/** What a status answer says beside the counters. */
export interface StatusContext {
  /** The engine's side (StatusInfo), or what to say without one. */
  base: StatusInfo;
  startedMs: number;
  /** Connections served now, waiting for a slot, and the slots. */
  active: number;
  pending: number;
  maxClients: number;
  /** Clients watching ports now. */
  watchers: number;
}

/** The answer to {"op":"status"}. */
export function serverStatus(stats: ApiServerStats, ctx: StatusContext): ServerStatus {
  const b = ctx.base;
  return {
    version: b.version,
    packets: b.packets,
    matched: b.matched,
    hosts: b.hosts,
    conns: b.conns,
    fp_checksum: b.fpChecksum,
    uptime_s: Math.floor((Date.now() - ctx.startedMs) / 1000),
    clients: { active: ctx.active, pending: ctx.pending, max: ctx.maxClients },
    queries: { ...stats.queries },
    bad_queries: stats.badQueries,
    watch: { clients: ctx.watchers, events: stats.events, dropped: stats.eventsDropped },
  };
}
