/**
 * Where log lines go: a file opened for appending and reopened on SIGHUP
 * (logrotate's `postrotate kill -HUP`), stdout, or any writable. Writing
 * never blocks; `behind` tells when unwritten bytes pile up, so that the
 * caller can drop lines (access logs) or stop reading (logpipe).
 */
import fs from 'node:fs';

import { PofError } from '../errors.js';

export interface LogSink {
  write(chunk: string | Uint8Array): unknown;
  readonly writableLength?: number;
  once?(event: 'drain', fn: () => void): unknown;
}

export interface LogFileOptions {
  /** File to append to; '-' or undefined for stdout (unless `stream`). */
  file?: string;
  stream?: LogSink;
  /** Reopen the file on SIGHUP (default true with a file). */
  reopenOnSighup?: boolean;
  /** Unwritten bytes beyond which `behind` is true (default 4 MiB). */
  highWaterBytes?: number;
}

export const DEFAULT_LOG_HIGH_WATER = 4 * 1024 * 1024;

export class LogFile {
  readonly file: string | null;
  private sink: LogSink | null;
  private own: fs.WriteStream | null = null;
  private readonly onHup: (() => void) | null;
  /** Listens for errors of a stream given (or stdout), until close(). */
  private onStreamError: ((e: Error) => void) | null = null;
  private readonly highWater: number;
  private closed = false;
  /** The last write or open error (a file is retried at the next reopen). */
  lastError: Error | null = null;

  constructor(opts: LogFileOptions = {}) {
    const hw = opts.highWaterBytes ?? DEFAULT_LOG_HIGH_WATER;
    if (!Number.isInteger(hw) || hw < 1024) throw new PofError('E_CONFIG', 'log output: the buffer limit must be an integer >= 1024 bytes');
    this.highWater = hw;
    if (opts.file !== undefined && opts.stream !== undefined) throw new PofError('E_CONFIG', 'log output: give a file or a stream, not both');
    if (opts.file !== undefined && (typeof opts.file !== 'string' || !opts.file)) throw new PofError('E_CONFIG', 'log output: file must be a path or "-"');
    this.file = opts.file && opts.file !== '-' ? opts.file : null;
    this.onHup = null;
    if (this.file) {
      try {
        fs.closeSync(fs.openSync(this.file, 'a'));
      } catch (e) {
        throw new PofError('E_IO', `cannot open ${this.file}: ${(e as Error).message}`, { cause: e });
      }
      this.sink = this.open(this.file);
      if (opts.reopenOnSighup ?? true) {
        this.onHup = () => this.reopen();
        process.on('SIGHUP', this.onHup);
      }
    } else {
      const sink = opts.stream ?? process.stdout;
      // A stream that fails (stdout to a closed pipe: EPIPE) is noted, not thrown.
      this.onStreamError = (e: Error) => {
        this.lastError = e;
      };
      (sink as Partial<Pick<fs.WriteStream, 'on'>>).on?.('error', this.onStreamError);
      this.sink = sink;
    }
  }

  private open(file: string): fs.WriteStream {
    const s = fs.createWriteStream(file, { flags: 'a' });
    s.on('error', (e) => {
      this.lastError = e;
    });
    this.own = s;
    return s;
  }

  /** Reopens the file (after it was moved away). */
  reopen(): void {
    if (!this.file || this.closed) return;
    const old = this.own;
    this.sink = this.open(this.file);
    old?.end();
  }

  /** Bytes accepted but not yet written. */
  get pendingBytes(): number {
    return this.sink?.writableLength ?? 0;
  }

  get behind(): boolean {
    return this.pendingBytes > this.highWater;
  }

  write(text: string | Uint8Array): void {
    if (!this.closed && this.sink) this.sink.write(text);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.onHup) process.removeListener('SIGHUP', this.onHup);
    const s = this.own;
    if (this.onStreamError) (this.sink as Partial<Pick<fs.WriteStream, 'off'>> | null)?.off?.('error', this.onStreamError);
    this.sink = null;
    if (s) await new Promise<void>((resolve) => s.end(() => resolve()));
  }
}
