/**
 * StorePublisher: the sensor's side of the shared store. Give it each
 * connection verdict and host record as the engine updates them; it
 * publishes them to Redis (keys.ts) without ever making capture wait:
 *
 *   conn(v) / host(h)   O(1): the record is marked dirty (a bounded set;
 *                       several updates of one connection in one turn of
 *                       the event loop are published once, the latest)
 *   a turn later        dirty records are encoded (codec.ts) into a shared
 *                       ring (ring.ts), at most `batch` per turn
 *   another thread      (publish-worker.ts) makes the JSON and sends SETs
 *                       with TTLs to Redis, pipelined, a bounded number
 *                       waiting for answers
 *
 * Whatever does not fit is dropped and counted: the queue full (the ring
 * filled, then the dirty set: Redis slower than capture), or Redis down (nothing is kept for later:
 * an outage's verdicts are stale when it ends). The thread reconnects by
 * itself; publishing resumes with the next verdicts.
 *
 * The daemon wiring:
 *
 *   const pub = new StorePublisher({ url: 'redis://10.0.0.5:6379' });
 *   conns.onUpdate((v) => { pub.conn(v); const h = engine.hosts.get(v.cli); if (h) pub.host(h); });
 *   ... on exit: await pub.close();
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';

import { PofError } from '../../errors.js';
import { intOption } from '../../options.js';
import type { ConnVerdict } from '../../state/conn-verdicts.js';
import type { HostView } from '../types.js';
import { RecordWriter, writeConn, writeHost } from './codec.js';
import { DEFAULT_CONN_TTL_S, DEFAULT_HOST_TTL_S, keyPrefixOption, MAX_TTL_S, parseStoreUrl, type StoreUrl } from './keys.js';
import type { FromWorker, PublishWorkerData, ToWorker } from './publish-worker.js';
import type { RedisConnOptions } from './redis.js';
import { makeRing, MAX_RING_BYTES, MIN_RING_BYTES, RingWriter } from './ring.js';

export const DEFAULT_PUBLISH_QUEUE = 65_536;
export const MAX_PUBLISH_QUEUE = 4_000_000;
export const DEFAULT_PUBLISH_RING_BYTES = 16 * 1024 * 1024;
export const DEFAULT_PUBLISH_IN_FLIGHT = 16_384;
export const MAX_PUBLISH_IN_FLIGHT = 1_000_000;
export const DEFAULT_PUBLISH_BATCH = 2048;
/** How long close() waits for commands in flight (ms). */
const CLOSE_WAIT_MS = 2000;

export interface StorePublisherOptions extends Omit<RedisConnOptions, 'onState'> {
  /** redis://[[user]:password@]host[:port][/db] or rediss://... */
  url: string;
  /** Key prefix (default 'pof:'). */
  keyPrefix?: string;
  /** TTL of connection keys / host keys (s, default 300 / 3600). */
  connTtlS?: number;
  hostTtlS?: number;
  /** Publish host records too (default true). */
  hosts?: boolean;
  /** Records waiting to be encoded (default 65536); more are dropped. */
  maxQueue?: number;
  /** Shared ring between the threads (bytes, default 16 MiB). */
  ringBytes?: number;
  /** SETs waiting for Redis's answers at once (default 16384). */
  maxInFlight?: number;
  /** Records encoded per turn of the event loop, and sent per batch (default 2048). */
  batch?: number;
  /** Told when Redis goes down (why) or comes back (null). */
  onState?: (down: string | null) => void;
  /** Told of each batch's round trip (seconds), for metrics. */
  onPublish?: (seconds: number) => void;
}

export interface StorePublisherStats {
  /** Updates taken (conn() and host() calls while up). */
  updates: number;
  /** Records encoded into the ring, and acknowledged by Redis. */
  encoded: number;
  published: number;
  /**
   * Dropped: the queue full (Redis or the thread behind: the ring filled,
   * then the dirty set), Redis down, a record too large.
   */
  dropped: { full: number; down: number; tooLarge: number };
  /** Redis refused a SET (OOM, ...) or a record could not be made. */
  errors: number;
  lastError: string | null;
  /** Records waiting to be encoded, bytes in the ring, SETs waiting for Redis. */
  queued: number;
  ringBytes: number;
  inFlight: number;
}

type Dirty = { kind: 'conn'; v: ConnVerdict } | { kind: 'host'; h: HostView };

/** The worker: compiled JavaScript beside this file, or (tests, benches) its TypeScript under tsx. */
function startWorker(data: PublishWorkerData): Worker {
  const here = import.meta.url;
  const js = new URL('./publish-worker.js', here);
  if (existsSync(fileURLToPath(js))) return new Worker(js, { workerData: data });
  const ts = new URL('./publish-worker.ts', here).href;
  const boot = `import('tsx/esm/api').then((api) => { api.register(); return import(${JSON.stringify(ts)}); })`;
  return new Worker(boot, { eval: true, workerData: data });
}

