/**
 * Access logs in Apache's LogFormat language, pof variables included:
 *
 *   const log = new AccessLog({ format: 'pof_combined', file: '/var/log/app/access.log' });
 *   app.use(pofExpress({ socket: '/run/pof/pof.sock' }));
 *   app.use(log.handler);
 *
 * A file is opened for appending and reopened on SIGHUP (logrotate's
 * postrotate `kill -HUP`); '-' or no file writes to stdout. Writing never
 * holds a request up: when the output cannot keep up, lines beyond
 * `maxBufferBytes` are dropped and counted.
 */
import type { IncomingHttpHeaders, IncomingMessage, OutgoingHttpHeader, ServerResponse } from 'node:http';
import os from 'node:os';
import type { Duplex } from 'node:stream';

import { PofError } from '../errors.js';
import { clientTuple } from './conn-tuple.js';
import { LogFile, type LogSink } from './log-file.js';
import type { ConnTuple } from './result.js';

export type { LogSink };
import { compileLogFormat, type CompiledLogFormat, type LogFormatOptions, type LogRecord } from './log-format.js';

export const DEFAULT_LOG_FORMAT = 'combined';

export interface AccessLogOptions extends LogFormatOptions {
  /** A LogFormat string or nickname (common, combined, pof, pof_combined, ...); default combined. */
  format?: string;
  /** File to append to; '-' for stdout. */
  file?: string;
  /** Or any writable (a stream, a test buffer). */
  stream?: LogSink;
  /** Reopen the file on SIGHUP (default true with a file). */
  reopenOnSighup?: boolean;
  /** Other %{VAR}e variables. */
  env?: Record<string, string> | ((req: IncomingMessage, name: string) => string | undefined);
  /** Unwritten bytes beyond which lines are dropped (default 4 MiB). */
  maxBufferBytes?: number;
}

interface Tracked {
  /** The connection, read when the request came (an aborted one may have lost its addresses by the end). */
  tuple: ConnTuple | null;
  startMs: number;
  startPerf: number;
  bytesOut: number;
  keepAliveCount: number;
}

/** What the client was answered, as far as the line needs it. */
interface Answer {
  status: number;
  headerOut(name: string): string | undefined;
  connStatus: LogRecord['connStatus'];
}

/** An upgrade request being logged (see AccessLog.trackUpgrade). */
export interface UpgradeLogEntry {
  /**
   * The client was sent this answer's head (101, the backend's refusal, a
   * 502); what is written to the socket from now on counts as %b. Only the
   * first call counts.
   */
  answered(status: number, headers?: IncomingHttpHeaders): void;
}

const SWITCHING_PROTOCOLS = 101;
/**
 * An upgrade whose client left before any answer: the status Apache's
 * request and Node's ServerResponse start with, so that the line reads as
 * an aborted normal request does (%X is X).
 */
const UNANSWERED_STATUS = 200;

function headerText(v: OutgoingHttpHeader | undefined): string | undefined {
  if (v === undefined) return undefined;
  return Array.isArray(v) ? v.join(', ') : String(v);
}

type WriteFn = (...args: unknown[]) => unknown;

/** Calls onBytes with the size of each chunk written to w, through write() or end(). */
function countWrites(w: ServerResponse | Duplex, onBytes: (n: number) => void): void {
  const target = w as unknown as { write: WriteFn; end: WriteFn };
  const write = target.write;
  const end = target.end;
  const count = (chunk: unknown, enc: unknown): void => {
    if (typeof chunk === 'string') onBytes(Buffer.byteLength(chunk, typeof enc === 'string' ? (enc as BufferEncoding) : 'utf8'));
    else if (chunk instanceof Uint8Array) onBytes(chunk.byteLength);
  };
  target.write = function (this: unknown, chunk: unknown, ...rest: unknown[]) {
    count(chunk, rest[0]);
    return write.call(this, chunk, ...rest);
  };
  target.end = function (this: unknown, ...args: unknown[]) {
    if (args.length && typeof args[0] !== 'function') count(args[0], args[1]);
    return end.apply(this, args);
  };
}

function responseAnswer(res: ServerResponse): Answer {
  return {
    status: res.statusCode,
    headerOut: (name) => headerText(res.getHeader(name)),
    connStatus: !res.writableFinished ? 'X' : (res as ServerResponse & { shouldKeepAlive?: boolean }).shouldKeepAlive ? '+' : '-',
  };
}

export class AccessLog {
  readonly format: string;
  private readonly compiled: CompiledLogFormat;
  private readonly env: AccessLogOptions['env'];
  private readonly out: LogFile;
  /** Lines written, and dropped because the output fell behind. */
  written = 0;
  dropped = 0;
  /** The last error formatting a line. */
  lastError: Error | null = null;
  /**
   * Requests this log has seen on each connection (%k); each log counts its
   * own, on the socket under this key (cheaper for the GC than a WeakMap).
   */
  private readonly kRequests = Symbol('pof access log requests');

