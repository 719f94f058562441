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

/** How long the caller waits for the worker to start before giving up (ms). */
const START_TIMEOUT_MS = 10_000;

/*
 * The worker opens the file itself and reads at explicit offsets: the
 * caller's descriptor (closed as soon as the caller is done) is never
 * touched from this thread, so a descriptor number reused later cannot be
 * read from here. Control words after the slots: stop, errno (negative,
 * as Node reports it), alive.
 */
const WORKER_SOURCE = `
const { workerData } = require('node:worker_threads');
const fs = require('node:fs');
const { path, sab, ctl, slots, slotSize } = workerData;
const c = new Int32Array(ctl);
const stop = slots * 2;
const fail = (i, e) => {
  c[stop + 1] = typeof e.errno === 'number' && e.errno < 0 ? e.errno : -5;
  Atomics.store(c, i * 2 + 1, -1);
  Atomics.store(c, i * 2, 1);
  Atomics.notify(c, i * 2);
};
let fd = -1;
try {
  fd = fs.openSync(path, 'r');
} catch (e) {
  fail(0, e);
}
Atomics.store(c, stop + 2, 1);
Atomics.notify(c, 0);
let pos = 0;
for (let i = 0; fd >= 0; i = (i + 1) % slots) {
  while (Atomics.load(c, i * 2) !== 0) {
    if (Atomics.load(c, stop)) break;
    Atomics.wait(c, i * 2, 1, 200);
  }
  if (Atomics.load(c, stop)) break;
  let n;
  try {
    n = fs.readSync(fd, new Uint8Array(sab, i * slotSize, slotSize), 0, slotSize, pos);
  } catch (e) {
    fail(i, e);
    break;
  }
  pos += n;
  Atomics.store(c, i * 2 + 1, n);
  Atomics.store(c, i * 2, 1);
  Atomics.notify(c, i * 2);
  if (n <= 0) break;
}
if (fd >= 0) fs.closeSync(fd);
`;

export interface Prefetcher {
  /** The next chunk (a view valid until the following call), or null at the end. */
  next(): Buffer | null;
  /** errno of a failed open or read (negative, as Node's), 0 if none. */
  readonly errno: number;
  close(): void;
}

export function startPrefetch(path: string, slotSize: number, slots = 4): Prefetcher {
  const sab = new SharedArrayBuffer(slotSize * slots);
  const ctl = new SharedArrayBuffer((slots * 2 + 3) * 4);
  const c = new Int32Array(ctl);
  const stop = slots * 2;
  const views = Array.from({ length: slots }, (_, i) => Buffer.from(sab, i * slotSize, slotSize));
  const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { path, sab, ctl, slots, slotSize } });
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
      // A worker that never starts (no threads left) must not hang the caller.
      const deadline = Date.now() + START_TIMEOUT_MS;
      while (Atomics.load(c, cur * 2) !== FULL) {
        if (!Atomics.load(c, stop + 2) && Date.now() > deadline) {
          done = true;
          throw new Error(`the read-ahead thread did not start within ${START_TIMEOUT_MS} ms`);
        }
        Atomics.wait(c, cur * 2, EMPTY, 1000);
      }
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
      // The worker leaves by itself (closing its descriptor); it is unref'd,
      // so it keeps no process alive meanwhile.
    },
  };
}
