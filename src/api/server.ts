/**
 * The query server: one Unix socket speaking three protocols (p0f 3, p0f 2,
 * JSON lines), told apart at each query boundary (query-loop.ts; one
 * framing module per protocol, frame-*.ts). Connections are persistent and
 * answered in order (pipelining), except that a p0f 2 query is answered
 * and the connection closed, as p0f 2 did (its clients read until EOF;
 * option v2KeepAlive keeps it open).
 *
 * This file is the connection's life: the socket file (socket-file.ts),
 * admission to the -S slots (admission.ts: a bounded waiting queue, idle
 * connections giving their slots to waiting ones), reading, the timers
 * (a query must complete in time, an idle connection is closed), and the
 * events told to watching clients (watch-events.ts). Slow or silent clients
 * are closed after a timeout, a client that does not read its answers is
 * paused (never buffered without bound), and garbage gets "bad query"
 * answers: no client can stall the others or the process.
 */
import net from 'node:net';
import { DEFAULT_API_CLIENTS, MAX_API_CLIENTS } from '../config.js';
import { PofError } from '../errors.js';
import { intOption as intOpt } from '../options.js';
import type { ConnVerdict } from '../state/conn-verdicts.js';
import { Admission, type Slot } from './admission.js';
import { AnswerWriter } from './answers.js';
import { v2Context } from './frame-v2.js';
import type { QueryClient, QueryContext } from './framing.js';
import type { ServerStatus } from './json-types.js';
import { answerQueries, tooSlowAnswer, type QueryTimer } from './query-loop.js';
import { newServerStats, serverStatus, type ApiServerStats } from './server-stats.js';
import { listenOnSocketFile, removeSocketFile, resolveGid, setSocketFileAccess } from './socket-file.js';
import type { PofLookup, StatusInfo } from './types.js';
import { WatchEvents } from './watch-events.js';

export type { ApiServerStats, ServerStatus };

export { DEFAULT_API_SOCKET } from '../config.js';
export const DEFAULT_MAX_PENDING = 1000;
export const MAX_PENDING_CAP = 100000;
export const DEFAULT_PENDING_TIMEOUT_MS = 30_000;
export const DEFAULT_QUERY_TIMEOUT_MS = 5_000;
export const DEFAULT_IDLE_TIMEOUT_MS = 120_000;
/** How long a connection must have been idle before it gives its slot to a waiting one. */
export const DEFAULT_EVICT_IDLE_MS = 1_000;
/** At most one "too many API connections" warning per this many ms. */
export const DEFAULT_WARN_INTERVAL_MS = 10_000;
export const DEFAULT_MAX_JSON_LINE = 4096;
export const MAX_JSON_LINE_CAP = 1 << 20;
export const DEFAULT_MAX_OUTPUT = 256 * 1024;
export const DEFAULT_SOCKET_MODE = 0o666;

export interface ApiServerOptions {
  /** Unix socket path. A stale socket file is replaced; a live one is an error. */
  path: string;
  lookup: PofLookup;
  /** -S: clients served at once (1..100, default 20). */
  maxClients?: number;
  /** Connections waiting for a slot beyond maxClients (0..100000, default 1000); more are closed. */
  maxPending?: number;
  /** How long a connection may wait for a slot (ms, default 30000). */
  pendingTimeoutMs?: number;
  /** A query that has started must be complete within this (ms, default 5000). */
  queryTimeoutMs?: number;
  /** A connection with no traffic either way is closed after this (ms, default 120000; 0 = never). */
  idleTimeoutMs?: number;
  /** When all slots are taken and a connection waits, one idle this long (ms, default 1000) is closed for it. */
  evictIdleMs?: number;
  /** Least time between two "too many API connections" warnings (ms, default 10000). */
  warnIntervalMs?: number;
  /** Longest JSON query line, bytes (default 4096). */
  maxJsonLine?: number;
  /** Unread answer bytes after which a client's input is no longer read (default 256 KiB). */
  maxOutput?: number;
  /** Socket file mode (default 0o666, as p0f). */
  mode?: number;
  /** Socket file group (name or gid). */
  group?: string | number;
  /** Keep p0f 2 connections open after the answer (default false: close, as p0f 2). */
  v2KeepAlive?: boolean;
  /** Version string for status answers when the lookup gives none. */
  version?: string;
  /** Told about client-side problems (p0f's WARN lines); never about normal closes. */
  onWarning?: (message: string) => void;
  /** Told of each answered query's protocol and latency in seconds (metrics: PofMetrics.apiQuery); without it, nothing is timed. */
  onQuery?: QueryTimer;
}

interface Client extends Slot, QueryClient {
  sock: net.Socket;
  queryTimer: NodeJS.Timeout | null;
}

