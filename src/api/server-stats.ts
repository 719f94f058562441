/** The query server's counters (PofApiServer.stats), and its status answer built from them. */
import type { ServerStatus } from './json-types.js';
import type { StatusInfo } from './types.js';

export interface ApiServerStats {
  accepted: number;
  active: number;
  pending: number;
  /** Closed at once because the waiting queue was full. */
  refused: number;
  /**
   * Closed for one of the four reasons below: their sum (what this counted
   * before they were told apart).
   */
  readonly timedOut: number;
  /** Closed after waiting longer than pendingTimeoutMs for a slot. */
  pendingTimeouts: number;
  /** Closed for a query begun and not completed within queryTimeoutMs. */
  queryTimeouts: number;
  /** Closed after no traffic either way for idleTimeoutMs. */
  idleTimeouts: number;
  /** Closed after a JSON query line longer than maxJsonLine (answered "bad query"). */
  longLines: number;
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
    get timedOut(): number {
      return this.pendingTimeouts + this.queryTimeouts + this.idleTimeouts + this.longLines;
    },
    pendingTimeouts: 0,
    queryTimeouts: 0,
    idleTimeouts: 0,
    longLines: 0,
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
    clients: {
      active: ctx.active,
      pending: ctx.pending,
      max: ctx.maxClients,
      closed: {
        refused: stats.refused,
        evicted: stats.evicted,
        pending_timeout: stats.pendingTimeouts,
        query_timeout: stats.queryTimeouts,
        idle_timeout: stats.idleTimeouts,
        long_line: stats.longLines,
      },
    },
    queries: { ...stats.queries },
    bad_queries: stats.badQueries,
    watch: { clients: ctx.watchers, events: stats.events, dropped: stats.eventsDropped },
  };
}
