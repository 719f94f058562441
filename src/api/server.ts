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
 * listen backlog). Slow or silent clients are closed after a timeout, a
 * client that does not read its answers is paused (never buffered without
 * bound), and garbage gets "bad query" answers: no client can stall the
 * others or the process.
 */
import { chmod, chown, lstat, readFile, stat, unlink } from 'node:fs/promises';
import net from 'node:net';
import { DEFAULT_API_CLIENTS, MAX_API_CLIENTS } from '../config.js';
import { PofError } from '../errors.js';
import { intOption as intOpt } from '../options.js';
import type { ConnVerdict } from './conn-verdicts.js';
import { answerJsonLine, connEventLine, jsonError, MAX_WATCHED_PORTS, type WatchUntil } from './json.js';
import type { HostView, PofLookup, StatusInfo } from './types.js';
import { answerV2, V2_QUERY_SIZE } from './v2.js';
import { answerV3At, V3_QUERY_SIZE, V3_RESP_SIZE, V3Status } from './v3.js';

/** Where `pof query` looks when -s is not given (the daemon's default too). */
export const DEFAULT_API_SOCKET = '/run/pof.sock';
export const DEFAULT_MAX_PENDING = 1000;
export const MAX_PENDING_CAP = 100000;
export const DEFAULT_PENDING_TIMEOUT_MS = 30_000;
export const DEFAULT_QUERY_TIMEOUT_MS = 5_000;
export const DEFAULT_IDLE_TIMEOUT_MS = 120_000;
export const DEFAULT_MAX_JSON_LINE = 4096;
export const MAX_JSON_LINE_CAP = 1 << 20;
export const DEFAULT_MAX_OUTPUT = 256 * 1024;
/** Most p0f 3 answers encoded into one buffer before it is written. */
const V3_BATCH_MAX = 256;
export const DEFAULT_SOCKET_MODE = 0o666;

/** What events have told of a connection (bits): its client's SYN verdict, its HTTP request's. */
const KNOWS_SYN = 1;
const KNOWS_HTTP = 2;
/** What a watching client waits for, by its watch's "until"; EVERY_CHANGE without one. */
const WANTS: Readonly<Record<WatchUntil, number>> = { syn: KNOWS_SYN, http: KNOWS_SYN | KNOWS_HTTP };
const EVERY_CHANGE = -1;

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
  queries: { v3: number; v2: number; json: number };
  badQueries: number;
  /** p0f 2 fingerprint queries that found nothing. */
  v2Misses: number;
  /** Connection events sent to watching clients, and left out for clients that did not read. */
  events: number;
  eventsDropped: number;
}

/** The answer to {"op":"status"}. */
export interface ServerStatus {
  version: string;
  packets: number;
  matched: number;
  hosts: number;
  conns: number;
  fp_checksum: number;
  uptime_s: number;
  clients: { active: number; pending: number; max: number };
  queries: { v3: number; v2: number; json: number };
  bad_queries: number;
  /** Clients watching ports now, events sent to them, events they missed (not reading). */
  watch: { clients: number; events: number; dropped: number };
}

interface Client {
  sock: net.Socket;
  buf: Buffer | null;
  queryTimer: NodeJS.Timeout | null;
  pendingTimer: NodeJS.Timeout | null;
  active: boolean;
  closing: boolean;
  blocked: boolean;
  /** Server ports this client watches ({"op":"watch"}), each with what it waits for (WANTS), or null. */
  watch: Map<number, number> | null;
}

async function resolveGid(group: string | number): Promise<number> {
  if (typeof group === 'number') return intOpt('group', group, 0, 0, 0x7fffffff);
  if (/^\d+$/.test(group)) return Number(group);
  const text = await readFile('/etc/group', 'utf8').catch(() => '');
  for (const line of text.split('\n')) {
    const f = line.split(':');
    if (f[0] === group && f[2] !== undefined && /^\d+$/.test(f[2])) return Number(f[2]);
  }
  throw new PofError('E_CONFIG', `unknown group: ${group}`);
}

