/**
 * PofClient: queries a pof (or p0f 3, for address lookups) API socket over
 * one persistent connection. Queries are pipelined and answered in order;
 * address lookups use the p0f 3 binary protocol, richer and per-connection
 * lookups use JSON lines (pof only). Each query has a timeout; a lost
 * connection is re-opened with back-off and the unanswered queries are sent
 * again (they are read-only); the queue is bounded.
 */
import net from 'node:net';
import { PofError } from '../errors.js';
import { intOption as intOpt } from '../options.js';
import { parseAddress } from '../net/addr.js';
import { unpackConn, unpackHost } from './compact.js';
import { isWatchUntil, type JsonAnswerObject, type JsonConn, type JsonHost, type ServerStatus, type WatchUntil } from './json-types.js';
import { decodeV3Response, encodeV3Query, V3_RESP_SIZE, type V3HostInfo } from './v3.js';

export const DEFAULT_CLIENT_TIMEOUT_MS = 1000;
export const DEFAULT_CLIENT_MAX_QUEUE = 1000;
export const DEFAULT_CLIENT_MAX_IN_FLIGHT = 64;
export const DEFAULT_RECONNECT_MIN_MS = 50;
export const DEFAULT_RECONNECT_MAX_MS = 5000;
/** '{"e': how event lines start ({"event":...}); answers start '{"s' or '{"i', p0f 3's with its magic. */
const EVENT_HEAD = [0x7b, 0x22, 0x65];

/** What starts at buf[off]: an event line, an answer, or too few bytes to tell. */
function unitAt(buf: Buffer, off: number): 'event' | 'answer' | 'partial' {
  for (let i = 0; i < EVENT_HEAD.length; i++) {
    if (off + i >= buf.length) return 'partial';
    if (buf[off + i] !== EVENT_HEAD[i]) return 'answer';
  }
  return 'event';
}

/** Bytes read from the server at once. */
const READ_BUFFER = 64 * 1024;
/** Longest JSON answer line accepted from the server. */
export const MAX_ANSWER_LINE = 1 << 20;

export interface PofClientOptions {
  /** Unix socket path of the pof (or p0f) daemon. */
  path: string;
  /**
   * Default per-query timeout, ms (default 1000). Also how long the
   * connection may leave questions it sent unanswered before it is taken
   * for stuck and replaced: a question with a shorter timeout of its own
   * fails at that timeout, and its late answer is dropped.
   */
  timeoutMs?: number;
  /** Queries queued or awaiting an answer (default 1000); more are refused at once. */
  maxQueue?: number;
  /** Queries sent before their answers arrive (default 64). */
  maxInFlight?: number;
  /** Reconnect back-off bounds, ms (default 50 .. 5000, doubling). */
  reconnectMinMs?: number;
  reconnectMaxMs?: number;
  /**
   * While no server can be reached, keep queries waiting (up to their
   * timeouts) for one to come up (default true); false fails them as soon
   * as a connect attempt fails (a one-shot query from the command line).
   */
  waitForServer?: boolean;
}

/** What a watching client is told about a connection to a watched port (see watch()). */
export interface ConnEvent {
  host: JsonHost | null;
  conn: JsonConn;
}

export interface QueryOptions {
  timeoutMs?: number;
}

export interface ConnQuery {
  cli: string;
  cliPort: number;
  srv: string;
  srvPort: number;
}

export type { JsonConn, JsonHost, ServerStatus, V3HostInfo };

type Kind = 'v3' | 'json';

interface Req {
  kind: Kind;
  payload: Buffer | string;
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout | null;
  done: boolean;
}

export class PofClient {
  readonly path: string;
  private readonly timeoutMs: number;
  private readonly maxQueue: number;
  private readonly maxInFlight: number;
  private readonly reconnectMinMs: number;
  private readonly reconnectMaxMs: number;
  private readonly waitForServer: boolean;
  private sock: net.Socket | null = null;
  private connected = false;
  private queue: Req[] = [];
  private inflight: Req[] = [];
  /** Bytes of an answer not yet complete (a copy), or null. */
  private rbuf: Buffer | null = null;
  private readonly readBuf = Buffer.allocUnsafe(READ_BUFFER);
  private attempt = 0;
  private reconnectTimer: NodeJS.Timeout | null = null;
  private lastError: string | null = null;
  private closed = false;
  private flushQueued = false;
  /** The server answered "unknown field" to a compact query: ask in the keyed form. */
  private compactRefused = false;
  /** Server ports watched, with the query that watches each (sent again after a reconnect). */
  private readonly watched = new Map<number, string>();
  /** Told about each connection event of a watched port; events are dropped while null. */
  onConnEvent: ((e: ConnEvent) => void) | null = null;
  /** Event lines that could not be read. */
  badEvents = 0;
  /**
   * The first `unanswered` of `inflight` are written to the current socket;
   * the rest wait to be written: those asked in this turn of the event loop
   * (written together at its end), or, while a batch is out, all asked since.
   */
  private unanswered = 0;
  /** When the batch now out was written, and when the last answer came (performance.now()). */
  private batchAt = 0;
  private answerAt = 0;
  /** Checks again whether the connection is stuck (see expire()). */
  private stuckTimer: NodeJS.Timeout | null = null;

