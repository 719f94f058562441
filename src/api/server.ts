/**
 * The query server: one Unix socket speaking three protocols, told apart at
 * each query boundary by the first byte:
 *
 *   0x01 ... (p0f 3 magic 0x50304601 LE) and anything else  -> p0f 3, 21 bytes
 *   0xed     (p0f 2 magic 0x0defaced LE)                     -> p0f 2, 24 bytes
 *   '{'                                                       -> one JSON line
 *
 * Connections are persistent and answered in order (pipelining), except
 * that a p0f 2 query is answered and the connection closed, as p0f 2 did
 * (its clients read until EOF; option v2KeepAlive keeps it open).
 *
 * At most maxClients (-S) connections are served at once; later ones wait
 * in a bounded queue, unread, until a slot frees (p0f leaves them in the
 * listen backlog). While one waits, the connection idle longest (no query
 * for evictIdleMs, one second by default) gives its slot up: clients that
 * ask once and hold the connection cannot lock the others out, and clients
 * that keep asking are never the ones closed (watchers go last, being idle
 * by design). Such evictions and refusals are logged at most once per
 * warnIntervalMs. Slow or silent clients are closed after a timeout, a
 * client that does not read its answers is paused (never buffered without
 * bound), and garbage gets "bad query" answers: no client can stall the
 * others or the process.
 */
import { chmod, chown, stat, unlink } from 'node:fs/promises';
import net from 'node:net';
import { DEFAULT_API_CLIENTS, MAX_API_CLIENTS } from '../config.js';
import { PofError } from '../errors.js';
import { intOption as intOpt } from '../options.js';
import type { ConnVerdict } from '../state/conn-verdicts.js';
import { clearSocketPath, resolveGid } from './socket-file.js';
import { answerJsonLine, jsonError } from './json.js';
import type { ServerStatus } from './json-types.js';
import type { HostView, PofLookup, StatusInfo } from './types.js';
import { answerV2, V2_QUERY_SIZE, V2Off, V2Resp } from './v2.js';
import { answerV3At, V3_QUERY_SIZE, V3_RESP_SIZE, V3Status } from './v3.js';
import { WatchEvents, type Watcher } from './watch-events.js';

export type { ServerStatus };

/** Where `pof query` looks when -s is not given (the daemon's default too). */
export const DEFAULT_API_SOCKET = '/run/pof.sock';
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
/** Most p0f 3 answers encoded into one buffer before it is written. */
const V3_BATCH_MAX = 256;
export const DEFAULT_SOCKET_MODE = 0o666;

const V2_FIRST = 0xed; // low byte of 0x0defaced
const JSON_FIRST = 0x7b; // '{'

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
}

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

interface Client extends Watcher {
  sock: net.Socket;
  /** performance.now() of its last query bytes (or of the last events sent to it, or of its start). */
  lastMs: number;
  buf: Buffer | null;
  queryTimer: NodeJS.Timeout | null;
  pendingTimer: NodeJS.Timeout | null;
  active: boolean;
  closing: boolean;
  blocked: boolean;
}