/** Removes a stale socket file; refuses a live socket or a file that is not a socket. */
async function clearSocketPath(path: string): Promise<void> {
  let st;
  try {
    st = await lstat(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw new PofError('E_API', `cannot check API socket ${path}: ${(e as Error).message}`, { cause: e });
  }
  if (!st.isSocket()) throw new PofError('E_API', `${path} exists and is not a socket; not replacing it`);
  const live = await new Promise<boolean>((resolve) => {
    const c = net.connect(path);
    c.once('connect', () => {
      c.destroy();
      resolve(true);
    });
    c.once('error', () => resolve(false));
  });
  if (live) throw new PofError('E_API', `API socket ${path} is in use by another process`);
  await unlink(path).catch(() => undefined);
}

export class PofApiServer {
  readonly path: string;
  readonly stats: ApiServerStats = {
    accepted: 0,
    active: 0,
    pending: 0,
    refused: 0,
    timedOut: 0,
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
  /** Clients that watch at least one port. */
  private readonly watchers = new Set<Client>();
  /** Connections whose verdicts changed since events were last sent. */
  private readonly touched = new Set<ConnVerdict>();
  /**
   * What events have told of each connection so far (KNOWS_* bits), kept on
   * the verdict under this server's own key: a WeakMap would cost every
   * minor GC ephemeron work for each connection.
   */
  private readonly kTold = Symbol('events told');
  private eventsQueued = false;
  private readonly startedMs = Date.now();
  private ino = -1;
  private closed = false;

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
    this.maxJsonLine = intOpt('maxJsonLine', opts.maxJsonLine, DEFAULT_MAX_JSON_LINE, 64, MAX_JSON_LINE_CAP);
    this.maxOutput = intOpt('maxOutput', opts.maxOutput, DEFAULT_MAX_OUTPUT, 1024, 64 << 20);
    this.mode = intOpt('mode', opts.mode, DEFAULT_SOCKET_MODE, 0, 0o7777);
    this.group = opts.group;
    this.v2KeepAlive = opts.v2KeepAlive ?? false;
    this.version = opts.version ?? 'pof';
    this.warn = opts.onWarning ?? (() => undefined);
    this.server = net.createServer({ pauseOnConnect: true, allowHalfOpen: false }, (s) => this.onConnection(s));
    this.server.on('error', (e) => this.warn(`API socket error: ${e.message}`));
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
      const onErr = (e: Error): void => reject(new PofError('E_API', `cannot listen on API socket ${this.path}: ${e.message}`, { cause: e }));
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
      watch: { clients: this.watchers.size, events: this.stats.events, dropped: this.stats.eventsDropped },
    };
  }

  /** Stops listening, closes every client and removes the socket file. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
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
    const c: Client = { sock, buf: null, queryTimer: null, pendingTimer: null, active: false, closing: false, blocked: false, watch: null };
    sock.on('error', () => undefined); // reported as close
    sock.on('close', () => this.onClose(c));
    if (this.closed) return void sock.destroy();
    if (this.active.size < this.maxClients) return this.activate(c);
    if (this.queue.length >= this.maxPending) {
      this.stats.refused++;
      this.warn('Too many API connections (use -S to adjust).');
      sock.destroy();
      return;
    }
    this.queue.push(c);
    this.stats.pending = this.queue.length;
    c.pendingTimer = setTimeout(() => {
      this.stats.timedOut++;
      this.drop(c);
    }, this.pendingTimeoutMs);
  }

  private activate(c: Client): void {
    if (c.pendingTimer) clearTimeout(c.pendingTimer);
    c.pendingTimer = null;
    c.active = true;
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
   * (call it after ConnVerdicts.observe). Events are sent once per turn of
   * the event loop, one line per connection changed in it (that the client
   * still wants: see its watch's "until"), in one write per client; a client
   * that is not reading its socket misses them (counted).
   */
  notify(v: ConnVerdict): void {
    if (!this.watchers.size || !this.isWatched(v.srvPort)) return;
    this.touched.add(v);
    if (!this.eventsQueued) {
      this.eventsQueued = true;
      setImmediate(this.sendEvents);
    }
  }

  private isWatched(port: number): boolean {
    for (const c of this.watchers) if (c.watch!.has(port)) return true;
    return false;
  }

  private readonly sendEvents = (): void => {
    this.eventsQueued = false;
    const touched = [...this.touched];
    this.touched.clear();
    // What each connection's events have said so far: a client that waits
    // only for the client's SYN (or HTTP request) hears of each connection
    // until that is known, not of every later change (the server's SYN+ACK,
    // its HTTP response, ...): a web server parses each event it gets.
    const fresh: number[] = [];
    for (const v of touched as Array<ConnVerdict & Record<symbol, number | undefined>>) {
      const known = (v.client.tcp ? KNOWS_SYN : 0) | (v.client.http ? KNOWS_HTTP : 0);
      const before = v[this.kTold] ?? 0;
      fresh.push(known & ~before);
      if (known & ~before) v[this.kTold] = before | known;
    }
    // Each connection's line, whole (for watches without "until") and with
    // the client's side only (for the others), made once for all clients.
    const lines = new Map<ConnVerdict, string>();
    const clientLines = new Map<ConnVerdict, string>();
    for (const c of this.watchers) {
      if (c.closing || !c.active) continue;
      let out = '';
      let n = 0;
      for (let i = 0; i < touched.length; i++) {
        const v = touched[i]!;
        const wants = c.watch!.get(v.srvPort);
        if (wants === undefined || (wants !== EVERY_CHANGE && !(fresh[i]! & wants))) continue;
        const clientOnly = wants !== EVERY_CHANGE;
        const made = clientOnly ? clientLines : lines;
        let line = made.get(v);
        if (line === undefined) {
          line = connEventLine(this.lookup.host(v.cli), v, clientOnly);
          made.set(v, line);
        }
        out += line;
        n++;
      }
      if (!n) continue;
      if (c.sock.writableLength > this.maxOutput) {
        this.stats.eventsDropped += n;
        continue;
      }
      c.sock.write(out);
      this.stats.events += n;
    }
  };

  private onClose(c: Client): void {
    this.watchers.delete(c);
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
        if (out.watch !== undefined) {
          c.watch ??= new Map();
          if (c.watch.size >= MAX_WATCHED_PORTS && !c.watch.has(out.watch)) text = jsonError(`at most ${MAX_WATCHED_PORTS} watched ports per client`);
          else {
            c.watch.set(out.watch, out.until ? WANTS[out.until] : EVERY_CHANGE);
            this.watchers.add(c);
          }
        }
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
        if (out[8] === 1) this.stats.badQueries++;
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