export class PofApiServer {
  readonly path: string;
  readonly stats: ApiServerStats = newServerStats();
  private readonly lookup: PofLookup;
  private readonly maxClients: number;
  private readonly queryTimeoutMs: number;
  private readonly idleTimeoutMs: number;
  private readonly mode: number;
  private readonly group: string | number | undefined;
  private readonly version: string;
  private readonly warn: (m: string) => void;
  private readonly onQuery: QueryTimer | undefined;
  private readonly server: net.Server;
  private readonly admission: Admission<Client>;
  /** What the framing modules answer from. */
  private readonly queries: QueryContext<Client>;
  /** Clients watching ports, and the events sent to them. */
  private readonly events: WatchEvents<Client>;
  private readonly startedMs = Date.now();
  private ino = -1;
  private closed = false;

  /** Validates options; call listen() to start. */
  constructor(opts: ApiServerOptions) {
    if (typeof opts.path !== 'string' || !opts.path) throw new PofError('E_CONFIG', 'API socket path is required');
    this.path = opts.path;
    this.lookup = opts.lookup;
    const lk = opts.lookup;
    this.maxClients = intOpt('-S (API clients)', opts.maxClients, DEFAULT_API_CLIENTS, 1, MAX_API_CLIENTS);
    const maxPending = intOpt('maxPending', opts.maxPending, DEFAULT_MAX_PENDING, 0, MAX_PENDING_CAP);
    const pendingTimeoutMs = intOpt('pendingTimeoutMs', opts.pendingTimeoutMs, DEFAULT_PENDING_TIMEOUT_MS, 1, 3_600_000);
    this.queryTimeoutMs = intOpt('queryTimeoutMs', opts.queryTimeoutMs, DEFAULT_QUERY_TIMEOUT_MS, 1, 3_600_000);
    this.idleTimeoutMs = intOpt('idleTimeoutMs', opts.idleTimeoutMs, DEFAULT_IDLE_TIMEOUT_MS, 0, 86_400_000);
    const evictIdleMs = intOpt('evictIdleMs', opts.evictIdleMs, DEFAULT_EVICT_IDLE_MS, 1, 3_600_000);
    const warnIntervalMs = intOpt('warnIntervalMs', opts.warnIntervalMs, DEFAULT_WARN_INTERVAL_MS, 0, 86_400_000);
    const maxJsonLine = intOpt('maxJsonLine', opts.maxJsonLine, DEFAULT_MAX_JSON_LINE, 64, MAX_JSON_LINE_CAP);
    const maxOutput = intOpt('maxOutput', opts.maxOutput, DEFAULT_MAX_OUTPUT, 1024, 64 << 20);
    this.mode = intOpt('mode', opts.mode, DEFAULT_SOCKET_MODE, 0, 0o7777);
    this.group = opts.group;
    this.version = opts.version ?? 'pof';
    this.warn = opts.onWarning ?? (() => undefined);
    if (opts.onQuery !== undefined && typeof opts.onQuery !== 'function') throw new PofError('E_CONFIG', 'onQuery must be a function');
    this.onQuery = opts.onQuery;
    this.admission = new Admission<Client>(
      { maxClients: this.maxClients, maxPending, pendingTimeoutMs, evictIdleMs, warnIntervalMs },
      { serve: (c) => this.serve(c), drop: (c) => this.drop(c), warn: (m) => this.warn(m) },
      this.stats,
    );
    this.events = new WatchEvents<Client>((addr) => lk.host(addr), maxOutput, this.stats);
    const status = (): ServerStatus => this.status();
    this.queries = {
      stats: this.stats,
      lookup: lk,
      hostByText: (addr) => lk.host(addr),
      hostByBytes: lk.hostAt ? (buf, off, ver) => lk.hostAt!(buf, off, ver) : undefined,
      v2: v2Context(lk, this.stats, status),
      maxJsonLine,
      maxOutput,
      v2KeepAlive: opts.v2KeepAlive ?? false,
      status,
      watch: (c, port, until) => this.events.watch(c, port, until),
      finish: (c, last) => this.finish(c, last),
    };
    this.server = net.createServer({ pauseOnConnect: true, allowHalfOpen: false }, (s) => this.onConnection(s));
    // A failed listen() is listen()'s to report, once.
    this.server.on('error', (e) => {
      if (this.server.listening) this.warn(`API socket error: ${e.message}`);
    });
  }

  /** Creates and starts a server. */
  static async listen(opts: ApiServerOptions): Promise<PofApiServer> {
    const s = new PofApiServer(opts);
    await s.listen();
    return s;
  }