export class PofApiServer {
  readonly path: string;
  readonly stats: ApiServerStats = {
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
  private readonly lookup: PofLookup;
  private readonly hostByText: (addr: string) => HostView | undefined;
  private readonly hostByBytes: ((buf: Uint8Array, off: number, ver: 4 | 6) => HostView | undefined) | undefined;
  private readonly maxClients: number;
  private readonly maxPending: number;
  private readonly pendingTimeoutMs: number;
  private readonly queryTimeoutMs: number;
  private readonly idleTimeoutMs: number;
  private readonly evictIdleMs: number;
  private readonly warnIntervalMs: number;
  private readonly maxJsonLine: number;
  private readonly maxOutput: number;
  private readonly mode: number;
  private readonly group: string | number | undefined;
  private readonly v2KeepAlive: boolean;
  private readonly version: string;
  private readonly warn: (m: string) => void;
  private readonly server: net.Server;
  private readonly active = new Set<Client>();
  private readonly queue: Client[] = [];
  /** Clients watching ports, and the events sent to them. */
  private readonly events: WatchEvents<Client>;
  private readonly startedMs = Date.now();
  private ino = -1;
  private closed = false;
  /** Runs evictIdle() when a busy connection may have become idle enough for a waiting one. */
  private evictTimer: NodeJS.Timeout | null = null;
  /** The last "too many connections" warning (performance.now()), and those held back since. */
  private lastWarnMs = -Infinity;
  private warnsHeld = 0;

  /** Validates options; call listen() to start. */
  constructor(opts: ApiServerOptions) {
    if (typeof opts.path !== 'string' || !opts.path) throw new PofError('E_CONFIG', 'API socket path is required');
    this.path = opts.path;
    this.lookup = opts.lookup;
    const lk = opts.lookup;
    this.hostByText = (addr) => lk.host(addr);
    this.hostByBytes = lk.hostAt ? (buf, off, ver) => lk.hostAt!(buf, off, ver) : undefined;
    this.maxClients = intOpt('-S (API clients)', opts.maxClients, DEFAULT_API_CLIENTS, 1, MAX_API_CLIENTS);
    this.maxPending = intOpt('maxPending', opts.maxPending, DEFAULT_MAX_PENDING, 0, MAX_PENDING_CAP);
    this.pendingTimeoutMs = intOpt('pendingTimeoutMs', opts.pendingTimeoutMs, DEFAULT_PENDING_TIMEOUT_MS, 1, 3_600_000);
    this.queryTimeoutMs = intOpt('queryTimeoutMs', opts.queryTimeoutMs, DEFAULT_QUERY_TIMEOUT_MS, 1, 3_600_000);
    this.idleTimeoutMs = intOpt('idleTimeoutMs', opts.idleTimeoutMs, DEFAULT_IDLE_TIMEOUT_MS, 0, 86_400_000);
    this.evictIdleMs = intOpt('evictIdleMs', opts.evictIdleMs, DEFAULT_EVICT_IDLE_MS, 1, 3_600_000);
    this.warnIntervalMs = intOpt('warnIntervalMs', opts.warnIntervalMs, DEFAULT_WARN_INTERVAL_MS, 0, 86_400_000);
    this.maxJsonLine = intOpt('maxJsonLine', opts.maxJsonLine, DEFAULT_MAX_JSON_LINE, 64, MAX_JSON_LINE_CAP);
    this.maxOutput = intOpt('maxOutput', opts.maxOutput, DEFAULT_MAX_OUTPUT, 1024, 64 << 20);
    this.mode = intOpt('mode', opts.mode, DEFAULT_SOCKET_MODE, 0, 0o7777);
    this.group = opts.group;
    this.v2KeepAlive = opts.v2KeepAlive ?? false;
    this.version = opts.version ?? 'pof';
    this.warn = opts.onWarning ?? (() => undefined);
    this.events = new WatchEvents<Client>((addr) => lk.host(addr), this.maxOutput, this.stats);
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
    await clearSocketPath(this.path);
    await new Promise<void>((resolve, reject) => {
      const onErr = (e: NodeJS.ErrnoException): void => {
        // "listen EACCES: permission denied /x.sock" -> "permission denied (EACCES)"
        const why = e.code ? `${e.message.replace(/^\w+ [A-Z0-9_]+: /, '').replace(` ${this.path}`, '')} (${e.code})` : e.message;
        reject(new PofError('E_API', `cannot listen on API socket ${this.path}: ${why}`, { cause: e }));
      };
      this.server.once('error', onErr);
      this.server.listen({ path: this.path, backlog: 511 }, () => {
        this.server.off('error', onErr);
        resolve();
      });
    });
    try {
      await chmod(this.path, this.mode);
      if (gid !== undefined) await chown(this.path, -1, gid);
      this.ino = (await stat(this.path)).ino;
    } catch (e) {
      await this.close();
      throw new PofError('E_API', `cannot set up API socket ${this.path}: ${(e as Error).message}`, { cause: e });
    }
  }

  /** Status counters, as JSON status answers give them. */
  status(): ServerStatus {
    const b: StatusInfo = this.lookup.status?.() ?? { version: this.version, packets: 0, matched: 0, hosts: 0, conns: 0, fpChecksum: 0 };
    return {
      version: b.version,
      packets: b.packets,
      matched: b.matched,
      hosts: b.hosts,
      conns: b.conns,
      fp_checksum: b.fpChecksum,
      uptime_s: Math.floor((Date.now() - this.startedMs) / 1000),
      clients: { active: this.active.size, pending: this.queue.length, max: this.maxClients },
      queries: { ...this.stats.queries },
      bad_queries: this.stats.badQueries,
      watch: { clients: this.events.watchers.size, events: this.stats.events, dropped: this.stats.eventsDropped },
    };
  }

  /** Stops listening, closes every client and removes the socket file. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.evictTimer) clearTimeout(this.evictTimer);
    this.evictTimer = null;
    for (const c of this.queue.splice(0)) this.drop(c);
    for (const c of [...this.active]) this.drop(c);
    await new Promise<void>((resolve) => {
      if (!this.server.listening) return resolve();
      this.server.close(() => resolve());
    });
    if (this.ino !== -1) {
      const st = await stat(this.path).catch(() => null);
      if (st && st.ino === this.ino) await unlink(this.path).catch(() => undefined);
    }
  }

  private onConnection(sock: net.Socket): void {
    this.stats.accepted++;
    const c: Client = { sock, lastMs: performance.now(), buf: null, queryTimer: null, pendingTimer: null, active: false, closing: false, blocked: false, watch: null };
    sock.on('error', () => undefined); // reported as close
    sock.on('close', () => this.onClose(c));
    if (this.closed) return void sock.destroy();
    if (this.active.size < this.maxClients) return this.activate(c);
    if (this.queue.length >= this.maxPending) {
      this.stats.refused++;
      this.warnBusy(`too many API connections: all ${this.maxClients} slots busy and ${this.maxPending} waiting; a new one was refused (-S sets the slots)`);
      sock.destroy();
      return;
    }
    this.queue.push(c);
    this.stats.pending = this.queue.length;
    c.pendingTimer = setTimeout(() => {
      this.stats.timedOut++;
      this.drop(c);
    }, this.pendingTimeoutMs);
    this.evictIdle();
  }

  /**
   * Frees a slot for each waiting connection by closing the connections
   * idle longest (at least evictIdleMs, no query half-read; plain clients
   * before watchers). When none is idle enough, looks again once the first
   * could be. Runs on arrivals only: a scan of at most -S clients.
   */
  private evictIdle(): void {
    if (this.evictTimer) clearTimeout(this.evictTimer);
    this.evictTimer = null;
    if (this.closed || !this.queue.length) return;
    let freeing = 0;
    for (const c of this.active) if (c.closing) freeing++;
    let wanted = this.queue.length - freeing;
    const now = performance.now();
    const minIdle = this.evictIdleMs;
    let soonest = Infinity;
    while (wanted > 0) {
      let pick: Client | null = null;
      for (const c of this.active) {
        if (c.closing || c.buf) continue;
        const idle = now - c.lastMs;
        if (idle < minIdle) {
          soonest = Math.min(soonest, minIdle - idle);
          continue;
        }
        // A plain client goes before a watcher; then the one idle longest.
        if (!pick || (!!pick.watch !== !!c.watch ? !c.watch : c.lastMs < pick.lastMs)) pick = c;
      }
      if (!pick) break;
      this.stats.evicted++;
      this.warnBusy(
        `too many API connections: all ${this.maxClients} slots taken; closed one idle for ${((now - pick.lastMs) / 1000).toFixed(1)} s ` +
          'to serve a waiting one (-S sets the slots)',
      );
      this.drop(pick);
      wanted--;
    }
    if (wanted > 0 && soonest < Infinity) {
      this.evictTimer = setTimeout(() => this.evictIdle(), Math.ceil(soonest) + 1);
      this.evictTimer.unref();
    }
  }

  /** A warning about too many connections, at most once per warnIntervalMs (with a count of those held back). */
  private warnBusy(message: string): void {
    const now = performance.now();
    if (now - this.lastWarnMs < this.warnIntervalMs) {
      this.warnsHeld++;
      return;
    }
    const held = this.warnsHeld;
    this.lastWarnMs = now;
    this.warnsHeld = 0;
    this.warn(held ? `${message} (${held} more since the last warning)` : message);
  }

  private activate(c: Client): void {
    if (c.pendingTimer) clearTimeout(c.pendingTimer);
    c.pendingTimer = null;
    c.active = true;
    c.lastMs = performance.now();
    this.active.add(c);
    this.stats.active = this.active.size;
    const s = c.sock;
    if (this.idleTimeoutMs) {
      s.setTimeout(this.idleTimeoutMs, () => {
        this.stats.timedOut++;
        this.drop(c);
      });
    }
    s.on('data', (d: Buffer) => this.onData(c, d));
    s.on('drain', () => {
      if (!c.blocked || c.closing) return;
      c.blocked = false;
      this.process(c);
      if (!c.blocked && !c.closing) s.resume();
    });
    s.resume();
  }

  /**
   * Tells the clients watching `v.srvPort` about the connection's verdict
   * (call it after ConnVerdicts.observe); see WatchEvents.notify.
   */
  notify(v: ConnVerdict): void {
    this.events.notify(v);
  }

  private onClose(c: Client): void {
    this.events.forget(c);
    if (c.queryTimer) clearTimeout(c.queryTimer);
    if (c.pendingTimer) clearTimeout(c.pendingTimer);
    c.queryTimer = c.pendingTimer = null;
    c.buf = null;
    if (c.active) {
      c.active = false;
      this.active.delete(c);
      this.stats.active = this.active.size;
      while (!this.closed && this.active.size < this.maxClients && this.queue.length) {
        const next = this.queue.shift()!;
        if (!next.sock.destroyed) this.activate(next);
      }
    } else {
      const i = this.queue.indexOf(c);
      if (i !== -1) this.queue.splice(i, 1);
    }
    this.stats.pending = this.queue.length;
    if (!this.queue.length && this.evictTimer) {
      clearTimeout(this.evictTimer);
      this.evictTimer = null;
    }
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
    this.process(c);
  }

  private process(c: Client): void {
    // Answers to pipelined queries leave in one write.
    c.sock.cork();
    try {
      this.processUnsafe(c);
    } catch (e) {
      // A bug must cost one client, not the daemon.
      this.warn(`API client dropped after an internal error: ${(e as Error).message}`);
      this.drop(c);
    } finally {
      if (!c.sock.destroyed) c.sock.uncork();
    }
  }

  private processUnsafe(c: Client): void {
    const s = c.sock;
    let buf = c.buf;
    let off = 0;
    let answered = false;
    // p0f 3 answers are encoded into one buffer per batch: one stream write
    // and one allocation rather than one each (the cork in process() already
    // makes the whole read's answers one system call). Any other answer
    // flushes the batch first, so answers keep their order.
    let batch: Buffer | null = null;
    let inBatch = 0;
    const flushBatch = (): void => {
      if (batch && inBatch) s.write(inBatch * V3_RESP_SIZE === batch.length ? batch : batch.subarray(0, inBatch * V3_RESP_SIZE));
      batch = null;
      inBatch = 0;
    };
    while (buf && off < buf.length && !c.closing) {
      if (s.writableLength + inBatch * V3_RESP_SIZE > this.maxOutput) {
        flushBatch();
        // The client is not reading its answers: stop reading its queries.
        c.blocked = true;
        s.pause();
        break;
      }
      const b0 = buf[off]!;
      if (b0 === 0x0a || b0 === 0x0d || b0 === 0x20 || b0 === 0x09) {
        off++; // blank space between JSON lines
        continue;
      }
      const left = buf.length - off;
      if (b0 === JSON_FIRST) {
        const scan = Math.min(buf.length, off + this.maxJsonLine + 1);
        const nl = buf.indexOf(0x0a, off);
        if (nl === -1 || nl >= scan) {
          if (left > this.maxJsonLine) {
            this.stats.badQueries++;
            this.stats.timedOut++;
            flushBatch();
            this.finish(c, jsonError(`query longer than ${this.maxJsonLine} bytes`));
            return;
          }
          break;
        }
        const line = buf.toString('utf8', off, nl);
        off = nl + 1;
        this.stats.queries.json++;
        const out = answerJsonLine(line, this.lookup, () => this.status());
        let text = out.text;
        if (out.watch !== undefined) text = this.events.watch(c, out.watch, out.until) ?? text;
        if (out.status === 'bad query' || text !== out.text) this.stats.badQueries++;
        flushBatch();
        s.write(text);
        answered = true;
        continue;
      }
      if (b0 === V2_FIRST) {
        if (left < V2_QUERY_SIZE) break;
        this.stats.queries.v2++;
        const out = answerV2(buf, off, {
          connection: (a, ap, b, bp) => this.lookup.connection(a, ap, b, bp),
          status: () => {
            const st = this.status();
            return {
              version: st.version,
              mode: 'S',
              fpCksum: st.fp_checksum,
              cache: st.conns,
              packets: st.packets,
              matched: st.matched,
              queries: this.stats.queries.v2,
              cmisses: this.stats.v2Misses,
              uptime: st.uptime_s,
            };
          },
          counted: (found) => {
            if (!found) this.stats.v2Misses++;
          },
        });
        if (out[V2Off.type] === V2Resp.BAD_QUERY) this.stats.badQueries++;
        off += V2_QUERY_SIZE;
        flushBatch();
        if (!this.v2KeepAlive) {
          this.finish(c, out);
          return;
        }
        s.write(out);
        answered = true;
        continue;
      }
      if (left < V3_QUERY_SIZE) break;
      this.stats.queries.v3++;
      batch ??= Buffer.alloc(Math.min(V3_BATCH_MAX, Math.floor(left / V3_QUERY_SIZE)) * V3_RESP_SIZE);
      const status = answerV3At(buf, off, batch, inBatch * V3_RESP_SIZE, this.hostByText, this.hostByBytes);
      if (status === V3Status.BAD_QUERY) this.stats.badQueries++;
      off += V3_QUERY_SIZE;
      if (++inBatch * V3_RESP_SIZE === batch.length) flushBatch();
      answered = true;
    }
    flushBatch();
    if (c.closing) return;
    c.buf = buf && off < buf.length ? buf.subarray(off) : null;
    // The clock runs from the first byte of a query that is still incomplete.
    if (c.queryTimer && (answered || !c.buf || c.blocked)) {
      clearTimeout(c.queryTimer);
      c.queryTimer = null;
    }
    if (c.buf && !c.blocked) {
      if (!c.queryTimer) {
        c.queryTimer = setTimeout(() => {
          c.queryTimer = null;
          this.stats.timedOut++;
          const head = c.buf?.[0];
          if (head === JSON_FIRST) this.finish(c, jsonError('query not completed in time'));
          else this.drop(c);
        }, this.queryTimeoutMs);
      }
    }
  }
}
