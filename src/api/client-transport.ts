/**
 * The client's transport: one persistent connection to a query socket,
 * whatever is asked on it. Questions are pipelined (at most maxInFlight
 * out), written in batches (those asked in one turn of the event loop, or,
 * while a batch is out, all asked since), and answered in order; each has a
 * timeout. A connection that leaves questions unanswered for the timeout is
 * taken for stuck and replaced; a lost connection is re-opened with
 * back-off and the unanswered questions are sent again (they are
 * read-only); the queue is bounded. What comes back is cut into answers and
 * events by client-replies.ts; the questions themselves are client.ts's.
 */
import net from 'node:net';
import { PofError } from '../errors.js';
import { intOption as intOpt } from '../options.js';
import { newReply, readReply, type AnswerKind } from './client-replies.js';

export const DEFAULT_CLIENT_TIMEOUT_MS = 1000;
export const DEFAULT_CLIENT_MAX_QUEUE = 1000;
export const DEFAULT_CLIENT_MAX_IN_FLIGHT = 64;
export const DEFAULT_RECONNECT_MIN_MS = 50;
export const DEFAULT_RECONNECT_MAX_MS = 5000;
/** Bytes read from the server at once. */
const READ_BUFFER = 64 * 1024;

export interface TransportOptions {
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

/** What the transport tells the questions' side. */
export interface TransportHooks {
  /** Connected (again): the questions to ask first (watches to renew) are sent from here. */
  onConnect(): void;
  /** An event line: its object, or null when it could not be read. */
  onEvent(o: Record<string, unknown> | null): void;
  /** Whether to stay connected (and reconnect) with no question waiting: a watching client does. */
  keepConnected(): boolean;
}

interface Req {
  kind: AnswerKind;
  payload: Buffer | string;
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout | null;
  done: boolean;
}

export class ClientTransport {
  readonly path: string;
  /** The default question timeout (ms). */
  readonly timeoutMs: number;
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
  /** What was read last (reused). */
  private readonly reply = newReply();
  private attempt = 0;
  private reconnectTimer: NodeJS.Timeout | null = null;
  private lastError: string | null = null;
  private closed = false;
  private flushQueued = false;
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

  constructor(
    opts: TransportOptions,
    private readonly hooks: TransportHooks,
  ) {
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
   * While there is no connection: the error code of the last attempt
   * (ENOENT, ECONNREFUSED, ...), else null.
   */
  get connectError(): string | null {
    return this.connected ? null : this.lastError;
  }

  /** Questions waiting to be sent or answered. */
  get pending(): number {
    return this.queue.length + this.inflight.length;
  }

  /**
   * Asks one question: `payload` is sent as is, and the promise settles
   * with its answer (a 232-byte copy for 'v3', the answer object for
   * 'json'), or rejects (timeout, queue full, closed, protocol error).
   */
  send(kind: AnswerKind, payload: Buffer | string, timeoutMs?: number): Promise<unknown> {
    if (this.closed) return Promise.reject(new PofError('E_API', 'client closed'));
    if (this.pending >= this.maxQueue) return Promise.reject(new PofError('E_API', `query queue full (${this.maxQueue})`));
    const ms = intOpt('timeoutMs', timeoutMs, this.timeoutMs, 1, 3_600_000);
    return new Promise((resolve, reject) => {
      const r: Req = { kind, payload, resolve, reject, timer: null, done: false };
      r.timer = setTimeout(() => this.onTimeout(r, ms), ms);
      this.queue.push(r);
      this.pump();
    });
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
      this.hooks.onConnect();
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
    const keep = this.hooks.keepConnected();
    if (this.closed || (!this.queue.length && !keep)) return;
    if (wasConnected) {
      this.connect();
      return;
    }
    if (!this.waitForServer) {
      const err = new PofError('E_API', `cannot connect to ${this.path} (${this.lastError ?? 'closed'})`);
      for (const r of this.queue) this.fail(r, err);
      this.queue = [];
      if (!keep) return;
    }
    const delay = Math.min(this.reconnectMaxMs, this.reconnectMinMs * 2 ** Math.min(this.attempt, 20));
    this.attempt++;
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      if (!this.sock && !this.closed && (this.queue.length || this.hooks.keepConnected())) this.connect();
    }, delay);
    // Waiting queries keep the process alive; a watch alone does not.
    if (!this.queue.length) this.reconnectTimer.unref();
  }

  /** `n` bytes read into `d` (the client's read buffer, reused by the next read). */
  private onData(d: Buffer, n: number): void {
    const buf = this.rbuf ? Buffer.concat([this.rbuf, d.subarray(0, n)]) : d.subarray(0, n);
    const r = this.reply;
    let off = 0;
    while (off < buf.length) {
      // Only questions written so far can be answered.
      const due = this.unanswered ? this.inflight[0]! : null;
      readReply(buf, off, due ? due.kind : null, r);
      if (r.kind === 'partial') break;
      if (r.kind === 'error') return this.protocolError(r.ofAnswer ? due : null, r.error);
      off = r.end;
      if (r.kind === 'event') {
        this.hooks.onEvent(r.value as Record<string, unknown> | null);
        continue;
      }
      this.inflight.shift();
      this.unanswered--;
      this.answerAt = performance.now();
      this.succeed(due!, r.value);
    }
    r.value = null;
    // What is left is kept as a copy: the read buffer is about to be reused.
    this.rbuf = off < buf.length ? Buffer.from(buf.subarray(off)) : null;
    if (this.queue.length) this.pump();
    else if (!this.inflight.length) this.sock?.unref();
    this.scheduleFlush();
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
