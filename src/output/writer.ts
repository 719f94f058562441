/**
 * A buffered writer over a file descriptor: strings are encoded straight
 * into one preallocated buffer (no concatenation), which is written out
 * with few syscalls, in order.
 */
import fs from 'node:fs';
import { PofError } from '../errors.js';

export class FdWriter {
  private readonly fd: number;
  private readonly buf: Buffer;
  private pos = 0;

  constructor(fd: number, size = 1 << 20) {
    this.fd = fd;
    this.buf = Buffer.allocUnsafe(size);
  }

  static openAppend(path: string): FdWriter {
    return new FdWriter(fs.openSync(path, 'a'));
  }

  write(s: string): void {
    // A UTF-8 character takes at most 3 bytes per UTF-16 unit.
    if (this.pos + s.length * 3 > this.buf.length) {
      this.flush();
      if (s.length * 3 > this.buf.length) {
        this.writeAll(Buffer.from(s), 0);
        return;
      }
    }
    this.pos += (this.buf as unknown as { utf8Write(s: string, off: number): number }).utf8Write(s, this.pos);
  }

  /** Copies encoded bytes; cheaper than encoding a string that repeats. */
  bytes(b: Uint8Array): void {
    if (this.pos + b.length > this.buf.length) {
      this.flush();
      if (b.length > this.buf.length) {
        this.writeAll(Buffer.from(b.buffer, b.byteOffset, b.length), 0);
        return;
      }
    }
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }

  flush(): void {
    if (!this.pos) return;
    const n = this.pos;
    this.pos = 0;
    this.writeAll(this.buf, n);
  }

  private writeAll(data: Buffer, len: number): void {
    const end = len || data.length;
    let off = 0;
    while (off < end) {
      try {
        off += fs.writeSync(this.fd, data, off, end - off);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'EAGAIN') {
          Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
          continue;
        }
        throw e;
      }
    }
  }

  close(): void {
    this.flush();
    if (this.fd > 2) fs.closeSync(this.fd);
  }
}

/** Opens p0f's -o log for appending; one clear line when it cannot be. */
export function openLogFile(path: string): FdWriter {
  try {
    return FdWriter.openAppend(path);
  } catch (e) {
    throw new PofError('E_IO', `cannot open log file ${path}: ${(e as Error).message}`);
  }
}

/** Is this descriptor the null device? */
export function isDevNull(fd: number): boolean {
  try {
    const st = fs.fstatSync(fd);
    if (!st.isCharacterDevice()) return false;
    return st.rdev === fs.statSync('/dev/null').rdev;
  } catch {
    return false;
  }
}