  constructor(opts: PofClientOptions) {
    if (typeof opts.path !== 'string' || !opts.path) throw new PofError('E_CONFIG', 'API socket path is required');
    this.path = opts.path;
    this.timeoutMs = intOpt('timeoutMs', opts.timeoutMs, DEFAULT_CLIENT_TIMEOUT_MS, 1, 3_600_000);
    this.maxQueue = intOpt('maxQueue', opts.maxQueue, DEFAULT_CLIENT_MAX_QUEUE, 1, 1_000_000);
    this.maxInFlight = intOpt('maxInFlight', opts.maxInFlight, DEFAULT_CLIENT_MAX_IN_FLIGHT, 1, 100_000);
    this.reconnectMinMs = intOpt('reconnectMinMs', opts.reconnectMinMs, DEFAULT_RECONNECT_MIN_MS, 1, 3_600_000);
    this.reconnectMaxMs = intOpt('reconnectMaxMs', opts.reconnectMaxMs, DEFAULT_RECONNECT_MAX_MS, this.reconnectMinMs, 3_600_000);
    if (opts.waitForServer !== undefined && typeof opts.waitForServer !== 'boolean') throw new PofError('E_CONFIG', 'waitForServer must be true or false');
    this.waitForServer = opts.waitForServer ?? true;
  }

  /**
   * While the client has no connection: the error code of its last attempt
   * (ENOENT, ECONNREFUSED, ...), else null.
   */
  get connectError(): string | null {
    return this.connected ? null : this.lastError;
  }

  /** Queries waiting to be sent or answered. */
  get pending(): number {
    return this.queue.length + this.inflight.length;
  }

  /**
   * What p0f 3 knows about an address (p0f 3 binary protocol): the fields
   * of its response, or null when the host is unknown.
   */
  async queryHost(addr: string, opts: QueryOptions = {}): Promise<V3HostInfo | null> {
    const p = parseAddress(addr);
    if (!p) throw new PofError('E_API', `not an IP address: ${addr}`);
    const r = (await this.enqueue('v3', encodeV3Query(p.bytes), opts)) as Buffer;
    const d = decodeV3Response(r);
    if (!d.ok) throw new PofError('E_API', `bad answer from ${this.path} (${d.reason})`);
    if (d.status === 'bad query') throw new PofError('E_API_REFUSED', `${this.path} did not understand the query`);
    return d.status === 'ok' ? d.host : null;
  }

  /** Everything pof knows about an address (JSON), or null. */
  async queryHostJson(addr: string, opts: QueryOptions = {}): Promise<JsonHost | null> {
    const a = await this.queryRecords({ addr }, opts);
    return a ? a.host : null;
  }

  /** What pof saw on one connection, and about its client host; null when neither is known. */
  queryConnection(q: ConnQuery, opts: QueryOptions = {}): Promise<{ host: JsonHost | null; conn: JsonConn | null } | null> {
    return this.queryRecords({ cli: q.cli, cli_port: q.cliPort, srv: q.srv, srv_port: q.srvPort }, opts);
  }

  /**
   * A host or connection query, asked for in the compact form (compact.ts;
   * cheaper to parse) unless the server refused it once (a pof from before
   * it), and answered in the keyed form; null for "no match".
   */
  private queryRecords(query: Record<string, unknown>, opts: QueryOptions): Promise<{ host: JsonHost | null; conn: JsonConn | null } | null> {
    const compact = !this.compactRefused;
    const line = JSON.stringify(compact ? { ...query, compact: true } : query) + '\n';
    return this.enqueue('json', line, opts).then((v) => {
      const a = v as { status: string; error?: unknown; host?: unknown; conn?: unknown };
      if (a.status === 'bad query') {
        if (compact && typeof a.error === 'string' && a.error.startsWith('unknown field "compact"')) {
          this.compactRefused = true;
          return this.queryRecords(query, opts);
        }
        throw new PofError('E_API_REFUSED', `bad query: ${String(a.error)}`);
      }
      if (a.status !== 'ok') return null;
      if (!compact) return { host: (a.host ?? null) as JsonHost | null, conn: (a.conn ?? null) as JsonConn | null };
      const host = unpackHost(a.host ?? null);
      const conn = unpackConn(a.conn ?? null);
      if (host === undefined || conn === undefined) throw new PofError('E_API', `${this.path}: malformed compact answer`);
      return { host, conn };
    });
  }