export class StorePublisher {
  readonly url: StoreUrl;
  readonly keyPrefix: string;
  readonly maxQueue: number;
  readonly batch: number;
  private readonly hosts: boolean;
  private readonly dirty = new Map<object, Dirty>();
  private readonly writer = new RecordWriter();
  private readonly ring: RingWriter;
  private readonly worker: Worker;
  private scheduled = false;
  private retryTimer: NodeJS.Timeout | null = null;
  private downWhy: string | null;
  private closed = false;
  private flushId = 0;
  private readonly flushWaiters = new Map<number, () => void>();
  private readonly onState: ((down: string | null) => void) | undefined;
  private readonly onPublish: ((s: number) => void) | undefined;
  private workerStats = { published: 0, errors: 0, droppedDown: 0, inFlight: 0, lastError: null as string | null };
  private readonly local = { updates: 0, encoded: 0, full: 0, down: 0, tooLarge: 0, errors: 0 };

  /** Checks the options (PofError E_CONFIG, one line) and starts the publishing thread. */
  constructor(opts: StorePublisherOptions) {
    if (opts === null || typeof opts !== 'object') throw new PofError('E_CONFIG', 'store: options must be an object');
    this.url = parseStoreUrl(opts.url);
    this.keyPrefix = keyPrefixOption('store', opts.keyPrefix);
    const connTtlS = intOption('store: connTtlS', opts.connTtlS, DEFAULT_CONN_TTL_S, 1, MAX_TTL_S);
    const hostTtlS = intOption('store: hostTtlS', opts.hostTtlS, DEFAULT_HOST_TTL_S, 1, MAX_TTL_S);
    this.maxQueue = intOption('store: maxQueue', opts.maxQueue, DEFAULT_PUBLISH_QUEUE, 1, MAX_PUBLISH_QUEUE);
    const ringBytes = intOption('store: ringBytes', opts.ringBytes, DEFAULT_PUBLISH_RING_BYTES, MIN_RING_BYTES, MAX_RING_BYTES);
    const maxInFlight = intOption('store: maxInFlight', opts.maxInFlight, DEFAULT_PUBLISH_IN_FLIGHT, 1, MAX_PUBLISH_IN_FLIGHT);
    this.batch = intOption('store: batch', opts.batch, DEFAULT_PUBLISH_BATCH, 1, 1_000_000);
    if (opts.hosts !== undefined && typeof opts.hosts !== 'boolean') throw new PofError('E_CONFIG', 'store: hosts must be true or false');
    this.hosts = opts.hosts ?? true;
    for (const k of ['onState', 'onPublish'] as const) {
      if (opts[k] !== undefined && typeof opts[k] !== 'function') throw new PofError('E_CONFIG', `store: ${k} must be a function`);
    }
    this.onState = opts.onState;
    this.onPublish = opts.onPublish;
    const { connectTimeoutMs, reconnectMinMs, reconnectMaxMs, tls, password } = opts;
    // Checked here, where a bad value is one line at start-up, not a dead thread.
    intOption('store: connectTimeoutMs', connectTimeoutMs, 1, 1, 600_000);
    intOption('store: reconnectMinMs', reconnectMinMs, 1, 1, 600_000);
    intOption('store: reconnectMaxMs', reconnectMaxMs, 600_000, reconnectMinMs ?? 1, 3_600_000);
    if (password !== undefined && typeof password !== 'string') throw new PofError('E_CONFIG', 'store: password must be a string');
    const ring = makeRing(ringBytes);
    this.ring = new RingWriter(ring);
    this.downWhy = `not connected yet to ${this.url.display}`;
    const data: PublishWorkerData = {
      ring,
      url: this.url,
      conn: { connectTimeoutMs, reconnectMinMs, reconnectMaxMs, tls, password },
      keyPrefix: this.keyPrefix,
      connTtlS,
      hostTtlS,
      maxInFlight,
      batch: this.batch,
    };
    this.worker = startWorker(data);
    this.worker.unref();
    this.worker.on('message', (m: FromWorker) => this.onMessage(m));
    this.worker.on('error', (e) => this.setDown(`store publisher thread failed: ${e.message.split('\n')[0]}`));
    this.worker.on('exit', () => {
      if (!this.closed) this.setDown('store publisher thread exited');
      for (const w of this.flushWaiters.values()) w();
      this.flushWaiters.clear();
    });
  }