  async listen(): Promise<void> {
    const gid = this.group !== undefined ? await resolveGid(this.group) : undefined;
    await listenOnSocketFile(this.server, this.path);
    try {
      this.ino = await setSocketFileAccess(this.path, this.mode, gid);
    } catch (e) {
      await this.close();
      throw e;
    }
  }

  /** Status counters, as JSON status answers give them. */
  status(): ServerStatus {
    const base: StatusInfo = this.lookup.status?.() ?? { version: this.version, packets: 0, matched: 0, hosts: 0, conns: 0, fpChecksum: 0 };
    return serverStatus(this.stats, {
      base,
      startedMs: this.startedMs,
      active: this.admission.active.size,
      pending: this.admission.waiting,
      maxClients: this.maxClients,
      watchers: this.events.watchers.size,
    });
  }

  /** Stops listening, closes every client and removes the socket file. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const c of this.admission.close()) this.drop(c);
    await new Promise<void>((resolve) => {
      if (!this.server.listening) return resolve();
      this.server.close(() => resolve());
    });
    await removeSocketFile(this.path, this.ino);
  }

  /**
   * Tells the clients watching `v.srvPort` about the connection's verdict
   * (call it after ConnVerdicts.observe); see WatchEvents.notify.
   */
  notify(v: ConnVerdict): void {
    this.events.notify(v);
  }

  private onConnection(sock: net.Socket): void {
    this.stats.accepted++;
    const c: Client = {
      sock,
      answers: new AnswerWriter(sock),
      lastMs: performance.now(),
      buf: null,
      queryTimer: null,
      pendingTimer: null,
      active: false,
      closing: false,
      blocked: false,
      watch: null,
    };
    sock.on('error', () => undefined); // reported as close
    sock.on('close', () => this.onClose(c));
    if (this.closed) return void sock.destroy();
    this.admission.admit(c);
  }

  /** The connection has a slot: read it. */
  private serve(c: Client): void {
    const s = c.sock;
    if (this.idleTimeoutMs) {
      s.setTimeout(this.idleTimeoutMs, () => {
        this.stats.idleTimeouts++;
        this.drop(c);
      });
    }
    s.on('data', (d: Buffer) => this.onData(c, d));
    s.on('drain', () => {
      if (!c.blocked || c.closing) return;
      c.blocked = false;
      this.answer(c);
      if (!c.blocked && !c.closing) s.resume();
    });
    s.resume();
  }

  private onClose(c: Client): void {
    this.events.forget(c);
    if (c.queryTimer) clearTimeout(c.queryTimer);
    c.queryTimer = null;
    c.buf = null;
    this.admission.release(c);
  }

  private drop(c: Client): void {
    c.closing = true;
    c.sock.destroy();
  }

  /** Answers what is complete, then ends the connection gracefully. */
  private finish(c: Client, last?: Buffer | string): void {
    c.closing = true;
    c.buf = null;
    if (c.queryTimer) clearTimeout(c.queryTimer);
    c.queryTimer = null;
    if (last !== undefined) c.sock.end(last);
    else c.sock.end();
    // A peer that never reads must not keep the slot.
    setTimeout(() => c.sock.destroy(), this.queryTimeoutMs).unref();
  }

  private onData(c: Client, d: Buffer): void {
    if (c.closing) return;
    c.lastMs = performance.now();
    c.buf = c.buf && c.buf.length ? Buffer.concat([c.buf, d]) : d;
    this.answer(c);
  }

  /** Answers the complete queries read so far (query-loop.ts) and times the incomplete one. */
  private answer(c: Client): void {
    // Answers to pipelined queries leave in one write.
    c.sock.cork();
    try {
      const answered = answerQueries(c, this.queries, this.onQuery);
      if (!c.closing) this.timeQuery(c, answered);
    } catch (e) {
      // A bug must cost one client, not the daemon.
      this.warn(`API client dropped after an internal error: ${(e as Error).message}`);
      this.drop(c);
    } finally {
      if (!c.sock.destroyed) c.sock.uncork();
    }
  }

  /** The clock runs from the first byte of a query that is still incomplete. */
  private timeQuery(c: Client, answered: boolean): void {
    if (c.queryTimer && (answered || !c.buf || c.blocked)) {
      clearTimeout(c.queryTimer);
      c.queryTimer = null;
    }
    if (c.buf && !c.blocked && !c.queryTimer) {
      c.queryTimer = setTimeout(() => {
        c.queryTimer = null;
        this.stats.queryTimeouts++;
        const last = tooSlowAnswer(c.buf?.[0]);
        if (last !== null) this.finish(c, last);
        else this.drop(c);
      }, this.queryTimeoutMs);
    }
  }
}