  /**
   * Asks the server to tell this client (onConnEvent) about every connection
   * to `srvPort` whose verdict it learns or updates from now on, so that a
   * web server need not ask about each new connection. With `until`, only
   * until the client's SYN ('syn') or HTTP request ('http') verdict is
   * known: fewer events, for a client that wants no more. Resolves once the
   * server agreed; rejects for a server that cannot (p0f, an older pof).
   * The watch is renewed after a reconnect.
   */
  async watch(srvPort: number, opts: QueryOptions & { until?: WatchUntil } = {}): Promise<void> {
    const port = intOpt('srvPort', srvPort, 0, 0, 65535);
    if (opts.until !== undefined && !isWatchUntil(opts.until)) throw new PofError('E_CONFIG', `until must be 'syn' or 'http' (got ${String(opts.until)})`);
    const query = opts.until ? { op: 'watch', srv_port: port, until: opts.until } : { op: 'watch', srv_port: port };
    const a = await this.queryJson(query, opts);
    if (a.status !== 'ok') throw new PofError('E_API', `${this.path} did not agree to watch port ${port}`);
    this.watched.set(port, JSON.stringify(query) + '\n');
  }

  /** Server status counters. */
  async status(opts: QueryOptions = {}): Promise<ServerStatus> {
    const a = await this.queryJson({ op: 'status' }, opts);
    if (a.status !== 'ok' || !a.server) throw new PofError('E_API', `no status from ${this.path}`);
    return a.server as ServerStatus;
  }

  /**
   * Sends one JSON query object and returns the answer object. "bad query"
   * answers reject with the server's error text.
   */
  async queryJson(query: Record<string, unknown>, opts: QueryOptions = {}): Promise<JsonAnswerObject> {
    const line = JSON.stringify(query) + '\n';
    const a = (await this.enqueue('json', line, opts)) as JsonAnswerObject;
    if (a.status === 'bad query') throw new PofError('E_API_REFUSED', `bad query: ${a.error}`);
    return a;
  }

  /** Rejects everything outstanding and closes the connection. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
    if (this.stuckTimer) clearTimeout(this.stuckTimer);
    this.stuckTimer = null;
    const err = new PofError('E_API', 'client closed');
    for (const r of [...this.inflight, ...this.queue]) this.fail(r, err);
    this.inflight = [];
    this.queue = [];
    const s = this.sock;
    if (!s) return;
    await new Promise<void>((resolve) => {
      s.once('close', () => resolve());
      s.destroy();
    });
  }

  private enqueue(kind: Kind, payload: Buffer | string, opts: QueryOptions): Promise<unknown> {
    if (this.closed) return Promise.reject(new PofError('E_API', 'client closed'));
    if (this.pending >= this.maxQueue) return Promise.reject(new PofError('E_API', `query queue full (${this.maxQueue})`));
    const timeoutMs = intOpt('timeoutMs', opts.timeoutMs, this.timeoutMs, 1, 3_600_000);
    return new Promise((resolve, reject) => {
      const r: Req = { kind, payload, resolve, reject, timer: null, done: false };
      r.timer = setTimeout(() => this.onTimeout(r, timeoutMs), timeoutMs);
      this.queue.push(r);
      this.pump();
    });
  }

  private onTimeout(r: Req, ms: number): void {
    r.timer = null;
    if (r.done) return;
    // A busy event loop runs timers before it reads sockets: the answer may
    // be waiting in this one. Give the loop's read phase a chance first.
    setImmediate(() => this.expire(r, ms));
  }

  private expire(r: Req, ms: number): void {
    if (r.done) return;
    const why = this.lastError && !this.connected ? ` (${this.lastError})` : '';
    this.fail(r, new PofError('E_API_TIMEOUT', `query to ${this.path} timed out after ${ms} ms${why}`));
    const qi = this.queue.indexOf(r);
    if (qi !== -1) {
      this.queue.splice(qi, 1);
      return;
    }
    const fi = this.inflight.indexOf(r);
    // Not written yet (held behind a batch): it just leaves.
    if (fi >= this.unanswered) {
      this.inflight.splice(fi, 1);
      return;
    }
    // Sent, not answered: it stays in line, for its answer (answers come in
    // order) to be dropped when it comes. A slow server is not a stuck one.
    if (fi !== -1) this.checkStuck();
  }

  /**
   * Replaces the connection when questions sent on it have had no answer for
   * the client's timeoutMs (the unanswered ones are sent again); else looks
   * again when that time would be up.
   */
  private checkStuck(): void {
    if (!this.sock || !this.unanswered || this.stuckTimer) return;
    const quiet = performance.now() - Math.max(this.batchAt, this.answerAt);
    if (quiet >= this.timeoutMs) {
      this.sock.destroy();
      return;
    }
    this.stuckTimer = setTimeout(() => {
      this.stuckTimer = null;
      this.checkStuck();
    }, Math.ceil(this.timeoutMs - quiet));
    this.stuckTimer.unref();
  }