  constructor(opts: AccessLogOptions = {}) {
    if (opts === null || typeof opts !== 'object') throw new PofError('E_CONFIG', 'access log: options must be an object');
    this.format = opts.format ?? DEFAULT_LOG_FORMAT;
    this.compiled = compileLogFormat(this.format, opts, os.hostname());
    if (opts.env !== undefined && typeof opts.env !== 'function' && (typeof opts.env !== 'object' || opts.env === null)) {
      throw new PofError('E_CONFIG', 'access log: env must be an object or a function');
    }
    this.env = opts.env;
    this.out = new LogFile({
      file: opts.file,
      stream: opts.stream,
      reopenOnSighup: opts.reopenOnSighup,
      highWaterBytes: opts.maxBufferBytes,
    });
    this.handler = this.handler.bind(this);
    this.track = this.track.bind(this);
    this.trackUpgrade = this.trackUpgrade.bind(this);
  }

  /** Reopens the file (after logrotate moved it). */
  reopen(): void {
    this.out.reopen();
  }

  /** The output's last write error, if any. */
  get outputError(): Error | null {
    return this.out.lastError;
  }

  /** Starts timing a request; the line is written when its response closes. */
  track(req: IncomingMessage, res: ServerResponse): void {
    const t = this.start(req);
    countWrites(res, (n) => (t.bytesOut += n));
    res.once('close', () => this.log(req, t, responseAnswer(res)));
  }

  /**
   * Starts timing an upgrade request (a server's 'upgrade' event: a socket,
   * no ServerResponse). The line is written once, when the socket closes,
   * as Apache writes it when a tunnel ends: %D / %T span the whole
   * upgraded connection, %b / %B count what the client was sent after the
   * answer's head (the tunnel's bytes, or the refusal's body). %X is '-'
   * for a tunnel (either side may close it), else 'X' unless the answer
   * was sent to its end.
   */
  trackUpgrade(req: IncomingMessage, socket: Duplex): UpgradeLogEntry {
    const t = this.start(req);
    let status: number | undefined;
    let headers: IncomingHttpHeaders = {};
    countWrites(socket, (n) => {
      if (status !== undefined) t.bytesOut += n;
    });
    const finish = (): void =>
      this.log(req, t, {
        status: status ?? UNANSWERED_STATUS,
        headerOut: (name) => headerText(headers[name.toLowerCase()]),
        connStatus: status === SWITCHING_PROTOCOLS || (status !== undefined && socket.writableEnded) ? '-' : 'X',
      });
    // A socket already closed emits no 'close' again; its line is still due.
    if (socket.closed) queueMicrotask(finish);
    else socket.once('close', finish);
    return {
      answered(s, h = {}) {
        if (status !== undefined) return;
        status = s;
        headers = h;
      },
    };
  }

  /** Times a request from now on; counts it on its connection (%k). */
  private start(req: IncomingMessage): Tracked {
    const sock = req.socket as IncomingMessage['socket'] & Record<symbol, number | undefined>;
    const n = sock[this.kRequests] ?? 0;
    sock[this.kRequests] = n + 1;
    return { tuple: req.pof?.conn ?? clientTuple(sock), startMs: Date.now(), startPerf: performance.now(), bytesOut: 0, keepAliveCount: n };
  }

  /** Connect / Express middleware: `app.use(log.handler)`. */
  handler(req: IncomingMessage, res: ServerResponse, next?: (err?: unknown) => void): void {
    this.track(req, res);
    next?.();
  }

  /** Koa middleware: `app.use(log.koa())`. */
  koa(): (ctx: { req: IncomingMessage; res: ServerResponse }, next: () => Promise<unknown>) => Promise<unknown> {
    return (ctx, next) => {
      this.track(ctx.req, ctx.res);
      return next();
    };
  }

  /** Fastify hook: `app.addHook('onRequest', log.fastifyHook())`. */
  fastifyHook(): (request: { raw: IncomingMessage }, reply: { raw: ServerResponse }, done: () => void) => void {
    return (request, reply, done) => {
      this.track(request.raw, reply.raw);
      done();
    };
  }

  private record(req: IncomingMessage, t: Tracked, a: Answer): LogRecord {
    const tuple = t.tuple;
    const envOpt = this.env;
    return {
      method: req.method ?? '-',
      url: req.url ?? '-',
      httpVersion: req.httpVersion,
      headersIn: req.headers,
      headerOut: a.headerOut,
      status: a.status,
      bytesOut: t.bytesOut,
      cli: tuple?.cli ?? req.socket.remoteAddress ?? '-',
      cliPort: tuple?.cliPort ?? req.socket.remotePort ?? 0,
      srv: tuple?.srv ?? req.socket.localAddress ?? '-',
      srvPort: tuple?.srvPort ?? req.socket.localPort ?? 0,
      startMs: t.startMs,
      durationUs: (performance.now() - t.startPerf) * 1000,
      keepAliveCount: t.keepAliveCount,
      connStatus: a.connStatus,
      pof: req.pof,
      env: envOpt === undefined ? undefined : typeof envOpt === 'function' ? (name) => envOpt(req, name) : (name) => envOpt[name],
    };
  }

  private log(req: IncomingMessage, t: Tracked, a: Answer): void {
    let text: string;
    try {
      text = this.compiled(this.record(req, t, a)) + '\n';
    } catch (e) {
      this.lastError = e as Error;
      return;
    }
    this.writeLine(text);
  }

  /** Writes one finished line (with its newline), or drops it when the output is behind. */
  writeLine(text: string): void {
    if (this.out.behind) {
      this.dropped++;
      return;
    }
    this.written++;
    this.out.write(text);
  }

  /** Stops logging; flushes and closes a file. */
  close(): Promise<void> {
    return this.out.close();
  }
}
