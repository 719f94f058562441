/**
 * One publishing thread of StorePublisher, seen from the sensor's thread:
 * its ring (records go in), its Redis state (down or up, as the thread
 * reports it), its counters, and flushes. publish-worker.ts is the thread.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';

import type { FromWorker, PublishWorkerData, ToWorker } from './publish-worker.js';
import { makeRing, RingWriter } from './ring.js';

/** How long close() waits for the thread (ms). */
const CLOSE_WAIT_MS = 2000;

/** The worker: compiled JavaScript beside this file, or (tests, benches) its TypeScript under tsx. */
function startWorker(data: PublishWorkerData): Worker {
  const here = import.meta.url;
  const js = new URL('./publish-worker.js', here);
  if (existsSync(fileURLToPath(js))) return new Worker(js, { workerData: data });
  const ts = new URL('./publish-worker.ts', here).href;
  // Resolved here: an eval'd worker resolves bare names from the working directory, which a -d daemon leaves.
  const tsx = import.meta.resolve('tsx/esm/api');
  const boot = `import(${JSON.stringify(tsx)}).then((api) => { api.register(); return import(${JSON.stringify(ts)}); })`;
  return new Worker(boot, { eval: true, workerData: data });
}

export interface ShardEvents {
  /** The thread's Redis connection went down (why) or came back (null). */
  onState(shard: PublishShard, down: string | null): void;
  onLatency?(seconds: number): void;
}

export class PublishShard {
  readonly ring: RingWriter;
  private readonly worker: Worker;
  down: string | null;
  stats = { published: 0, errors: 0, droppedDown: 0, inFlight: 0, lastError: null as string | null };
  private flushId = 0;
  private readonly flushWaiters = new Map<number, () => void>();
  private closed = false;

  constructor(
    data: Omit<PublishWorkerData, 'ring'>,
    ringBytes: number,
    private readonly events: ShardEvents,
  ) {
    const ring = makeRing(ringBytes);
    this.ring = new RingWriter(ring);
    this.down = `not connected yet to ${data.url.display}`;
    this.worker = startWorker({ ...data, ring });
    this.worker.unref();
    this.worker.on('message', (m: FromWorker) => this.onMessage(m));
    this.worker.on('error', (e) => this.setDown(`store publisher thread failed: ${e.message.split('\n')[0]}`));
    this.worker.on('exit', () => {
      if (!this.closed) this.setDown('store publisher thread exited');
      for (const w of this.flushWaiters.values()) w();
      this.flushWaiters.clear();
    });
  }

  private setDown(why: string | null): void {
    if (this.closed || why === this.down) return;
    this.down = why;
    this.events.onState(this, why);
  }

  private onMessage(m: FromWorker): void {
    switch (m.type) {
      case 'state':
        this.setDown(m.down);
        return;
      case 'stats':
        this.stats = { published: m.published, errors: m.errors, droppedDown: m.droppedDown, inFlight: m.inFlight, lastError: m.lastError };
        if (this.events.onLatency) for (const s of m.latencies) this.events.onLatency(s);
        return;
      case 'flushed': {
        const w = this.flushWaiters.get(m.id);
        this.flushWaiters.delete(m.id);
        w?.();
        return;
      }
      default: {
        const never: never = m;
        void never;
      }
    }
  }

  /** Resolves when the thread has sent all of its ring and Redis has answered (or after timeoutMs). */
  flush(timeoutMs: number): Promise<void> {
    const id = ++this.flushId;
    return new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        this.flushWaiters.delete(id);
        resolve();
      }, timeoutMs);
      this.flushWaiters.set(id, () => {
        clearTimeout(t);
        resolve();
      });
      this.worker.postMessage({ type: 'flush', id } satisfies ToWorker);
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.down = 'store closed';
    const exited = new Promise<void>((r) => this.worker.once('exit', () => r()));
    this.worker.postMessage({ type: 'close' } satisfies ToWorker);
    const t = setTimeout(() => void this.worker.terminate(), CLOSE_WAIT_MS);
    await exited;
    clearTimeout(t);
  }
}