  private fail(r: Req, e: Error): void {
    if (r.done) return;
    r.done = true;
    if (r.timer) clearTimeout(r.timer);
    r.timer = null;
    r.reject(e);
  }

  private succeed(r: Req, v: unknown): void {
    if (r.done) return;
    r.done = true;
    if (r.timer) clearTimeout(r.timer);
    r.timer = null;
    r.resolve(v);
  }

  private pump(): void {
    if (this.closed) return;
    if (!this.sock) {
      if (this.queue.length && !this.reconnectTimer) this.connect();
      return;
    }
    if (!this.connected) return;
    if (this.queue.length) this.sock.ref();
    while (this.queue.length && this.inflight.length < this.maxInFlight) {
      const r = this.queue.shift()!;
      if (r.done) continue;
      this.inflight.push(r);
    }
    this.scheduleFlush();
  }

  private scheduleFlush(): void {
    if (this.inflight.length && !this.flushQueued && !this.unanswered) {
      // A server accepting many connections asks many questions per turn
      // of the event loop: one write (one system call) carries them all.
      this.flushQueued = true;
      setImmediate(this.writeWaiting);
    }
  }

  /**
   * Writes the questions waiting in `inflight`: what was asked in this turn
   * of the event loop, or, while earlier questions were out, everything
   * asked since (as Nagle's algorithm does for TCP). Under load a question
   * waits at most one round trip, and the daemon and this process each make
   * one system call per batch rather than one per question.
   */
  private readonly writeWaiting = (): void => {
    this.flushQueued = false;
    if (this.unanswered || !this.inflight.length || !this.sock || !this.connected) return;
    const out = this.inflight;
    this.unanswered = out.length;
    this.batchAt = performance.now();
    if (out.length === 1) this.sock.write(out[0]!.payload);
    else if (out.every((r) => typeof r.payload === 'string')) this.sock.write(out.map((r) => r.payload).join(''));
    else this.sock.write(Buffer.concat(out.map((r) => (typeof r.payload === 'string' ? Buffer.from(r.payload) : r.payload))));
  };

  private connect(): void {
    // Answers are read into one buffer of the client's (no stream, no new
    // buffer per read): cheaper for a web server asking once per connection.
    const s = net.connect({
      path: this.path,
      onread: {
        buffer: this.readBuf,
        callback: (n: number, b: Uint8Array) => {
          this.onData(b as Buffer, n);
          return true;
        },
      },
    });
    this.sock = s;
    this.connected = false;
    this.rbuf = null;
    this.unanswered = 0;
    s.on('connect', () => {
      this.connected = true;
      this.attempt = 0;
      this.lastError = null;
      // Events missed while away are lost; later ones come again.
      for (const line of this.watched.values()) this.enqueue('json', line, {}).catch(() => undefined);
      this.pump();
      if (!this.queue.length && !this.inflight.length) s.unref();
    });
    s.on('error', (e: NodeJS.ErrnoException) => {
      this.lastError = e.code ? `${e.code}` : e.message;
    });
    s.on('close', () => this.onClose(s));
  }

