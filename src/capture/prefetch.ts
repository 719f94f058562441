/**
 * Read-ahead for large capture files: a worker thread does the read(2)
 * calls into a ring of shared buffers while the caller parses the previous
 * ones, so the kernel's copying runs on another core. The caller stays
 * synchronous: it blocks (Atomics.wait) only when the ring is empty.
 *
 * The worker is a few lines of plain JavaScript passed as source, so it runs
 * the same from compiled JavaScript and from TypeScript under a loader.
 */
import { Worker } from 'node:worker_threads';

/** Control words per slot: state (0 empty, 1 full), then byte count (0 at EOF, -1 on error). */
const EMPTY = 0;
const FULL = 1;

const WORKER_SOURCE = `
const { workerData } = require('node:worker_threads');
const fs = require('node:fs');
const { fd, sab, ctl, slots, slotSize } = workerData;
const c = new Int32Array(ctl);
const stop = slots * 2;
for (let i = 0; ; i = (i + 1) % slots) {
  while (Atomics.load(c, i * 2) !== 0) {
    if (Atomics.load(c, stop)) process.exit(0);
    Atomics.wait(c, i * 2, 1, 200);
  }
  if (Atomics.load(c, stop)) process.exit(0);
  let n;
  try {
    n = fs.readSync(fd, new Uint8Array(sab, i * slotSize, slotSize), 0, slotSize, null);
  } catch (e) {
    n = -1;
    c[stop + 1] = typeof e.errno === 'number' ? -e.errno : 1;
  }
  Atomics.store(c, i * 2 + 1, n);
  Atomics.store(c, i * 2, 1);
  Atomics.notify(c, i * 2);
  if (n <= 0) break;
}
`;

export interface Prefetcher {
  /** The next chunk (a view valid until the following call), or null at the end. */
  next(): Buffer | null;
  /** errno of a failed read, 0 if none. */
  readonly errno: number;
  close(): void;
}

export function startPrefetch(fd: number, slotSize: number, slots = 4): Prefetcher {
  const sab = new SharedArrayBuffer(slotSize * slots);
  const ctl = new SharedArrayBuffer((slots * 2 + 2) * 4);
  const c = new Int32Array(ctl);
  const stop = slots * 2;
  const views = Array.from({ length: slots }, (_, i) => Buffer.from(sab, i * slotSize, slotSize));
  const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { fd, sab, ctl, slots, slotSize } });
  worker.unref();
  let cur = -1;
  let done = false;
  return {
    next(): Buffer | null {
      if (done) return null;
      if (cur >= 0) {
        Atomics.store(c, cur * 2, EMPTY);
        Atomics.notify(c, cur * 2);
      }
      cur = (cur + 1) % slots;
      while (Atomics.load(c, cur * 2) !== FULL) Atomics.wait(c, cur * 2, EMPTY, 1000);
      const n = Atomics.load(c, cur * 2 + 1);
      if (n <= 0) {
        done = true;
        return null;
      }
      return views[cur]!.subarray(0, n);
    },
    get errno(): number {
      return c[stop + 1]!;
    },
    close(): void {
      Atomics.store(c, stop, 1);
      for (let i = 0; i < slots; i++) {
        Atomics.store(c, i * 2, EMPTY);
        Atomics.notify(c, i * 2);
      }
      void worker.terminate();
    },
  };
}