  /** Why nothing is published now (Redis down, closed), or null. */
  unavailable(): string | null {
    return this.downWhy;
  }

  /** Publishes (soon) a connection's verdicts. Never throws, never waits. */
  conn(v: ConnVerdict): void {
    this.add(v, 'conn');
  }

  /** Publishes (soon) a host's record. Never throws, never waits. */
  host(h: HostView): void {
    if (this.hosts) this.add(h, 'host');
  }

  private add(o: ConnVerdict | HostView, kind: 'conn' | 'host'): void {
    if (this.downWhy !== null) {
      this.local.down++;
      return;
    }
    this.local.updates++;
    if (!this.dirty.has(o)) {
      if (this.dirty.size >= this.maxQueue) {
        this.local.full++;
        return;
      }
      this.dirty.set(o, kind === 'conn' ? { kind, v: o as ConnVerdict } : { kind, h: o as HostView });
    }
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.encode);
    }
  }

  /** Encodes up to `batch` dirty records into the ring; again next turn if more wait. */
  private readonly encode = (): void => {
    this.scheduled = false;
    if (this.closed) return;
    let n = 0;
    const w = this.writer;
    for (const [o, d] of this.dirty) {
      if (n >= this.batch) break;
      const fits = d.kind === 'conn' ? writeConn(w, d.v) : writeHost(w, d.h);
      if (!fits) {
        this.local.tooLarge++;
        this.dirty.delete(o);
        continue;
      }
      if (!this.ring.push(w.buf, w.off)) {
        // Redis (or the thread) is behind: what waits stays dirty, bounded; try again shortly.
        if (!this.retryTimer) {
          this.retryTimer = setTimeout(() => {
            this.retryTimer = null;
            if (this.dirty.size && !this.scheduled) {
              this.scheduled = true;
              setImmediate(this.encode);
            }
          }, 2);
          this.retryTimer.unref();
        }
        break;
      }
      this.dirty.delete(o);
      this.local.encoded++;
      n++;
    }
    if (n) this.ring.notify();
    if (this.dirty.size && !this.scheduled && !this.retryTimer) {
      this.scheduled = true;
      setImmediate(this.encode);
    }
  };

  private onMessage(m: FromWorker): void {
    switch (m.type) {
      case 'state':
        this.setDown(m.down);
        return;
      case 'stats':
        this.workerStats = { published: m.published, errors: m.errors, droppedDown: m.droppedDown, inFlight: m.inFlight, lastError: m.lastError };
        if (this.onPublish) for (const s of m.latencies) this.onPublish(s);
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

  private setDown(why: string | null): void {
    if (this.closed || why === this.downWhy) return;
    this.downWhy = why;
    if (why !== null && this.dirty.size) {
      this.local.down += this.dirty.size;
      this.dirty.clear();
    }
    if (this.onState) {
      try {
        this.onState(why);
      } catch {
        // The caller's fault is not the sensor's.
      }
    }
  }

  get stats(): StorePublisherStats {
    const l = this.local;
    const ws = this.workerStats;
    return {
      updates: l.updates,
      encoded: l.encoded,
      published: ws.published,
      dropped: { full: l.full, down: l.down + ws.droppedDown, tooLarge: l.tooLarge },
      errors: l.errors + ws.errors,
      lastError: ws.lastError,
      queued: this.dirty.size,
      ringBytes: this.ring.used,
      inFlight: ws.inFlight,
    };
  }

  /**
   * Encodes what is dirty now and waits until Redis has answered every SET
   * sent so far (or `timeoutMs` passed). For tests and orderly shutdown.
   */
  async flush(timeoutMs = CLOSE_WAIT_MS): Promise<void> {
    while (this.dirty.size && this.downWhy === null && !this.closed) {
      const before = this.dirty.size;
      this.encode();
      if (this.dirty.size === before) await new Promise((r) => setTimeout(r, 2));
    }
    const id = ++this.flushId;
    await new Promise<void>((resolve) => {
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
    // The worker's counters as of the flush.
    await new Promise((r) => setTimeout(r, 0));
  }

  /** Publishes what is dirty (waiting at most 2 s), then stops the thread. */
  async close(): Promise<void> {
    if (this.closed) return;
    if (this.downWhy === null) await this.flush().catch(() => {});
    this.closed = true;
    this.downWhy = 'store closed';
    if (this.retryTimer) clearTimeout(this.retryTimer);
    const exited = new Promise<void>((r) => this.worker.once('exit', () => r()));
    this.worker.postMessage({ type: 'close' } satisfies ToWorker);
    const t = setTimeout(() => void this.worker.terminate(), CLOSE_WAIT_MS);
    await exited;
    clearTimeout(t);
  }
}