  private onClose(s: net.Socket): void {
    if (this.sock !== s) return;
    const wasConnected = this.connected;
    this.sock = null;
    this.connected = false;
    this.rbuf = null;
    this.unanswered = 0;
    if (this.stuckTimer) clearTimeout(this.stuckTimer);
    this.stuckTimer = null;
    // Unanswered queries go back to the front of the queue, in order.
    const again = this.inflight.filter((r) => !r.done);
    this.inflight = [];
    this.queue = [...again, ...this.queue.filter((r) => !r.done)];
    // A watching client comes back for its events, queries or not.
    if (this.closed || (!this.queue.length && !this.watched.size)) return;
    if (wasConnected) {
      this.connect();
      return;
    }
    if (!this.waitForServer) {
      const err = new PofError('E_API', `cannot connect to ${this.path} (${this.lastError ?? 'closed'})`);
      for (const r of this.queue) this.fail(r, err);
      this.queue = [];
      if (!this.watched.size) return;
    }
    const delay = Math.min(this.reconnectMaxMs, this.reconnectMinMs * 2 ** Math.min(this.attempt, 20));
    this.attempt++;
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      if (!this.sock && !this.closed && (this.queue.length || this.watched.size)) this.connect();
    }, delay);
    // Waiting queries keep the process alive; a watch alone does not.
    if (!this.queue.length) this.reconnectTimer.unref();
  }

  /** `n` bytes read into `d` (the client's read buffer, reused by the next read). */
  private onData(d: Buffer, n: number): void {
    const buf = this.rbuf ? Buffer.concat([this.rbuf, d.subarray(0, n)]) : d.subarray(0, n);
    let off = 0;
    while (off < buf.length) {
      // An event line (watch()) may come between two answers, never inside one.
      const unit = unitAt(buf, off);
      if (unit === 'partial') break;
      if (unit === 'event') {
        const nl = buf.indexOf(0x0a, off);
        if (nl === -1) {
          if (buf.length - off > MAX_ANSWER_LINE) return this.protocolError(null, 'event line too long');
          break;
        }
        this.onEvent(buf.toString('utf8', off, nl));
        off = nl + 1;
        continue;
      }
      // Only questions written so far can be answered.
      if (!this.unanswered) return this.protocolError(null, 'unexpected bytes from server');
      const r = this.inflight[0]!;
      if (r.kind === 'v3') {
        if (buf.length - off < V3_RESP_SIZE) break;
        // Copy: the answer outlives this read buffer.
        const ans = Buffer.from(buf.subarray(off, off + V3_RESP_SIZE));
        off += V3_RESP_SIZE;
        this.inflight.shift();
        this.unanswered--;
        this.answerAt = performance.now();
        this.succeed(r, ans);
        continue;
      }
      const nl = buf.indexOf(0x0a, off);
      if (nl === -1) {
        if (buf.length - off > MAX_ANSWER_LINE) return this.protocolError(r, 'answer line too long');
        break;
      }
      const text = buf.toString('utf8', off, nl);
      off = nl + 1;
      this.inflight.shift();
      this.unanswered--;
      this.answerAt = performance.now();
      let obj: unknown;
      try {
        obj = JSON.parse(text);
      } catch {
        return this.protocolError(r, 'answer is not JSON (is this a pof socket?)');
      }
      if (typeof obj !== 'object' || obj === null || typeof (obj as { status?: unknown }).status !== 'string') {
        return this.protocolError(r, 'answer has no status');
      }
      this.succeed(r, obj);
    }
    // What is left is kept as a copy: the read buffer is about to be reused.
    this.rbuf = off < buf.length ? Buffer.from(buf.subarray(off)) : null;
    if (this.queue.length) this.pump();
    else if (!this.inflight.length) this.sock?.unref();
    this.scheduleFlush();
  }

  /** One event line: handed on when it reads right, else counted (never fatal). */
  private onEvent(text: string): void {
    const handler = this.onConnEvent;
    if (!handler) return;
    let o: { host?: unknown; conn?: unknown };
    try {
      o = JSON.parse(text) as typeof o;
    } catch {
      this.badEvents++;
      return;
    }
    const host = unpackHost(o.host ?? null);
    const conn = unpackConn(o.conn ?? null);
    if (host === undefined || !conn) {
      this.badEvents++;
      return;
    }
    try {
      handler({ host, conn });
    } catch (e) {
      // The handler's own error, raised where it cannot leave this read half done.
      process.nextTick(() => {
        throw e;
      });
    }
  }

  private protocolError(r: Req | null, msg: string): void {
    if (r) {
      const i = this.inflight.indexOf(r);
      if (i !== -1) this.inflight.splice(i, 1);
      this.fail(r, new PofError('E_API', `${this.path}: ${msg}`));
    }
    this.sock?.destroy();
  }
}
