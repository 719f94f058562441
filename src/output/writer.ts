/** A small buffered writer over a file descriptor: few syscalls, in order. */
import fs from 'node:fs';

export class FdWriter {
  private buf = '';
  private readonly fd: number;
  private readonly limit: number;

  constructor(fd: number, limit = 64 * 1024) {
    this.fd = fd;
    this.limit = limit;
  }

  static openAppend(path: string): FdWriter {
    return new FdWriter(fs.openSync(path, 'a'));
  }

  write(s: string): void {
    this.buf += s;
    if (this.buf.length >= this.limit) this.flush();
  }

  flush(): void {
    if (!this.buf) return;
    const data = Buffer.from(this.buf);
    this.buf = '';
    let off = 0;
    while (off < data.length) {
      try {
        off += fs.writeSync(this.fd, data, off, data.length - off);
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
