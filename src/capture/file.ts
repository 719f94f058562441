/**
 * Reading a capture file, or stdin for "-", in one synchronous loop of
 * read(2) calls into a single reused chunk buffer. Packets are handed out
 * as views into that buffer, so memory stays constant however big the file.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { getSystemErrorName } from 'node:util';
import { CAPTURE_CHUNK } from '../config.js';
import { PofError } from '../errors.js';
import { startPrefetch } from './prefetch.js';
import { CaptureParser } from './reader.js';
import type { CaptureSummary, PacketHandler } from './types.js';

export interface ReadCaptureOptions {
  /** Bytes per read; CAPTURE_CHUNK by default. */
  chunkSize?: number;
  /**
   * Read regular files larger than this many bytes on a helper thread, one
   * chunk ahead of the parser (default 64 MiB; Infinity turns it off; the
   * POF_NO_PREFETCH environment variable does too).
   */
  prefetchAbove?: number;
}

const PREFETCH_ABOVE = 64 * 1024 * 1024;

/** The name stdin goes by in messages. */
export const STDIN_NAME = 'stdin';
/** How long to sleep when non-blocking stdin has nothing yet (ms). */
const EAGAIN_WAIT_MS = 5;

let sleeper: Int32Array | undefined;

function sleep(ms: number): void {
  sleeper ??= new Int32Array(new SharedArrayBuffer(4));
  Atomics.wait(sleeper, 0, 0, ms);
}

/** "no such file or directory (ENOENT)" out of a Node system error. */
function osReason(e: unknown): string {
  const err = e as NodeJS.ErrnoException | undefined;
  if (err !== undefined && typeof err.code === 'string') {
    const m = /^[A-Z0-9_]+: ([^,]+)/.exec(err.message);
    return m !== null ? `${m[1]} (${err.code})` : err.code;
  }
  return String(e);
}

function ioError(name: string, doing: string, e: unknown): PofError {
  return new PofError('E_CAPTURE_IO', `${name}: ${doing}: ${osReason(e)}`, { cause: e });
}

/**
 * Read a pcap or pcapng capture from `path` ("-" for stdin), calling
 * `onPacket` for every packet. Damage ends the reading quietly and is
 * reported in `problem`; an unknown format throws PofError E_CAPTURE_FORMAT,
 * an unreadable file PofError E_CAPTURE_IO.
 */
export function readCaptureFile(
  path: string,
  onPacket: PacketHandler,
  opts: ReadCaptureOptions = {},
): CaptureSummary {
  const size = opts.chunkSize ?? CAPTURE_CHUNK;
  if (!Number.isInteger(size) || size < 1) {
    throw new RangeError(`chunkSize must be a positive integer, not ${size}`);
  }
  const stdin = path === '-';
  const name = stdin ? STDIN_NAME : path;
  let fd = 0;
  if (!stdin) {
    try {
      fd = openSync(path, 'r');
    } catch (e) {
      throw ioError(name, 'cannot open', e);
    }
  }
  try {
    const parser = new CaptureParser(name, onPacket);
    const above = process.env.POF_NO_PREFETCH ? Infinity : (opts.prefetchAbove ?? PREFETCH_ABOVE);
    if (!stdin && isLargeFile(fd, above)) {
      const pf = startPrefetch(path, size);
      try {
        let b = pf.next();
        for (; b !== null; b = pf.next()) if (!parser.push(b, 0, b.length)) break;
        // A read error counts only where reading stopped for it, not beyond damage.
        if (b === null && pf.errno) {
          const code = getSystemErrorName(pf.errno);
          throw ioError(name, 'read failed', Object.assign(new Error(code), { code }));
        }
      } finally {
        pf.close();
      }
      return parser.end();
    }
    const chunk = Buffer.allocUnsafe(size);
    for (;;) {
      const n = readSome(fd, chunk, name);
      if (n === 0 || !parser.push(chunk, 0, n)) break;
    }
    return parser.end();
  } finally {
    if (!stdin) closeSync(fd);
  }
}

/** Parse a capture held in memory; the same contract as readCaptureFile. */
export function readCaptureBuffer(
  buf: Buffer,
  onPacket: PacketHandler,
  name = 'buffer',
): CaptureSummary {
  const parser = new CaptureParser(name, onPacket);
  parser.push(buf, 0, buf.length);
  return parser.end();
}

function isLargeFile(fd: number, above: number): boolean {
  try {
    const st = fstatSync(fd);
    return st.isFile() && st.size > above;
  } catch {
    return false;
  }
}

/** One read(2); waits out EAGAIN from a non-blocking stdin. 0 means EOF. */
function readSome(fd: number, chunk: Buffer, name: string): number {
  for (;;) {
    try {
      return readSync(fd, chunk, 0, chunk.length, null);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EAGAIN' || code === 'EWOULDBLOCK') {
        sleep(EAGAIN_WAIT_MS);
        continue;
      }
      if (code === 'EOF') return 0;
      throw ioError(name, 'read failed', e);
    }
  }
}
